"""Shopify: the contract kit over the fixtures, plus what only Shopify does (POS, prices, polls)."""

from __future__ import annotations

import json

import pytest
import responses

from adapters.base import WebhookRequest
from adapters.contract import (
    AdapterContract,
    DictMemory,
    Exchange,
    PollCase,
    Reply,
    Request,
    WebhookCase,
    contract_tests,
)
from adapters.shopify import ShopifyAdapter
from tests.adapters.vendor_files import reply_headers, request_url
from tests.support.fixtures import SECRETS, fixture_bytes, fixture_json, signed
from tests.support.signing import shopify_headers

HOOK = "https://hub.example.com/hooks/shopify-shop"
SHOP = "https://northwind-boutique.myshopify.com"
CONFIG = {"webhook_secret": SECRETS["shopify"], "shop_domain": "northwind-boutique.myshopify.com",
          "access_token": SECRETS["shopify_access_token"], "api_version": "2025-10",
          "currency": "USD"}
TOKEN = {"X-Shopify-Access-Token": SECRETS["shopify_access_token"]}
SIGNATURE = ("X-Shopify-Hmac-Sha256",)


def fixture_request(name: str) -> WebhookRequest:
    vector = signed(f"shopify/{name}.json")
    return WebhookRequest("POST", HOOK, vector.headers, vector.body)


def self_signed(body: bytes, topic: str) -> WebhookRequest:
    """A payload the fixtures do not hold for ``topic``, signed the way Shopify signs."""
    return WebhookRequest("POST", HOOK, shopify_headers(body, SECRETS["shopify"], topic), body)


def changed(name: str, **fields) -> bytes:
    return json.dumps({**fixture_json(f"shopify/{name}.json"), **fields}).encode()


SEEN_CONSENT = {f"consent:7212345678901:{c}": {"state": "subscribed", "at": "2026-11-20T14:00:04.000000Z"}
                for c in ("email", "sms")}
SEEN_PRICES = {"price:44120001003": "49.00", "price:44120001004": "65.00"}

WEBHOOKS = [
    WebhookCase("customers-create", fixture_request("customers_create"),
                ("customer.created", "consent.changed", "consent.changed"), SIGNATURE),
    WebhookCase("customers-update-same-consent",
                self_signed(changed("customers_create", first_name="Maya R."), "customers/update"),
                ("customer.updated",), SIGNATURE, memory=SEEN_CONSENT),
    WebhookCase("carts-create", self_signed(fixture_bytes("shopify/carts_update.json"), "carts/create"),
                ("cart.updated",), SIGNATURE),
    WebhookCase("carts-update", fixture_request("carts_update"), ("cart.updated",), SIGNATURE),
    WebhookCase("checkouts-create", fixture_request("checkouts_create"), ("checkout.started",), SIGNATURE),
    WebhookCase("checkouts-update", fixture_request("checkouts_update"), ("checkout.updated",), SIGNATURE),
    WebhookCase("checkouts-create-2", fixture_request("checkouts_create_completed_soon"),
                ("checkout.started",), SIGNATURE),
    WebhookCase("orders-create-online", fixture_request("orders_create_online"),
                ("order.completed",), SIGNATURE),
    WebhookCase("orders-create-pos", fixture_request("orders_create_pos"), ("order.completed",), SIGNATURE),
    WebhookCase("orders-create-2", fixture_request("orders_create_completing_soon"),
                ("order.completed",), SIGNATURE),
    WebhookCase("orders-paid", self_signed(fixture_bytes("shopify/orders_create_online.json"), "orders/paid"),
                ("order.paid",), SIGNATURE),
    WebhookCase("orders-cancelled",
                self_signed(changed("orders_create_online", cancelled_at="2026-11-21T13:00:00-05:00",
                                    cancel_reason="customer", financial_status="refunded"),
                            "orders/cancelled"), ("order.cancelled",), SIGNATURE),
    WebhookCase("products-update-markdown", fixture_request("products_update_price_drop"),
                ("product.price_changed",), SIGNATURE),
    WebhookCase("products-update-prices-already-seen", fixture_request("products_update_price_drop"),
                (), SIGNATURE, memory=SEEN_PRICES),
    WebhookCase("products-create",
                self_signed(fixture_bytes("shopify/products_update_price_drop.json"), "products/create"),
                ("product.price_changed",), SIGNATURE, memory={"price:44120001003": "65.00"}),
]


def checkouts_page(number: int, url: str) -> Exchange:
    name = f"shopify/rest_abandoned_checkouts_page{number}"
    return Exchange(Request("GET", url, headers=TOKEN),
                    Reply(200, json=fixture_json(f"{name}.json"), headers=reply_headers(f"{name}.headers.txt")))


#: The fixture's first request asks for limit=1 to show paging; the adapter asks for 250.
CHECKOUTS_FIRST_URL = request_url("shopify/rest_abandoned_checkouts_page1.headers.txt").replace(
    "limit=1", "limit=250")
ORDERS_NEXT = f"{SHOP}/admin/api/2025-10/orders.json?limit=250&page_info=b3JkZXJzLW5leHQ"
POLLS = [
    PollCase("abandoned_checkouts", {"since": "2026-11-20T00:00:00-05:00"}, [
        checkouts_page(1, CHECKOUTS_FIRST_URL),
        checkouts_page(2, request_url("shopify/rest_abandoned_checkouts_page2.headers.txt")),
    ], ["checkouts:32109876543210:2026-11-20T14:14:02.000000Z",
        "checkouts:32109876541111:2026-11-20T16:30:00.000000Z"]),
    PollCase("orders", {"since": "2026-11-21T00:00:00Z"}, [
        Exchange(Request("GET", f"{SHOP}/admin/api/2025-10/orders.json?limit=250&status=any"
                                "&updated_at_min=2026-11-21T00:00:00Z", headers=TOKEN),
                 Reply(200, json={"orders": [fixture_json("shopify/orders_create_online.json")]},
                       headers={"X-Shopify-Shop-Api-Call-Limit": "1/40",
                                "Link": f'<{ORDERS_NEXT}>; rel="next"'})),
        Exchange(Request("GET", ORDERS_NEXT, headers=TOKEN),
                 Reply(200, json={"orders": [fixture_json("shopify/orders_create_pos.json")]},
                       headers={"X-Shopify-Shop-Api-Call-Limit": "2/40"})),
    ], ["orders:5801234567890:2026-11-21T17:40:18.000000Z",
        "orders:5801234599999:2026-11-22T21:05:44.000000Z"]),
]

CONTRACT = AdapterContract(
    adapter=ShopifyAdapter,
    config=CONFIG,
    webhooks=WEBHOOKS,
    polls=POLLS,
    connection_test=Exchange(
        Request("GET", f"{SHOP}/admin/api/2025-10/shop.json", headers=TOKEN),
        Reply(200, json={"shop": {"id": 59581317309, "name": "Northwind Boutique",
                                  "myshopify_domain": "northwind-boutique.myshopify.com"}})),
    rate_limited=Reply(429, json=fixture_json("shopify/rest_429.json"),
                       headers=reply_headers("shopify/rest_429.headers.txt")),
    client_error=Reply(401, json={"errors": "[API] Invalid API key or access token "
                                            "(unrecognized login or wrong password)"}),
    client_error_text="Invalid API key or access token",
    connection_id="shopify-shop",
)

TestShopifyContract = contract_tests(CONTRACT)


# -- what only Shopify does --------------------------------------------------------------------
@pytest.fixture
def shop() -> ShopifyAdapter:
    return CONTRACT.build()


def events_of(adapter: ShopifyAdapter, request: WebhookRequest, memory: DictMemory | None = None):
    parsed = adapter.parse_webhook(request)
    return adapter.to_events(parsed.topic, parsed.payload, memory if memory is not None else DictMemory())


def test_pos_order_is_in_store_and_found_by_phone(shop):
    [order] = events_of(shop, fixture_request("orders_create_pos"))
    assert order.channel == order.data["channel"] == "in_store"
    assert order.data["location_id"] == "71234561234"
    assert order.customer.email is None and order.customer.phone == "415-555-0142"
    assert order.customer.external_ids == {"shopify": "7212345679999"}
    assert order.data["total"] == 49.0 and order.data["currency"] == "USD"


def test_online_order_links_to_its_checkout_with_numbers_and_string_ids(shop):
    [order] = events_of(shop, fixture_request("orders_create_online"))
    assert order.channel == "online" and order.key == "5801234567890"
    assert order.data["checkout_token"] == "5b9f3c2ad41e4f0e8c1b7a6d9e2f4a10"
    assert order.data["total"] == 176.0
    assert [(i["variant_id"], i["price"]) for i in order.data["line_items"]] == [
        ("44120001001", 128.0), ("44120001002", 48.0)]
    assert order.occurred_at == "2026-11-21T17:40:18.000000Z"


def test_checkout_carries_recovery_url_value_and_the_phone_the_buyer_typed(shop):
    [checkout] = events_of(shop, fixture_request("checkouts_create"))
    assert checkout.key == checkout.data["checkout_token"] == "5b9f3c2ad41e4f0e8c1b7a6d9e2f4a10"
    assert checkout.data["cart_token"].startswith("Z2NwLXVz")
    assert checkout.data["value"] == 176.0 and checkout.data["recovery_url"].endswith("recover?key=4c3f2a")
    assert checkout.customer.phone == "(415) 555-0142"
    assert checkout.customer.email == "maya.lopez@example.com"


def test_cart_has_no_identity_but_its_token_and_value(shop):
    [cart] = events_of(shop, fixture_request("carts_update"))
    assert cart.customer.is_empty()
    assert cart.data["cart_token"] == cart.key and cart.data["value"] == 176.0
    assert cart.data["currency"] == "USD"


def test_customer_consent_becomes_consent_events_once(shop):
    memory = DictMemory()
    created, email, sms = events_of(shop, fixture_request("customers_create"), memory)
    assert created.data["sms_consent"]["state"] == "subscribed"
    assert [(e.data["channel"], e.data["state"], e.data["source"]) for e in (email, sms)] == [
        ("email", "subscribed", "shopify"), ("sms", "subscribed", "shopify")]
    assert sms.occurred_at == "2026-11-20T14:00:04.000000Z"
    again = events_of(shop, fixture_request("customers_create"), memory)
    assert [e.name for e in again] == ["customer.created"]


def test_unsubscribing_in_shopify_is_a_consent_change(shop):
    memory = DictMemory(SEEN_CONSENT)
    body = changed("customers_create", updated_at="2026-11-25T10:00:00-05:00", sms_marketing_consent={
        "state": "unsubscribed", "opt_in_level": "single_opt_in",
        "consent_updated_at": "2026-11-25T10:00:00-05:00", "consent_collected_from": "SHOPIFY"})
    _, change = events_of(shop, self_signed(body, "customers/update"), memory)
    assert (change.name, change.data["channel"], change.data["state"]) == ("consent.changed", "sms", "unsubscribed")
    assert memory.get("consent:7212345678901:sms")["state"] == "unsubscribed"


def test_price_drop_against_the_last_price_seen(shop):
    memory = DictMemory({"price:44120001003": "65.00", "price:44120001004": "65.00"})
    [event] = events_of(shop, fixture_request("products_update_price_drop"), memory)
    assert event.data["product_id"] == "8840001003"
    assert event.data["variants"] == [{
        "variant_id": "44120001003", "title": "Coral", "sku": "SS-COR", "old_price": 65.0,
        "new_price": 49.0, "compare_at_price": 65.0, "currency": "USD"}]
    assert memory.get("price:44120001003") == "49.00"
    assert events_of(shop, fixture_request("products_update_price_drop"), memory) == []


def test_first_sighting_without_a_markdown_only_records_the_price(shop):
    memory = DictMemory()
    body = changed("products_update_price_drop", variants=[
        {**fixture_json("shopify/products_update_price_drop.json")["variants"][1]}])
    assert events_of(shop, self_signed(body, "products/update"), memory) == []
    assert memory.get("price:44120001004") == "65.00"


def test_a_price_rise_is_a_change_too(shop):
    memory = DictMemory({"price:44120001003": "49.00", "price:44120001004": "60.00"})
    [event] = events_of(shop, fixture_request("products_update_price_drop"), memory)
    assert [(v["variant_id"], v["old_price"], v["new_price"]) for v in event.data["variants"]] == [
        ("44120001004", 60.0, 65.0)]


def test_poll_stops_early_when_the_call_bucket_is_nearly_full(shop):
    page = POLLS[0].pages[0]
    with responses.RequestsMock() as mock:
        mock.add("GET", page.request.url, json=page.reply.json,
                 headers={**page.reply.headers, "X-Shopify-Shop-Api-Call-Limit": "38/40"})
        result = shop.poll("abandoned_checkouts", POLLS[0].cursor)
    assert result.done and result.cursor["next_url"] == POLLS[0].pages[1].request.url
    assert len(result.items) == 1


def test_last_page_moves_since_to_the_newest_change_less_the_overlap(shop):
    page = POLLS[0].pages[1]
    with responses.RequestsMock() as mock:
        mock.add("GET", page.request.url, json=page.reply.json, headers=dict(page.reply.headers))
        result = shop.poll("abandoned_checkouts", {"since": "2026-11-20T00:00:00-05:00",
                                                   "next_url": page.request.url,
                                                   "newest": "2026-11-20T14:14:02.000000Z"})
    assert result.done and result.cursor["next_url"] is None
    assert result.cursor["since"] == "2026-11-20T16:29:00Z"


def test_polls_need_credentials_and_say_so():
    from adapters.pagination import PollFailed

    adapter = ShopifyAdapter({"webhook_secret": SECRETS["shopify"]})
    with pytest.raises(PollFailed, match="shop_domain and access_token"):
        adapter.poll("orders", None)
    assert adapter.test_connection().kind == "failed"


def test_api_base_url_points_calls_at_a_simulator():
    adapter = CONTRACT.build(api_base_url="http://127.0.0.1:8765/shopify")
    with responses.RequestsMock() as mock:
        mock.add("GET", "http://127.0.0.1:8765/shopify/admin/api/2025-10/shop.json",
                 json={"shop": {"name": "Sim"}})
        assert adapter.test_connection().summary == "connected to Sim"
