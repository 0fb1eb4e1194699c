"""Connections in the UI: forms from the adapter's auth fields, secrets never shown again,
the connection test in plain words, the webhook address to paste."""

from __future__ import annotations

import re

import responses

from adapters import REGISTRY
from hub.store import AuditQuery
from tests.support.fixtures import SECRETS

SHOP_JSON = "https://northwind-boutique.myshopify.com/admin/api/2025-10/shop.json"


def add_shopify(session, **changes):
    form = {"name": "shop", "webhook_secret": SECRETS["shopify"],
            "shop_domain": "northwind-boutique.myshopify.com",
            "access_token": SECRETS["shopify_access_token"]}
    form.update(changes)
    return session.post("/connections/new/shopify", form)


def test_every_adapter_has_a_form_built_from_its_declared_fields(as_owner):
    for name, adapter in REGISTRY.items():
        html = as_owner.get(f"/connections/new/{name}").get_data(as_text=True)
        for field in adapter.auth_fields:
            found = re.search(rf'<input id="f-{field.name}" name="{field.name}" type="(\w+)"', html)
            assert found, (name, field.name)
            assert found.group(1) == ("password" if field.secret else "text"), (name, field.name)


def test_adding_shows_the_webhook_address_and_never_the_secret_again(as_owner, rt):
    saved = add_shopify(as_owner)
    assert saved.status_code == 200
    html = saved.get_data(as_text=True)
    assert 'value="https://hub.example.com/hooks/shopify-shop"' in html
    assert SECRETS["shopify"] not in html
    detail = as_owner.get("/connections/shopify-shop").get_data(as_text=True)
    assert SECRETS["shopify"] not in detail and SECRETS["shopify_access_token"] not in detail
    assert "••••" + SECRETS["shopify"][-4:] in detail
    assert rt.store.get_connection("shopify-shop").secrets != SECRETS["shopify"]


def test_a_secret_the_hub_makes_is_shown_once(as_owner, rt):
    saved = as_owner.post("/connections/new/webhook", {"name": "pos", "generate_webhook_secret": "1"})
    shown = re.search(r'id="secret-webhook_secret" type="text" value="([^"]+)"',
                      saved.get_data(as_text=True)).group(1)
    assert len(shown) >= 32
    assert shown not in as_owner.get("/connections/webhook-pos").get_data(as_text=True)
    assert shown not in as_owner.get("/connections/webhook-pos/edit").get_data(as_text=True)


def test_invalid_values_are_explained_and_nothing_is_saved(as_owner, rt):
    answer = add_shopify(as_owner, shop_domain="not a domain")
    assert answer.status_code == 400
    assert "Shop domain (shop_domain): &#39;not a domain&#39; is not in the expected form" in answer.get_data(as_text=True)
    assert rt.store.get_connection("shopify-shop") is None


def test_an_empty_secret_on_edit_keeps_the_stored_one(as_owner, rt, shopify):
    answer = as_owner.post("/connections/shopify-shop/edit",
                           {"webhook_secret": "", "shop_domain": "outlet.myshopify.com"})
    assert answer.status_code == 302
    from hub.connections import config_of

    config = config_of(rt.store.get_connection("shopify-shop"), rt.vault)
    assert config["webhook_secret"] == SECRETS["shopify"]
    assert config["shop_domain"] == "outlet.myshopify.com"


@responses.activate
def test_a_working_connection_test_says_so_and_is_kept(as_owner, rt, shopify):
    responses.get(SHOP_JSON, json={"shop": {"name": "Northwind Boutique"}})
    answer = as_owner.post("/connections/shopify-shop/test", headers={"HX-Request": "true"})
    html = answer.get_data(as_text=True)
    assert "It works" in html and "connected to Northwind Boutique" in html
    record = rt.store.get_connection("shopify-shop")
    assert record.last_check_ok is True and record.last_check_at
    assert responses.calls[0].request.headers["X-Shopify-Access-Token"] == SECRETS["shopify_access_token"]


@responses.activate
def test_refused_credentials_are_explained_without_the_secret(as_owner, rt, shopify):
    responses.get(SHOP_JSON, status=401, json={
        "errors": f"[API] Invalid API key or access token ({SECRETS['shopify_access_token']})"})
    answer = as_owner.post("/connections/shopify-shop/test", follow_redirects=True)
    html = answer.get_data(as_text=True)
    assert "The service refused: check the credentials you entered." in html
    assert SECRETS["shopify_access_token"] not in html
    assert rt.store.get_connection("shopify-shop").last_check_ok is False
    [row] = rt.store.query_audit(AuditQuery(action="test"))
    assert row.outcome == "failed" and SECRETS["shopify_access_token"] not in row.detail


def test_removing_a_connection_is_audited(as_owner, rt, shopify):
    assert as_owner.post("/connections/shopify-shop/remove").status_code == 302
    assert rt.store.get_connection("shopify-shop") is None
    [row] = rt.store.query_audit(AuditQuery(action="remove", subject_type="connection"))
    assert row.actor_id == "olive@northwind.example"
