"""One customer, Maya, through every channel (``tests/fixtures/README.md``, "The journey").

Real signed webhooks enter through the web app, the shipped recipes run, and every request
the hub sends to Klaviyo, HubSpot and Twilio is captured (``responses``) and checked; at the
end the profile must tell the whole story.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import responses

from hub import clock
from hub.connections import add_connection
from hub.customers import find_customer
from hub.engine import instances
from tests.support.engine import work
from tests.support.fixtures import SECRETS, fixture_json, signed

NY = ZoneInfo("America/New_York")
KLAVIYO = "https://a.klaviyo.com"
HUBSPOT = "https://api.hubapi.com"
TWILIO = "https://api.twilio.com"
SID = "AC3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"


@pytest.fixture
def settings(settings):
    return settings.with_overrides(timezone="America/New_York", quiet_hours="21:00-09:00")


@pytest.fixture
def shop(rt):
    store, vault = rt.store, rt.vault
    add_connection(store, vault, "shopify", "shop", {"webhook_secret": SECRETS["shopify"]})
    add_connection(store, vault, "wishlist", "main", {"webhook_secret": SECRETS["wishlist"]})
    add_connection(store, vault, "klaviyo", "main", {"api_key": SECRETS["klaviyo"],
                                                    "list_id": "RkTq2Z"})
    add_connection(store, vault, "twilio", "main", {"account_sid": SID,
                                                   "auth_token": SECRETS["twilio"],
                                                   "from_number": "+14155550100"})
    add_connection(store, vault, "hubspot", "main", {"access_token": "pat-na1-test-token",
                                                    "client_secret": SECRETS["hubspot"]})
    for recipe_id in ("abandoned-checkout-email", "cart-wishlist-to-crm", "wishlist-to-klaviyo",
                      "purchase-sync", "sms-consent-sync", "welcome"):
        instances.enable(store, recipe_id)
    instances.enable(store, "price-drop-sms", {"shop_name": "Northwind"})
    return rt


@pytest.fixture
def vendors():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(f"{KLAVIYO}/api/events/", status=202)
        mock.post(f"{KLAVIYO}/api/profile-import/", status=201,
                  json=fixture_json("klaviyo/profile_import_response_200.json"))
        mock.post(re.compile(rf"{KLAVIYO}/api/profile-subscription-bulk-(create|delete)-jobs/"),
                  status=202)
        mock.get(f"{HUBSPOT}/crm/v3/properties/contacts", json={"results": [
            {"name": n} for n in ("hub_cart_items", "hub_cart_value", "hub_wishlist",
                                  "hub_last_channel", "hub_sms_consent", "hub_email_consent",
                                  "hub_last_order_name", "hub_last_order_date",
                                  "hub_last_order_value", "hub_lifetime_value",
                                  "hub_order_count")]})
        mock.post(f"{HUBSPOT}/crm/v3/objects/contacts/batch/upsert",
                  json=fixture_json("hubspot/batch_upsert_response_200.json"))
        mock.get(re.compile(rf"{HUBSPOT}/crm/v3/objects/contacts/.+"),
                 json={"id": "51234567001", "properties": {}})
        mock.post(f"{HUBSPOT}/crm/v3/objects/notes", status=201, json={"id": "9001"})
        mock.post(f"{TWILIO}/2010-04-01/Accounts/{SID}/Messages.json", status=201,
                  json=fixture_json("twilio/send_response_201.json"))
        yield mock


def at(frozen, year_month_day_hour_minute: tuple[int, ...]) -> None:
    frozen.set(datetime(*year_month_day_hour_minute, tzinfo=NY).astimezone(clock.UTC))


def post(client, fixture: str, connection: str, path: str = "") -> int:
    request = signed(fixture)
    answer = client.post(f"/hooks/{connection}{path}", data=request.body, headers=request.headers)
    assert answer.status_code in (200, 202), answer.get_data(as_text=True)
    return answer.status_code


def sent(mock, path_part: str) -> list:
    """Bodies of the requests sent whose URL contains ``path_part``, oldest first."""
    bodies = []
    for call in mock.calls:
        if path_part in call.request.url and call.request.method == "POST":
            body = call.request.body
            body = body.decode() if isinstance(body, bytes) else body
            bodies.append(json.loads(body) if body and body.startswith("{") else body)
    return bodies


def metrics(mock) -> list[str]:
    return [b["data"]["attributes"]["metric"]["data"]["attributes"]["name"]
            for b in sent(mock, "/api/events/")]


def test_maya_across_every_channel(shop, client, vendors, frozen_clock):
    rt = shop
    # 1. Fri 09:00 — account created with email and SMS consent → welcome flow.
    at(frozen_clock, (2026, 11, 20, 9, 0))
    post(client, "shopify/customers_create.json", "shopify-shop")
    work(rt)
    [profile_import] = sent(vendors, "/api/profile-import/")
    wanted = fixture_json("klaviyo/profile_import_request.json")["data"]["attributes"]
    assert {k: profile_import["data"]["attributes"][k] for k in
            ("email", "phone_number", "external_id", "first_name", "last_name")} == \
        {k: wanted[k] for k in ("email", "phone_number", "external_id", "first_name", "last_name")}
    subscribed = sent(vendors, "bulk-create-jobs")
    assert any(b["data"]["attributes"]["profiles"]["data"][0]["attributes"].get("phone_number")
               == "+14155550142" for b in subscribed)

    # 2-4. Cart, checkout started and updated: one reminder wait, restarted by the update.
    at(frozen_clock, (2026, 11, 20, 9, 5))
    post(client, "shopify/carts_update.json", "shopify-shop")
    at(frozen_clock, (2026, 11, 20, 9, 12))
    post(client, "shopify/checkouts_create.json", "shopify-shop")
    frozen_clock.set(datetime(2026, 11, 20, 14, 14, 2, tzinfo=clock.UTC))
    post(client, "shopify/checkouts_update.json", "shopify-shop")
    work(rt)
    [waiting] = rt.store.list_waits()
    assert waiting.due_at == "2026-11-20T16:14:02.000000Z"

    # 5. 10:02 — wishlist: Klaviyo "Added to Wishlist" exactly as the fixture; CRM updated.
    at(frozen_clock, (2026, 11, 20, 10, 2))
    post(client, "wishlist/item_added.json", "wishlist-main")
    work(rt)
    assert sent(vendors, "/api/events/")[-1] == fixture_json("klaviyo/create_event_added_to_wishlist.json")
    contact = sent(vendors, "/batch/upsert")[-1]["inputs"][0]
    assert contact["id"] == "maya.lopez@example.com"
    assert contact["properties"]["hub_cart_value"] == "176.00"
    assert contact["properties"]["hub_wishlist"].startswith("Silk Scarf")
    [note] = sent(vendors, "/crm/v3/objects/notes")  # one a day per customer
    assert "Linen Wrap Dress (Blue / M), Straw Tote" in note["properties"]["hs_note_body"]
    assert note["associations"] == fixture_json("hubspot/create_note_request.json")["associations"]

    # 6. 11:14 — the wait fires: "Abandoned Checkout" exactly as the fixture.
    frozen_clock.set(datetime(2026, 11, 20, 16, 14, 2, tzinfo=clock.UTC))
    work(rt)
    assert sent(vendors, "/api/events/")[-1] == fixture_json("klaviyo/create_event_abandoned_checkout.json")

    # 7. Sat 07:45 — the scarf drops to $49: quiet hours, so the SMS waits for 09:00.
    at(frozen_clock, (2026, 11, 21, 7, 45))
    post(client, "shopify/products_update_price_drop.json", "shopify-shop")
    work(rt)
    assert sent(vendors, "Messages.json") == []
    [sms] = rt.store.list_deliveries(status="pending")
    assert sms.next_attempt_at == "2026-11-21T14:00:00.000000Z"

    # 8. 09:00 — exactly one SMS, exactly the fixture's form.
    at(frozen_clock, (2026, 11, 21, 9, 0))
    work(rt)
    [form] = sent(vendors, "Messages.json")
    from urllib.parse import parse_qsl

    assert dict(parse_qsl(form)) == fixture_json("twilio/send_request.json")

    # 9. Twilio reports it delivered.
    post(client, "twilio/status_callback_delivered.txt", "twilio-main")  # signed as sent there
    work(rt)
    assert rt.store.get_delivery(sms.id).vendor_status == "delivered"

    # 10. 12:40 — web order: "Placed Order" exactly as the fixture; the cart is cleared.
    frozen_clock.set(datetime(2026, 11, 21, 17, 40, 18, tzinfo=clock.UTC))
    post(client, "shopify/orders_create_online.json", "shopify-shop")
    work(rt)
    assert sent(vendors, "/api/events/")[-1] == fixture_json("klaviyo/create_event_placed_order.json")
    assert find_customer(rt.store, "maya.lopez@example.com").cart is None

    # 11. Sun 16:05 — bought in store under another Shopify customer: same phone, one person.
    at(frozen_clock, (2026, 11, 22, 16, 5))
    post(client, "shopify/orders_create_pos.json", "shopify-shop")
    work(rt)
    maya = find_customer(rt.store, "+14155550142")
    assert sorted(maya.external_ids["shopify"]) == ["7212345678901", "7212345679999"]
    assert [p["channel"] for p in maya.purchases] == ["online", "in_store"]

    # 12-13. Mon — a new checkout completed within the delay: its reminder is cancelled.
    before = metrics(vendors).count("Abandoned Checkout")
    at(frozen_clock, (2026, 11, 23, 10, 0))
    post(client, "shopify/checkouts_create_completed_soon.json", "shopify-shop")
    work(rt)
    at(frozen_clock, (2026, 11, 23, 10, 38))
    post(client, "shopify/orders_create_completing_soon.json", "shopify-shop")
    work(rt)
    at(frozen_clock, (2026, 11, 23, 14, 0))
    work(rt)
    assert metrics(vendors).count("Abandoned Checkout") == before
    assert rt.store.list_waits() == []

    # 14. 20:15 — STOP: consent off in the profile, Klaviyo and HubSpot at once.
    at(frozen_clock, (2026, 11, 23, 20, 15))
    post(client, "twilio/inbound_sms_stop.txt", "twilio-main")
    work(rt)
    assert sent(vendors, "bulk-delete-jobs")[-1] == fixture_json("klaviyo/unsubscribe_sms_request.json")
    assert sent(vendors, "/batch/upsert")[-1]["inputs"][0]["properties"]["hub_sms_consent"] == "unsubscribed"
    assert find_customer(rt.store, "+14155550142").consent_state("sms") == "unsubscribed"

    # 15. Another price drop after STOP: the SMS is refused by the engine, never sent.
    texts_before = len(sent(vendors, "Messages.json"))
    drop = fixture_json("shopify/products_update_price_drop.json")
    for variant in drop["variants"]:
        variant["price"] = "39.00"
    from tests.support.signing import shopify_headers

    body = json.dumps(drop).encode()
    at(frozen_clock, (2026, 11, 24, 11, 0))
    answer = client.post("/hooks/shopify-shop", data=body, headers=shopify_headers(
        body, SECRETS["shopify"], topic="products/update", event_id="drop-2"))
    assert answer.status_code == 202
    work(rt)
    assert len(sent(vendors, "Messages.json")) == texts_before
    refused = rt.store.list_deliveries(status="refused")
    assert refused and "no SMS consent" in refused[0].last_summary

    # 16. Tue 10:00 — in the CRM, an associate records the customer's SMS consent; the
    #     contact id HubSpot gave back on the first upsert finds her.
    assert "51234567001" in find_customer(rt.store, "maya.lopez@example.com").external_ids["hubspot"]
    frozen_clock.set(datetime(2026, 11, 24, 15, 0, 5, tzinfo=clock.UTC))
    post(client, "hubspot/webhook_contact_property_change.json", "hubspot-main")
    work(rt)
    assert find_customer(rt.store, "maya.lopez@example.com").consent["sms"]["source"] == "hubspot"

    # 17. The scarf leaves the wishlist.
    at(frozen_clock, (2026, 11, 24, 18, 20))
    post(client, "wishlist/item_removed.json", "wishlist-main")
    work(rt)

    final = find_customer(rt.store, "maya.lopez@example.com")
    assert final.emails == ["maya.lopez@example.com"]
    assert final.phones == ["+14155550142"]
    assert final.wishlist == []
    assert final.cart is None
    assert len(final.purchases) == 3
    assert final.consent_state("email") == "subscribed"
    assert final.consent_state("sms") == "unsubscribed"
    assert rt.store.list_deliveries(status="dead") == []
    timeline = [entry.event_name for entry in rt.store.list_timeline(final.id, limit=100)]
    for name in ("customer.created", "checkout.started", "wishlist.product_added",
                 "product.price_changed", "order.completed", "consent.changed",
                 "wishlist.product_removed"):
        assert name in timeline
