"""Signing in: first-start owner set-up, sessions, slow-down, CSRF, invitations, roles."""

from __future__ import annotations

import pytest

from hub import users
from hub.store import AuditQuery
from hub.users import setup_code
from tests.web.conftest import OWNER_EMAIL, OWNER_PASSWORD, STAFF_EMAIL, Session


def set_up(session: Session, settings, **changes):
    form = {"setup_code": setup_code(settings.secret_key), "name": "Olive",
            "email": OWNER_EMAIL, "password": OWNER_PASSWORD, "password_again": OWNER_PASSWORD}
    form.update(changes)
    return session.post("/setup", form, token_page="/setup")


def test_first_start_creates_the_owner_and_signs_them_in(anonymous, settings, rt):
    answer = set_up(anonymous, settings)
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    assert anonymous.get("/").status_code == 200
    [owner] = rt.store.list_users()
    assert owner.role == "owner" and owner.email == OWNER_EMAIL
    assert OWNER_PASSWORD not in owner.password_hash and owner.password_hash.startswith("scrypt:")


@pytest.mark.parametrize("changes, message", [
    ({"setup_code": "AAAA-BBBB"}, "set-up code is not right"),
    ({"password": "short", "password_again": "short"}, "at least 10 characters"),
    ({"password_again": "something-else-entirely"}, "not the same"),
    ({"email": "not-an-email"}, "email address like"),
])
def test_set_up_refuses_bad_input_in_plain_words(anonymous, settings, rt, changes, message):
    answer = set_up(anonymous, settings, **changes)
    assert answer.status_code == 400
    assert message in answer.get_data(as_text=True)
    assert rt.store.count_users() == 0


def test_set_up_is_closed_once_the_owner_exists(anonymous, settings, owner, rt):
    assert anonymous.get("/setup").headers["Location"] == "/login"
    answer = set_up(anonymous, settings, email="intruder@example.com")
    assert answer.status_code == 302 and answer.headers["Location"] == "/login"
    assert [u.email for u in rt.store.list_users()] == [OWNER_EMAIL]


def test_only_one_owner_even_if_two_set_ups_race(rt):
    users.create_owner(rt.store, "a@example.com", "A", "first-password-1")
    with pytest.raises(users.UserInvalid, match="already exists"):
        users.create_owner(rt.store, "b@example.com", "B", "second-password-2")


def test_sign_in_goes_back_to_the_page_asked_for(anonymous, owner):
    assert anonymous.get("/activity/?period=day").headers["Location"] == "/login?next=/activity/?period%3Dday"
    answer = anonymous.post("/login", {"email": OWNER_EMAIL, "password": OWNER_PASSWORD,
                                       "next": "/activity/?period=day"})
    assert answer.headers["Location"] == "/activity/?period=day"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "javascript:x"])
def test_sign_in_never_redirects_off_site(anonymous, owner, target):
    answer = anonymous.post("/login", {"email": OWNER_EMAIL, "password": OWNER_PASSWORD,
                                       "next": target})
    assert answer.headers["Location"] == "/"


def test_wrong_password_and_unknown_email_get_the_same_answer(anonymous, owner):
    wrong = anonymous.sign_in(OWNER_EMAIL, "not-the-password")
    unknown = anonymous.sign_in("nobody@example.com", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong email or password" in wrong.get_data(as_text=True)
    assert "Wrong email or password" in unknown.get_data(as_text=True)


def test_repeated_failures_slow_sign_in_down_and_time_lets_it_go(anonymous, owner, frozen_clock):
    for _ in range(users.FREE_FAILURES - 1):
        assert anonymous.sign_in(OWNER_EMAIL, "guess").status_code == 401
    answer = anonymous.sign_in(OWNER_EMAIL, "guess")
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "2"
    # While waiting even the right password is not checked.
    refused = anonymous.sign_in(OWNER_EMAIL, OWNER_PASSWORD)
    assert refused.status_code == 429
    assert "too many failed sign-ins" in refused.get_data(as_text=True).lower()
    frozen_clock.move(seconds=2)
    assert anonymous.sign_in(OWNER_EMAIL, OWNER_PASSWORD).status_code == 302


def test_the_wait_doubles_and_is_capped():
    waits = [users.wait_after(n).total_seconds() for n in range(1, 20)]
    assert waits[:2] == [0, 0] and waits[2:6] == [1, 2, 4, 8]
    assert max(waits) == users.MAX_WAIT.total_seconds()


def test_the_slow_down_is_shared_by_every_web_process(rt, owner, frozen_clock):
    """Two apps on one store stand for two gunicorn workers: failures counted in one count
    in the other."""
    from web import create_app

    first, second = (Session(create_app(rt).test_client()) for _ in range(2))
    for _ in range(users.FREE_FAILURES):
        first.sign_in(OWNER_EMAIL, "guess")
    assert second.sign_in(OWNER_EMAIL, OWNER_PASSWORD).status_code == 429


def test_the_slow_down_is_per_account_and_address(app, owner, frozen_clock):
    here = Session(app.test_client())
    for _ in range(users.FREE_FAILURES):
        here.sign_in(OWNER_EMAIL, "guess")
    elsewhere = Session(app.test_client())
    answer = elsewhere.client.post("/login", data={
        "email": OWNER_EMAIL, "password": OWNER_PASSWORD,
        "csrf_token": elsewhere.token("/login")}, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert answer.status_code == 302


def test_a_form_without_its_csrf_token_is_refused(as_owner, rt):
    answer = as_owner.client.post("/people/invite", data={"email": "x@example.com"})
    assert answer.status_code == 400
    assert "This form has expired" in answer.get_data(as_text=True)
    assert rt.store.get_user_by_email("x@example.com") is None


def test_a_csrf_token_from_another_session_is_refused(app, as_owner, rt):
    foreign = Session(app.test_client()).token("/login")
    answer = as_owner.client.post("/people/invite", data={"email": "x@example.com",
                                                          "csrf_token": foreign})
    assert answer.status_code == 400
    assert rt.store.get_user_by_email("x@example.com") is None


def test_sign_out_ends_the_session_on_the_server(as_owner):
    cookie = as_owner.client.get_cookie("hub_session").value
    assert as_owner.post("/logout").headers["Location"] == "/login"
    # The old cookie, replayed, no longer opens anything.
    as_owner.client.set_cookie("hub_session", cookie)
    assert as_owner.get("/").status_code == 302


def test_an_idle_session_expires(frozen_clock, as_owner):
    frozen_clock.move(hours=11)
    assert as_owner.get("/").status_code == 200
    frozen_clock.move(hours=12, minutes=1)
    assert as_owner.get("/").status_code == 302


def test_the_session_cookie_is_http_only_strict_enough_and_secure(anonymous, owner):
    answer = anonymous.sign_in(OWNER_EMAIL, OWNER_PASSWORD)
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_invited_staff_choose_a_password_and_land_on_customers(app, as_owner, rt):
    page = as_owner.post("/people/invite", {"email": STAFF_EMAIL, "name": "Sam"})
    assert page.status_code == 200
    link = rt.store.get_user_by_email(STAFF_EMAIL)
    assert link.pending and link.role == "staff"
    url = _link_in(page.get_data(as_text=True))
    newcomer = Session(app.test_client())
    answer = newcomer.post(url, {"password": "counter-pass-123", "password_again": "counter-pass-123"},
                           token_page=url)
    assert answer.headers["Location"] == "/customers/"
    assert newcomer.get("/").headers["Location"] == "/customers/"
    # The link works once.
    assert newcomer.get(url).status_code == 404


def test_an_invitation_expires_after_a_week(frozen_clock, app, as_owner):
    url = _link_in(as_owner.post("/people/invite", {"email": STAFF_EMAIL}).get_data(as_text=True))
    frozen_clock.move(days=7, seconds=1)
    assert Session(app.test_client()).get(url).status_code == 404


def test_removing_a_person_signs_them_out_everywhere(as_owner, as_staff, staff):
    assert as_staff.get("/customers/").status_code == 200
    as_owner.post(f"/people/{staff.id}/remove")
    assert as_staff.get("/customers/").status_code == 302


def test_the_owner_cannot_be_removed(as_owner, owner, rt):
    as_owner.post(f"/people/{owner.id}/remove")
    assert rt.store.get_user(owner.id) is not None


def test_changing_the_password_needs_the_current_one(as_owner, rt, owner):
    wrong = as_owner.post("/account", {"current_password": "nope", "new_password": "x" * 12,
                                       "new_password_again": "x" * 12})
    assert wrong.status_code == 400 and "current password is not right" in wrong.get_data(as_text=True)
    right = as_owner.post("/account", {"current_password": OWNER_PASSWORD,
                                       "new_password": "a-brand-new-one", "new_password_again": "a-brand-new-one"})
    assert right.status_code == 302
    assert users.authenticate(rt.store, OWNER_EMAIL, "a-brand-new-one", "127.0.0.1").id == owner.id


def test_sign_ins_are_audited_without_passwords(anonymous, owner, rt):
    anonymous.sign_in(OWNER_EMAIL, "wrong-guess-123")
    anonymous.sign_in(OWNER_EMAIL, OWNER_PASSWORD)
    rows = rt.store.query_audit(AuditQuery(action="sign-in"))
    assert [r.outcome for r in rows] == ["ok", "rejected"]
    assert all("wrong-guess-123" not in r.detail and OWNER_PASSWORD not in r.detail for r in rows)


def test_a_user_repr_hides_the_password_hash(owner):
    assert "scrypt" not in repr(owner)


def _link_in(html: str) -> str:
    import re

    return re.search(r'value="http://localhost(/invite/[^"]+)"', html).group(1)
