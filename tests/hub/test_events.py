"""Canonical events: one JSON Schema per name, examples that pass and fail, one time format."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from hub.events import (
    COMMON_SCHEMA,
    EVENT_NAMES,
    SCHEMA_DIR,
    CanonicalEvent,
    CustomerRef,
    EventInvalid,
    event_schema,
    utc_iso,
    validate_event,
)

ROOT = Path(__file__).resolve().parents[2]
AT = "2026-11-20T14:12:40.000000Z"
MAYA = CustomerRef(email="maya.lopez@example.com", phone="+14155550142",
                   external_ids={"shopify": "7212345678901"}, first_name="Maya", last_name="Lopez")
ITEM = {"product_id": "8840001001", "variant_id": "44120001001", "title": "Linen Wrap Dress",
        "variant_title": "Blue / M", "sku": "LWD-BLU-M", "quantity": 1, "price": 128.0,
        "currency": "USD"}
CART = {"cart_token": "Z2NwLXVz", "checkout_token": "5b9f3c2a", "line_items": [ITEM],
        "value": 128.0, "currency": "USD", "recovery_url": "https://shop.example/recover",
        "completed_at": None}
ORDER = {"order_id": "5801234567890", "order_name": "#1042", "checkout_token": "5b9f3c2a",
         "cart_token": None, "line_items": [ITEM], "total": 128.0, "currency": "USD",
         "channel": "online", "location_id": None, "financial_status": "paid",
         "cancelled_at": None, "cancel_reason": None}
WISH = {"item": {"product_id": "8840001003", "variant_id": "44120001003", "title": "Silk Scarf",
                 "price": 65.0, "currency": "USD", "url": "https://shop.example/products/silk-scarf"},
        "list_id": "wl-1"}
CONSENT = {"state": "subscribed", "source": "shopify", "opt_in_level": "single_opt_in",
           "updated_at": AT}

VALID = {
    "customer.created": {"first_name": "Maya", "last_name": "Lopez", "email_consent": CONSENT,
                         "sms_consent": None, "tags": ["vip"]},
    "customer.updated": {"properties": {"hs_sms_consent": "false"}},
    "cart.updated": {**CART, "checkout_token": None},
    "checkout.started": CART,
    "checkout.updated": {**CART, "completed_at": AT},
    "order.completed": ORDER,
    "order.paid": {"order_id": "5801234567890", "financial_status": "paid"},
    "order.cancelled": {"order_id": "5801234567890", "cancelled_at": AT, "cancel_reason": "customer"},
    "order.refunded": {"order_id": "5801234567890", "refunded_amount": 48.0, "currency": "USD"},
    "wishlist.product_added": WISH,
    "wishlist.product_removed": WISH,
    "product.price_changed": {"product_id": "8840001003", "title": "Silk Scarf", "variants": [
        {"variant_id": "44120001003", "old_price": 65.0, "new_price": 49.0, "currency": "USD"}]},
    "sms.received": {"from": "+14155550142", "to": "+14155550100", "body": "Stop",
                     "message_sid": "SM1", "opt_out_type": "STOP"},
    "consent.changed": {"channel": "sms", "state": "unsubscribed", "source": "twilio",
                        "reason": "replied STOP"},
    "message.status_updated": {"message_sid": "SMc3", "status": "undelivered", "error_code": "30003"},
}


def example(name: str, **changes) -> CanonicalEvent:
    channel = {"sms.received": "sms", "order.completed": "online"}.get(name)
    event = CanonicalEvent(name=name, occurred_at=AT, data=VALID[name], customer=MAYA, key="k-1",
                           channel=channel, source="shopify")
    return replace(event, **changes)


def test_every_event_name_has_a_schema_and_every_schema_a_name():
    files = {p.stem for p in SCHEMA_DIR.glob("*.json")} - {COMMON_SCHEMA}
    assert files == set(EVENT_NAMES)
    assert set(VALID) == set(EVENT_NAMES)


@pytest.mark.parametrize("name", sorted(EVENT_NAMES))
def test_schema_is_valid_draft_2020_12_and_describes_its_event(name):
    schema = event_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(f"/events/v1/{name}.json")
    assert schema["properties"]["name"] == {"const": name}
    assert schema["description"] == EVENT_NAMES[name]


def test_common_definitions_are_valid_json_schema():
    common = json.loads((SCHEMA_DIR / f"{COMMON_SCHEMA}.json").read_text())
    jsonschema.Draft202012Validator.check_schema(common)


@pytest.mark.parametrize("name", sorted(EVENT_NAMES))
def test_valid_example_passes(name):
    validate_event(example(name))


@pytest.mark.parametrize("name, changes, complaint", [
    ("cart.updated", {"data": {**CART, "value": "128.00"}}, "data/value"),
    ("cart.updated", {"data": {**CART, "cart_token": None}}, "data/cart_token"),
    ("checkout.started", {"data": {k: v for k, v in CART.items() if k != "line_items"}}, "line_items"),
    ("checkout.started", {"data": {**CART, "line_items": [{**ITEM, "quantity": 1.5}]}}, "quantity"),
    ("checkout.updated", {"data": {**CART, "completed_at": "2026-11-20T09:12:40-05:00"}}, "completed_at"),
    ("order.completed", {"data": {**ORDER, "channel": "phone"}}, "data/channel"),
    ("order.completed", {"channel": "sms"}, "channel"),
    ("order.completed", {"data": {**ORDER, "total": -1}}, "data/total"),
    ("order.paid", {"data": {"order_id": 5801234567890}}, "data/order_id"),
    ("wishlist.product_added", {"data": {"item": {**WISH["item"], "price": "65.00"}}}, "price"),
    ("product.price_changed", {"data": {**VALID["product.price_changed"], "variants": []}}, "variants"),
    ("consent.changed", {"data": {"channel": "sms", "state": "maybe", "source": "x"}}, "data/state"),
    ("consent.changed", {"data": {"channel": "push", "state": "subscribed", "source": "x"}}, "data/channel"),
    ("consent.changed", {"data": {"channel": "sms", "state": "subscribed"}}, "source"),
    ("sms.received", {"data": {"to": "+1", "body": "hi", "message_sid": "SM1"}}, "from"),
    ("message.status_updated", {"data": {"message_sid": "SM1", "status": "lost", "error_code": None}}, "status"),
    ("customer.created", {"data": {"nickname": "M"}}, "nickname"),
    ("customer.created", {"customer": CustomerRef(external_ids={"shopify": ""})}, "external_ids"),
    ("customer.created", {"occurred_at": "2026-11-20T09:00:04-05:00"}, "occurred_at"),
    ("customer.created", {"channel": "carrier-pigeon"}, "channel"),
])
def test_invalid_example_is_refused_naming_the_field(name, changes, complaint):
    with pytest.raises(EventInvalid, match=complaint):
        validate_event(example(name, **changes))


def test_an_unknown_event_name_is_refused():
    with pytest.raises(EventInvalid, match="unknown canonical event"):
        validate_event(CanonicalEvent(name="cart.viewed", occurred_at=AT, data={}))


def test_raw_payload_travels_with_the_event_but_not_in_its_validated_form():
    event = example("order.paid", raw={"id": 5801234567890})
    assert "raw" not in event.to_dict() and event.to_dict(with_raw=True)["raw"] == {"id": 5801234567890}
    assert CanonicalEvent.from_dict(event.to_dict()) == replace(event, raw=None)


@pytest.mark.parametrize("given, expected", [
    ("2026-11-20T09:00:04-05:00", "2026-11-20T14:00:04.000000Z"),
    ("2026-11-20T14:00:05.000000000Z", "2026-11-20T14:00:05.000000Z"),
    ("2026-11-20T14:05:31.000Z", "2026-11-20T14:05:31.000000Z"),
    ("Fri, 20 Nov 2026 14:00:05 +0000", "2026-11-20T14:00:05.000000Z"),
    (1795532405000, "2026-11-24T15:00:05.000000Z"),
    ("1795532405000", "2026-11-24T15:00:05.000000Z"),
    (1795532405, "2026-11-24T15:00:05.000000Z"),
])
def test_vendor_times_become_one_sortable_utc_form(given, expected):
    assert utc_iso(given) == expected


@pytest.mark.parametrize("given", ["", "yesterday", None, True])
def test_what_is_not_a_time_is_refused(given):
    with pytest.raises(ValueError):
        utc_iso(given)


@pytest.mark.parametrize("name", sorted(EVENT_NAMES))
def test_every_event_and_its_data_fields_are_documented(name):
    docs = (ROOT / "docs" / "events.md").read_text()
    assert f"`{name}`" in docs
    schema = event_schema(name)
    data = schema["properties"]["data"]
    fields = set(data.get("properties", {}))
    for part in data.get("allOf", []):
        definition = part["$ref"].split("/")[-1]
        common = json.loads((SCHEMA_DIR / f"{COMMON_SCHEMA}.json").read_text())
        fields |= set(common["$defs"][definition]["properties"])
    missing = sorted(f for f in fields if f"`{f}`" not in docs)
    assert not missing, f"docs/events.md does not mention {missing}"
