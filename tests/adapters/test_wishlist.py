"""Wishlist apps: the hub's signed contract and Swym's static header, flat and nested shapes."""

from __future__ import annotations

import json

import pytest

from adapters.base import SignatureInvalid, WebhookRejected, WebhookRequest
from adapters.contract import AdapterContract, DictMemory, WebhookCase, contract_tests
from adapters.wishlist import WishlistAdapter
from tests.support.fixtures import SECRETS, fixture_bytes, fixture_json, signed

HOOK = "https://hub.example.com/hooks/wishlist-main"
SWYM = {"sender": "swym", "webhook_secret": SECRETS["swym"]}
SWYM_HEADERS = {"Content-Type": "application/json", "Authorization": f"Bearer {SECRETS['swym']}"}
SIGNATURE = ("X-Wishlist-Signature",)

#: The nested shape of Swym's "Wishlist Remove [Beta]" page, with the fixtures' cast.
SWYM_NESTED = json.dumps({
    "EventName": "Swym-removeWishlist", "EventTime": "2026-11-24T23:20:00Z",
    "User": {"UserId": "7shd3456dgey862t5d7s8ej992jd9e", "Medium": "email",
             "MediumValue": "maya.lopez@example.com"},
    "Product": {"ProductId": 8840001003, "ProductName": "Silk Scarf", "ProductPrice": 65,
                "ProductQuantity": 1, "ProductBrand": "Northwind", "ProductCategory": "Accessories",
                "ProductURL": "https://northwind-boutique.myshopify.com/products/silk-scarf?variant=44120001003",
                "ProductImageURL": "https://cdn.shopify.com/s/files/1/0595/8131/7309/products/silk-scarf-coral_620x620.jpg",
                "ProductVariantId": 44120001003, "ProductVariantInfo": "Coral", "ProductVariantSKU": "SS-COR"},
    "List": {"Id": "6f1c2b7e-8d4a-4f0b-9e3c-5a7d1b2c3e4f", "Name": "My Wishlist"},
}, separators=(",", ":")).encode()


def contract_request(name: str) -> WebhookRequest:
    vector = signed(f"wishlist/{name}.json")
    return WebhookRequest("POST", HOOK, vector.headers, vector.body)


def swym_request(body: bytes) -> WebhookRequest:
    return WebhookRequest("POST", "https://hub.example.com/hooks/wishlist-swym", SWYM_HEADERS, body)


CONTRACT = AdapterContract(
    adapter=WishlistAdapter,
    config={"webhook_secret": SECRETS["wishlist"], "currency": "USD"},
    webhooks=[
        WebhookCase("item-added", contract_request("item_added"), ("wishlist.product_added",), SIGNATURE,
                    topic="wishlist.item_added"),
        WebhookCase("item-removed", contract_request("item_removed"), ("wishlist.product_removed",),
                    SIGNATURE, topic="wishlist.item_removed"),
        WebhookCase("swym-add", swym_request(fixture_bytes("wishlist/swym_add_to_wishlist.json")),
                    ("wishlist.product_added",), ("Authorization",), topic="Swym-addToWishlist",
                    signs_body=False, config=SWYM),
        WebhookCase("swym-remove", swym_request(fixture_bytes("wishlist/swym_remove_wishlist.json")),
                    ("wishlist.product_removed",), ("Authorization",), topic="Swym-removeWishlist",
                    signs_body=False, config=SWYM),
        WebhookCase("swym-remove-nested", swym_request(SWYM_NESTED), ("wishlist.product_removed",),
                    ("Authorization",), topic="Swym-removeWishlist", signs_body=False, config=SWYM),
    ],
    connection_id="wishlist-main",
)

TestWishlistContract = contract_tests(CONTRACT)


def event_of(request: WebhookRequest, **config):
    adapter = CONTRACT.build(**config)
    adapter.verify_webhook(request)
    parsed = adapter.parse_webhook(request)
    [event] = adapter.to_events(parsed.topic, parsed.payload, DictMemory())
    return parsed, event


def test_contract_item_becomes_the_wishlist_item_with_a_numeric_price():
    parsed, event = event_of(contract_request("item_added"))
    assert parsed.delivery_id == "wle_01JFQ2A7K3"
    assert event.data["item"] == {
        "product_id": "8840001003", "variant_id": "44120001003", "title": "Silk Scarf",
        "price": 65.0, "currency": "USD",
        "url": "https://northwind-boutique.myshopify.com/products/silk-scarf?variant=44120001003"}
    assert event.customer.email == "maya.lopez@example.com"
    assert event.customer.external_ids == {"shopify": "7212345678901"}
    assert (event.channel, event.source, event.occurred_at) == ("wishlist", "wishlist", "2026-11-20T15:02:11.000000Z")


@pytest.mark.parametrize("flat, nested", [("swym_remove_wishlist", SWYM_NESTED)])
def test_swym_flat_and_nested_shapes_mean_the_same(flat, nested):
    _, from_flat = event_of(swym_request(fixture_bytes(f"wishlist/{flat}.json")), **SWYM)
    _, from_nested = event_of(swym_request(nested), **SWYM)
    for field in ("product_id", "variant_id", "title", "price", "variant_title", "sku", "url"):
        assert from_flat.data["item"][field] == from_nested.data["item"][field], field
    assert from_flat.data["list_id"] == from_nested.data["list_id"] == "6f1c2b7e-8d4a-4f0b-9e3c-5a7d1b2c3e4f"
    assert from_flat.customer.email == from_nested.customer.email == "maya.lopez@example.com"
    assert from_flat.occurred_at == from_nested.occurred_at == "2026-11-24T23:20:00.000000Z"
    assert from_nested.customer.external_ids == {"swym": "7shd3456dgey862t5d7s8ej992jd9e"}


def test_swym_delivery_id_is_stable_and_tells_add_from_remove():
    adapter = CONTRACT.build(**SWYM)
    add = adapter.parse_webhook(swym_request(fixture_bytes("wishlist/swym_add_to_wishlist.json")))
    remove = adapter.parse_webhook(swym_request(fixture_bytes("wishlist/swym_remove_wishlist.json")))
    again = adapter.parse_webhook(swym_request(fixture_bytes("wishlist/swym_add_to_wishlist.json")))
    assert add.delivery_id == again.delivery_id != remove.delivery_id


def test_a_swym_connection_does_not_accept_a_signed_contract_request():
    with pytest.raises(SignatureInvalid, match="Authorization"):
        CONTRACT.build(**SWYM).verify_webhook(contract_request("item_added"))


def test_custom_swym_header_and_scheme():
    adapter = CONTRACT.build(**SWYM, auth_header="X-API-Key", auth_scheme="none")
    body = fixture_bytes("wishlist/swym_add_to_wishlist.json")
    adapter.verify_webhook(WebhookRequest("POST", HOOK, {"X-API-Key": SECRETS["swym"]}, body))
    with pytest.raises(SignatureInvalid):
        adapter.verify_webhook(swym_request(body))


@pytest.mark.parametrize("change, complaint", [
    ({"type": "wishlist.item_viewed"}, "does not accept the topic"),
    ({"type": "cart.updated"}, "field 'type'"),
    ({"id": ""}, "event id"),
    ({"customer": {"id": None, "email": None, "phone": None}}, "at least one of id, email, phone"),
    ({"item": {"title": "Silk Scarf"}}, "product_id"),
])
def test_contract_bodies_missing_what_they_promise_are_refused(change, complaint):
    body = json.dumps({**fixture_json("wishlist/item_added.json"), **change}).encode()
    with pytest.raises(WebhookRejected, match=complaint):
        CONTRACT.build().parse_webhook(WebhookRequest("POST", HOOK, {}, body))
