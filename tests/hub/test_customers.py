"""One profile per person: identities, merges, consent, cart, wishlist, purchases, timeline."""

from __future__ import annotations

import pytest

from hub.customers import CustomerNotFound, find_customer, search_customers, update_profiles
from hub.events import CanonicalEvent, CustomerRef
from hub.identity import normalise_email, normalise_phone
from hub.store import AuditQuery

DRESS = {"product_id": "8840001001", "variant_id": "44120001001", "title": "Linen Wrap Dress",
         "variant_title": "Blue / M", "sku": "LWD-BLU-M", "quantity": 1, "price": "128.00"}
TOTE = {"product_id": "8840001002", "variant_id": "44120001002", "title": "Straw Tote",
        "variant_title": "Natural", "sku": "ST-NAT", "quantity": 1, "price": "48.00"}
SCARF = {"product_id": "8840001003", "variant_id": "44120001003", "title": "Silk Scarf",
         "variant_title": "Coral", "price": "65.00", "currency": "USD"}
MAYA = CustomerRef(email="maya.lopez@example.com", phone="+14155550142",
                   external_ids={"shopify": "7212345678901"}, first_name="Maya", last_name="Lopez")


def event(name: str, at: str, data: dict, customer: CustomerRef = MAYA, channel: str = "online",
          source: str = "shopify", key: str | None = None) -> CanonicalEvent:
    return CanonicalEvent(name=name, occurred_at=at, data=data, customer=customer, key=key,
                          channel=channel, source=source)


def customer_created(at="2026-11-20T14:00:04.000000Z", sms="subscribed"):
    return event("customer.created", at, {
        "first_name": "Maya", "last_name": "Lopez",
        "email_consent": {"state": "subscribed", "source": "shopify", "updated_at": at},
        "sms_consent": {"state": sms, "source": "shopify", "updated_at": at}})


def checkout(at="2026-11-20T14:12:40.000000Z", phone="(415) 555-0142", email="maya.lopez@example.com"):
    return event("checkout.started", at, {
        "checkout_token": "5b9f3c2ad41e4f0e8c1b7a6d9e2f4a10",
        "cart_token": "Z2NwLXVzLWVhc3QxOjAxSkZQN1dTQ0ZQUTdNQk1ZV1E4R1pSUTNF",
        "line_items": [DRESS, TOTE], "value": "176.00", "currency": "USD",
        "recovery_url": "https://northwind-boutique.myshopify.com/recover", "completed_at": None},
        customer=CustomerRef(email=email, phone=phone, first_name="Maya", last_name="Lopez"),
        key="5b9f3c2ad41e4f0e8c1b7a6d9e2f4a10")


def order(at="2026-11-21T17:40:18.000000Z", order_id="5801234567890", channel="online",
          customer=MAYA, checkout_token="5b9f3c2ad41e4f0e8c1b7a6d9e2f4a10", total="176.00"):
    return event("order.completed", at, {
        "order_id": order_id, "order_name": "#1042", "checkout_token": checkout_token,
        "cart_token": None, "line_items": [DRESS, TOTE], "total": total, "currency": "USD",
        "channel": channel, "location_id": None, "financial_status": "paid"},
        customer=customer, channel=channel, key=order_id)


def wishlist(name="wishlist.product_added", at="2026-11-20T15:02:11.000000Z"):
    return event(name, at, {"item": SCARF, "list_id": None},
                 customer=CustomerRef(email="maya.lopez@example.com",
                                      external_ids={"shopify": "7212345678901"}),
                 channel="wishlist", source="wishlist")


def apply(rt, *events):
    return [update_profiles(rt.store, e, region="US", event_id=n, correlation_id=f"c{n}")
            for n, e in enumerate(events, 1)]


@pytest.mark.parametrize("raw, expected", [
    ("+14155550142", "+14155550142"), ("(415) 555-0142", "+14155550142"),
    ("415-555-0142", "+14155550142"), ("+44 20 7946 0958", "+442079460958"),
    ("12", None), ("", None), (None, None),
])
def test_phone_numbers_normalise_to_e164_with_the_default_region(raw, expected):
    assert normalise_phone(raw, "US") == expected


@pytest.mark.parametrize("raw, expected", [
    (" Maya.Lopez@Example.com ", "maya.lopez@example.com"), ("jordan.kim@example", None), ("", None),
])
def test_emails_are_trimmed_and_lower_cased(raw, expected):
    assert normalise_email(raw) == expected


def test_a_checkout_phone_written_differently_finds_the_same_person(rt):
    created, checked_out = apply(rt, customer_created(), checkout())
    assert created.profile.id == checked_out.profile.id
    profile = rt.store.get_profile(created.profile.id)
    assert profile.phones == ["+14155550142"] and profile.cart["value"] == "176.00"


def test_an_anonymous_cart_joins_the_person_who_checks_out_with_it(rt):
    anonymous_cart = event("cart.updated", "2026-11-20T14:05:31.000000Z", {
        "cart_token": "Z2NwLXVzLWVhc3QxOjAxSkZQN1dTQ0ZQUTdNQk1ZV1E4R1pSUTNF",
        "line_items": [DRESS, TOTE], "value": "176.00", "currency": "USD"}, customer=CustomerRef())
    created, cart, checked_out = apply(rt, customer_created(), anonymous_cart, checkout())
    assert cart.profile.id != created.profile.id  # nobody known yet
    assert checked_out.profile.id == created.profile.id and checked_out.merged == (cart.profile.id,)
    assert rt.store.get_profile(cart.profile.id).id == created.profile.id  # old id still resolves
    assert search_customers(rt.store, "") == [rt.store.get_profile(created.profile.id)]


def test_two_profiles_an_event_shows_to_be_one_person_merge_keeping_everything(rt):
    pos_customer = CustomerRef(phone="415-555-0142", external_ids={"shopify": "7212345679999"},
                               first_name="Maya", last_name="L.")
    first, second, joined = apply(
        rt,
        order(at="2026-11-22T21:05:44.000000Z", order_id="5801234599999", channel="in_store",
              customer=pos_customer, checkout_token=None, total="49.00"),
        wishlist(),
        checkout(at="2026-11-23T15:00:00.000000Z"),
    )
    assert first.profile.id != second.profile.id
    survivor = rt.store.get_profile(joined.profile.id)
    assert set(joined.merged) | {survivor.id} == {first.profile.id, second.profile.id}
    assert sorted(survivor.external_ids["shopify"]) == ["7212345678901", "7212345679999"]
    assert survivor.emails == ["maya.lopez@example.com"] and survivor.phones == ["+14155550142"]
    assert [p["order_id"] for p in survivor.purchases] == ["5801234599999"]
    assert [w["variant_id"] for w in survivor.wishlist] == ["44120001003"]
    assert survivor.last_name == "Lopez"  # the fuller name wins over "L."
    timeline = rt.store.list_timeline(survivor.id)
    assert len(timeline) == 3  # every event of both profiles, now on one
    [merge_entry] = rt.store.query_audit(AuditQuery(action="merge"))
    assert merge_entry.subject_id == survivor.id


def test_stop_revokes_sms_consent_and_an_older_statement_cannot_restore_it(rt):
    stop = event("consent.changed", "2026-11-24T01:15:00.000000Z",
                 {"channel": "sms", "state": "unsubscribed", "source": "twilio", "reason": "STOP"},
                 customer=CustomerRef(phone="+14155550142"), channel="sms", source="twilio")
    late_old_update = customer_created(at="2026-11-20T14:00:04.000000Z")
    created, stopped, late = apply(rt, customer_created(), stop, late_old_update)
    assert stopped.change.consent_changed == {"sms": "unsubscribed"}
    profile = rt.store.get_profile(created.profile.id)
    assert profile.consent_state("sms") == "unsubscribed"
    assert profile.consent["sms"]["source"] == "twilio"
    assert late.change.consent_changed == {}
    assert profile.consent_state("email") == "subscribed"


def test_purchase_is_recorded_clears_the_cart_and_adds_to_lifetime_value(rt):
    results = apply(rt, customer_created(), checkout(), order())
    profile = rt.store.get_profile(results[0].profile.id)
    assert profile.cart is None
    assert profile.lifetime_value == "176.00" and profile.to_dict()["order_count"] == 1
    assert profile.to_dict()["last_order"]["order_id"] == "5801234567890"


def test_the_same_order_twice_is_one_purchase(rt):
    results = apply(rt, customer_created(), order(), order())
    assert len(rt.store.get_profile(results[0].profile.id).purchases) == 1


def test_wishlist_add_remove_and_price_drop_for_wishlisters_only(rt):
    results = apply(rt, customer_created(), wishlist())
    other = CustomerRef(email="jordan.kim@example.com")
    apply(rt, event("customer.created", "2026-11-20T16:00:00.000000Z", {}, customer=other))
    drop = event("product.price_changed", "2026-11-21T12:45:00.000000Z", {
        "product_id": "8840001003", "title": "Silk Scarf", "url": None,
        "variants": [{"variant_id": "44120001003", "title": "Coral", "old_price": "65.00",
                      "new_price": "49.00", "compare_at_price": "65.00"}]}, customer=CustomerRef())
    [update] = apply(rt, drop)
    assert [p.id for p in update.wishlisters] == [results[0].profile.id]
    [item] = rt.store.get_profile(results[0].profile.id).wishlist
    assert (item["price_when_added"], item["current_price"]) == ("65.00", "49.00")
    apply(rt, wishlist("wishlist.product_removed", at="2026-11-24T23:20:00.000000Z"))
    assert rt.store.get_profile(results[0].profile.id).wishlist == []
    [again] = apply(rt, drop)
    assert again.wishlisters == ()


def test_timeline_is_in_the_order_things_happened_across_channels(rt):
    results = apply(rt, customer_created(), wishlist(), checkout(), order())
    lines = rt.store.list_timeline(results[0].profile.id)
    assert [line.event_name for line in lines] == [
        "order.completed", "wishlist.product_added", "checkout.started", "customer.created"]
    assert lines[0].summary.startswith("bought Linen Wrap Dress (Blue / M), Straw Tote (Natural) online")


def test_find_customer_by_email_phone_or_id(rt):
    [created] = apply(rt, customer_created())
    for query in ("MAYA.LOPEZ@example.com", "(415) 555-0142", created.profile.id):
        assert find_customer(rt.store, query).id == created.profile.id
    with pytest.raises(CustomerNotFound, match="no customer matches 'nobody@example.com'"):
        find_customer(rt.store, "nobody@example.com")


def test_search_finds_people_by_part_of_a_name_or_a_phone_in_any_format(rt):
    [created] = apply(rt, customer_created())
    assert [p.id for p in search_customers(rt.store, "lopez")] == [created.profile.id]
    assert [p.id for p in search_customers(rt.store, "415 555 0142")] == [created.profile.id]
    assert search_customers(rt.store, "100%_") == []


def test_cli_shows_a_profile_and_its_timeline(rt, monkeypatch):
    from click.testing import CliRunner

    from hub.cli import main

    apply(rt, customer_created(), wishlist(), checkout())
    monkeypatch.setenv("HUB_SECRET_KEY", rt.settings.secret_key)
    result = CliRunner().invoke(main, ["--data-dir", str(rt.settings.data_dir), "customers",
                                       "show", "(415) 555-0142"])
    assert result.exit_code == 0, result.output
    assert "Maya Lopez" in result.output and "sms subscribed (shopify" in result.output
    assert "cart:      Linen Wrap Dress ×1, Straw Tote ×1 — 176.00 USD" in result.output
    assert "wishlist:  Silk Scarf (65.00)" in result.output
    assert result.output.index("checkout started") < result.output.index("customer created")
    missing = CliRunner().invoke(main, ["--data-dir", str(rt.settings.data_dir), "customers",
                                        "show", "nobody@example.com"])
    assert missing.exit_code == 1 and "no customer matches" in missing.output
