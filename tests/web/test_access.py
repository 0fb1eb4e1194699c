"""Every route is behind the guard: parametrised over the app's url_map, so a new page cannot
escape it. Public endpoints and the pages staff may open are explicit lists here."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest

from hub.runtime import open_runtime
from hub.settings import Settings

#: Open without a session: vendors' webhooks, health/metrics probes, sign-in pages, assets.
PUBLIC = {"static", "auth.login", "auth.setup", "auth.invite", "webhooks.receive",
          "health.healthz", "health.readyz", "health.prometheus_metrics"}
#: Open to staff (customer look-up and reading activity); everything else is owner-only.
STAFF = {"dashboard.home", "customers.search", "customers.profile", "activity.index",
         "activity.run", "activity.entry", "activity.failed", "auth.account", "auth.logout"}


def _routes() -> list[tuple[str, str, str]]:
    from web import create_app

    with tempfile.TemporaryDirectory() as folder:
        rt = open_runtime(Settings(data_dir=Path(folder), secret_key="collect-routes"))
        app = create_app(rt)
        routes = [(rule.rule, rule.endpoint, method) for rule in app.url_map.iter_rules()
                  for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
        rt.store.close()
    return routes


ROUTES = _routes()
GUARDED = [r for r in ROUTES if r[1] not in PUBLIC]


def sample_url(rule: str) -> str:
    """A concrete address for a rule: ints become 1, other arguments a plain word."""
    url = re.sub(r"<int:[^>]+>", "1", rule)
    return re.sub(r"<(?:[a-z]+:)?[^>]+>", "sample", url)


def call(session, method: str, url: str, **kwargs):
    if method == "GET":
        return session.get(url, **kwargs)
    return session.post(url, {}, **kwargs)


def test_public_endpoints_are_exactly_the_allow_list():
    from web.access import is_public

    assert {endpoint for _, endpoint, _ in ROUTES if is_public(endpoint)} == PUBLIC


def test_staff_pages_are_exactly_the_staff_list(app):
    marked = {endpoint for endpoint, view in app.view_functions.items()
              if getattr(view, "staff_allowed", False)}
    assert marked == STAFF


@pytest.mark.parametrize("rule, endpoint, method", GUARDED)
def test_without_a_session_every_page_redirects_to_sign_in(anonymous, owner, rule, endpoint, method):
    answer = call(anonymous, method, sample_url(rule))
    assert answer.status_code == 302, (endpoint, answer.status_code)
    assert answer.headers["Location"].startswith("/login")


@pytest.mark.parametrize("rule, endpoint, method", GUARDED)
def test_json_callers_without_a_session_get_401(anonymous, owner, rule, endpoint, method):
    answer = call(anonymous, method, sample_url(rule), headers={"Accept": "application/json"})
    assert answer.status_code == 401
    assert answer.get_json()["error"] == "sign in first"


@pytest.mark.parametrize("rule, endpoint, method",
                         [r for r in GUARDED if r[1] not in STAFF])
def test_staff_are_refused_owner_pages(as_staff, rule, endpoint, method):
    answer = call(as_staff, method, sample_url(rule))
    assert answer.status_code == 403, (endpoint, answer.status_code)
    assert "Not for your account" in answer.get_data(as_text=True)


@pytest.mark.parametrize("rule, endpoint, method",
                         [r for r in GUARDED if r[1] in STAFF and r[2] == "GET"])
def test_staff_may_open_their_pages(as_staff, rule, endpoint, method):
    answer = call(as_staff, method, sample_url(rule))
    assert answer.status_code in (200, 302, 404), (endpoint, answer.status_code)


@pytest.mark.parametrize("rule, endpoint, method", [r for r in GUARDED if r[2] == "GET"])
def test_every_page_renders_for_the_owner(as_owner, rule, endpoint, method):
    answer = as_owner.get(sample_url(rule))
    assert answer.status_code in (200, 302, 404), (endpoint, answer.status_code)


def test_a_fresh_hub_sends_everyone_to_the_owner_set_up(anonymous):
    answer = anonymous.get("/customers/")
    assert answer.status_code == 302 and answer.headers["Location"] == "/setup"
    assert anonymous.get("/login").headers["Location"] == "/setup"


def test_webhooks_and_health_stay_open_without_a_session(anonymous, owner):
    assert anonymous.get("/healthz").status_code == 200
    # An unknown connection is the webhook endpoint's own answer, not a sign-in redirect.
    answer = anonymous.client.post("/hooks/nobody", data=b"{}")
    assert answer.status_code == 404 and answer.get_json()["status"] == "rejected"


def test_pages_forbid_framing_and_foreign_scripts(as_owner):
    answer = as_owner.get("/customers/")
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert answer.headers["Cache-Control"] == "no-store"
