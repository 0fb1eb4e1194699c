"""Marketing SMS rules the engine enforces: consent at send time, quiet hours in the shop's
time zone, once a day per customer, and a replayed webhook changing nothing."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import responses

from hub import clock
from hub.connections import add_connection
from hub.engine import instances
from hub.events import CanonicalEvent, CustomerRef
from tests.support.engine import emit, work
from tests.support.fixtures import SECRETS, fixture_json

SID = "AC3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"
MESSAGES = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"
BERLIN = ZoneInfo("Europe/Berlin")
MAYA = CustomerRef(email="maya.lopez@example.com", phone="+14155550142")


@pytest.fixture
def settings(settings):
    return settings.with_overrides(timezone="Europe/Berlin", quiet_hours="21:00-09:00")


@pytest.fixture
def shop(rt, frozen_clock):
    add_connection(rt.store, rt.vault, "twilio", "main", {
        "account_sid": SID, "auth_token": SECRETS["twilio"], "from_number": "+14155550100"})
    instances.enable(rt.store, "price-drop-sms", {"shop_name": "Northwind"})
    at(frozen_clock, 2026, 11, 20, 12, 0)
    emit(rt, event("consent.changed", {"channel": "sms", "state": "subscribed",
                                       "source": "shopify", "reason": None}))
    emit(rt, event("wishlist.product_added", {"item": {
        "product_id": "8840001003", "variant_id": "44120001003", "title": "Silk Scarf",
        "price": 65.0, "currency": "USD", "url": "https://shop.example/products/silk-scarf"},
        "list_id": None, "list_name": None}, channel="wishlist"))
    work(rt)
    return rt


def at(frozen, *parts: int) -> None:
    frozen.set(datetime(*parts, tzinfo=BERLIN).astimezone(clock.UTC))


def event(name: str, data: dict, **extra) -> CanonicalEvent:
    return CanonicalEvent(name=name, occurred_at=clock.now_iso(), data=data, customer=MAYA,
                          source=extra.pop("source", "shopify"), **extra)


def price_drop(new_price: float, key: str = "8840001003") -> CanonicalEvent:
    return CanonicalEvent(
        name="product.price_changed", occurred_at=clock.now_iso(), key=key, source="shopify",
        data={"product_id": "8840001003", "title": "Silk Scarf", "handle": "silk-scarf",
              "variants": [{"variant_id": "44120001003", "title": "Coral", "sku": "SS-COR",
                            "old_price": 65.0, "new_price": new_price, "compare_at_price": 65.0,
                            "currency": None}]})


@responses.activate
def test_quiet_hours_defer_across_midnight_in_the_shop_time_zone(shop, frozen_clock):
    responses.post(MESSAGES, status=201, json=fixture_json("twilio/send_response_201.json"))
    at(frozen_clock, 2026, 11, 20, 22, 30)  # Friday 22:30 in Berlin (21:30 UTC)
    emit(shop, price_drop(49.0))
    work(shop)
    [row] = shop.store.list_deliveries(status="pending")
    assert row.next_attempt_at == "2026-11-21T08:00:00.000000Z"  # Saturday 09:00 Berlin
    at(frozen_clock, 2026, 11, 21, 8, 59)
    work(shop)
    assert len(responses.calls) == 0
    at(frozen_clock, 2026, 11, 21, 9, 0)
    work(shop)
    assert len(responses.calls) == 1


@responses.activate
def test_stop_racing_a_pending_sale_sms_means_no_sms(shop, frozen_clock):
    responses.post(MESSAGES, status=201, json=fixture_json("twilio/send_response_201.json"))
    at(frozen_clock, 2026, 11, 21, 7, 45)
    emit(shop, price_drop(49.0))
    work(shop)
    assert shop.store.list_deliveries(status="pending")  # queued for 09:00
    at(frozen_clock, 2026, 11, 21, 8, 30)
    emit(shop, event("consent.changed", {"channel": "sms", "state": "unsubscribed",
                                         "source": "twilio", "reason": "STOP"},
                     source="twilio", channel="sms"))
    work(shop)
    at(frozen_clock, 2026, 11, 21, 9, 0)
    work(shop)
    assert len(responses.calls) == 0
    [row] = shop.store.list_deliveries()
    assert row.status == "refused"
    assert "no SMS consent" in row.last_summary


@responses.activate
def test_at_most_one_sale_sms_per_customer_per_day(shop, frozen_clock):
    responses.post(MESSAGES, status=201, json=fixture_json("twilio/send_response_201.json"))
    at(frozen_clock, 2026, 11, 21, 10, 0)
    emit(shop, price_drop(49.0))
    work(shop)
    at(frozen_clock, 2026, 11, 21, 15, 0)
    emit(shop, price_drop(39.0))
    work(shop)
    assert len(responses.calls) == 1
    at(frozen_clock, 2026, 11, 22, 10, 0)
    emit(shop, price_drop(29.0))
    work(shop)
    assert len(responses.calls) == 2


@responses.activate
def test_without_consent_the_engine_refuses_the_sms(rt, frozen_clock):
    add_connection(rt.store, rt.vault, "twilio", "main", {
        "account_sid": SID, "auth_token": SECRETS["twilio"], "from_number": "+14155550100"})
    instances.enable(rt.store, "price-drop-sms", {"shop_name": "Northwind"})
    at(frozen_clock, 2026, 11, 20, 12, 0)
    emit(rt, event("wishlist.product_added", {"item": {
        "product_id": "8840001003", "variant_id": "44120001003", "title": "Silk Scarf",
        "price": 65.0, "currency": "USD", "url": None}, "list_id": None, "list_name": None},
        channel="wishlist"))
    emit(rt, price_drop(49.0))
    work(rt)
    assert len(responses.calls) == 0
    [row] = rt.store.list_deliveries()
    assert row.status == "refused"
    from hub.store import AuditQuery

    assert rt.store.query_audit(AuditQuery(outcome="refused"))


@responses.activate
def test_a_replayed_webhook_changes_nothing(rt, shopify, client, frozen_clock):
    from tests.support.fixtures import signed

    add_connection(rt.store, rt.vault, "klaviyo", "main", {"api_key": SECRETS["klaviyo"]})
    add_connection(rt.store, rt.vault, "hubspot", "main", {"access_token": "pat-na1-test"})
    instances.enable(rt.store, "purchase-sync")
    request = signed("shopify/orders_create_online.json")
    first = client.post("/hooks/shopify-shop", data=request.body, headers=request.headers)
    work(rt)
    snapshot = (rt.store.count_events(), len(rt.store.list_runs()), len(rt.store.list_deliveries()),
                rt.store.get_profile(rt.store.list_runs()[0].profile_id).to_dict())
    again = client.post("/hooks/shopify-shop", data=request.body, headers=request.headers)
    work(rt)
    assert (first.status_code, again.status_code) == (202, 200)
    after = (rt.store.count_events(), len(rt.store.list_runs()), len(rt.store.list_deliveries()),
             rt.store.get_profile(rt.store.list_runs()[0].profile_id).to_dict())
    assert after == snapshot
