"""``hub users``: the set-up code and a recovery link from the hub's own machine."""

from __future__ import annotations

from click.testing import CliRunner

from hub import users
from hub.cli import main
from tests.web.conftest import OWNER_EMAIL


def run(settings, *args):
    return CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), "users", *args],
                              env={"HUB_SECRET_KEY": settings.secret_key})


def test_setup_code_is_the_one_the_page_accepts_until_an_owner_exists(settings, rt):
    printed = run(settings, "setup-code")
    assert printed.exit_code == 0
    assert users.setup_code_matches(settings.secret_key, printed.output.strip())
    users.create_owner(rt.store, OWNER_EMAIL, "Olive", "linen-wrap-dress-42")
    assert run(settings, "setup-code").exit_code != 0


def test_a_recovery_link_lets_the_owner_choose_a_new_password(settings, rt, owner):
    printed = run(settings, "link", OWNER_EMAIL)
    assert printed.exit_code == 0
    token = printed.output.strip().splitlines()[0].rsplit("/invite/", 1)[1]
    users.accept_invite(rt.store, token, "a-whole-new-password")
    assert users.authenticate(rt.store, OWNER_EMAIL, "a-whole-new-password", "::1").id == owner.id
    assert run(settings, "link", "nobody@example.com").exit_code != 0
