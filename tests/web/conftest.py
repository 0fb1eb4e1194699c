"""Signed-in test clients for the web UI: an owner, a staff member, and a CSRF-aware poster."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from hub import users

OWNER_EMAIL = "olive@northwind.example"
OWNER_PASSWORD = "linen-wrap-dress-42"
STAFF_EMAIL = "sam@northwind.example"
STAFF_PASSWORD = "straw-tote-counter-7"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Session:
    """A test client that fetches a CSRF token the way a browser's form would carry it."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def token(self, page: str = "/login") -> str:
        found = _TOKEN.search(self.client.get(page, follow_redirects=True).get_data(as_text=True))
        assert found, f"no CSRF token on {page}"
        return found.group(1)

    def get(self, url: str, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict | None = None, *, token_page: str | None = None, **kwargs):
        fields = dict(data or {})
        fields.setdefault("csrf_token", self.token(token_page or self._token_page()))
        return self.client.post(url, data=fields, **kwargs)

    def _token_page(self) -> str:
        return "/account" if self.signed_in else "/login"

    @property
    def signed_in(self) -> bool:
        return self.client.get("/account").status_code == 200

    def sign_in(self, email: str, password: str):
        return self.post("/login", {"email": email, "password": password}, token_page="/login")


@pytest.fixture
def owner(rt) -> users.User:
    return users.create_owner(rt.store, OWNER_EMAIL, "Olive", OWNER_PASSWORD)


@pytest.fixture
def staff(rt, owner) -> users.User:
    _, token = users.invite(rt.store, owner, STAFF_EMAIL, "Sam")
    return users.accept_invite(rt.store, token, STAFF_PASSWORD)


@pytest.fixture
def anonymous(client) -> Session:
    return Session(client)


@pytest.fixture
def as_owner(app, owner) -> Session:
    session = Session(app.test_client())
    answer = session.sign_in(OWNER_EMAIL, OWNER_PASSWORD)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return session


@pytest.fixture
def as_staff(app, staff) -> Session:
    session = Session(app.test_client())
    answer = session.sign_in(STAFF_EMAIL, STAFF_PASSWORD)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return session
