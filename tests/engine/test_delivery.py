"""Outbox delivery: retries with backoff, Retry-After, dead letters, replay, unknown outcomes."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
import requests
import responses

from hub import clock, delivery
from hub.store import NewDelivery
from tests.support.engine import OWNER, klaviyo, twilio

EVENTS_URL = "https://a.klaviyo.com/api/events/"
INPUTS = {"metric": "Abandoned Checkout", "email": "maya.lopez@example.com",
          "unique_id": "abandoned-checkout-5b9f3c2a", "properties": {"Items": []}}


@pytest.fixture
def now():
    with clock.frozen(datetime(2026, 11, 20, 16, 14, 2, tzinfo=clock.UTC)) as frozen:
        yield frozen


@pytest.fixture
def row(rt, now):
    klaviyo(rt)
    delivery_id = rt.store.enqueue_delivery(NewDelivery(
        idempotency_key="k-1", connection_id="klaviyo-email", adapter="klaviyo",
        action="track_event", inputs=INPUTS))
    return delivery_id


def deliver(rt) -> int:
    return delivery.deliver_due(rt, OWNER)


def status(rt, delivery_id):
    return rt.store.get_delivery(delivery_id)


@responses.activate
def test_500_500_200_ends_delivered_after_three_attempts(rt, row, now):
    for code in (500, 500, 202):
        responses.post(EVENTS_URL, status=code, json={"errors": []} if code == 500 else None)
    deliver(rt)
    assert status(rt, row).status == "pending"
    deliver(rt)  # not due yet: backoff
    assert len(responses.calls) == 1
    for _ in range(2):
        now.set(clock.parse_iso(status(rt, row).next_attempt_at))
        deliver(rt)
    final = status(rt, row)
    assert (final.status, final.attempts, len(responses.calls)) == ("delivered", 3, 3)
    kinds = [a.kind for a in rt.store.list_attempts(row)]
    assert kinds == ["retry", "retry", "delivered"]
    audited = [e.outcome for e in rt.store.query_audit(
        __import__("hub.store", fromlist=["AuditQuery"]).AuditQuery(subject_type="delivery"))]
    assert audited.count("retrying") == 2 and audited.count("delivered") == 1


@responses.activate
def test_429_with_retry_after_waits_at_least_that_long(rt, row, now):
    responses.post(EVENTS_URL, status=429, headers={"Retry-After": "2"},
                   json={"errors": [{"status": 429, "code": "throttled",
                                     "title": "Request was throttled.",
                                     "detail": "Request was throttled. Expected available in 2 seconds."}]})
    responses.post(EVENTS_URL, status=202)
    deliver(rt)
    due = clock.parse_iso(status(rt, row).next_attempt_at)
    assert (due - now.move()).total_seconds() >= 2
    now.move(seconds=1.9)
    deliver(rt)
    assert len(responses.calls) == 1
    now.set(due)
    deliver(rt)
    assert status(rt, row).status == "delivered"


@responses.activate
def test_a_400_is_a_dead_letter_at_once_and_replay_resends_it(rt, row, now):
    responses.post(EVENTS_URL, status=400, json={"errors": [{
        "status": 400, "code": "invalid", "title": "Invalid input.",
        "detail": "The email 'maya' is not valid.", "source": {"pointer": "/data/attributes/profile"}}]})
    responses.post(EVENTS_URL, status=202)
    deliver(rt)
    dead = status(rt, row)
    assert dead.status == "dead" and dead.attempts == 1
    assert "not valid" in dead.last_summary
    assert [d.id for d in rt.store.list_deliveries(status="dead")] == [row]

    assert delivery.replay(rt, row, actor="owner")
    deliver(rt)
    assert status(rt, row).status == "delivered"
    assert len(responses.calls) == 2


@responses.activate
def test_a_timeout_on_an_idempotent_action_is_retried(rt, row, now):
    responses.post(EVENTS_URL, body=requests.ReadTimeout("read timed out"))
    responses.post(EVENTS_URL, status=202)
    deliver(rt)
    first = status(rt, row)
    assert first.status == "pending" and first.attempts == 1
    now.set(clock.parse_iso(first.next_attempt_at))
    deliver(rt)
    assert status(rt, row).status == "delivered"
    # Klaviyo dedupes on unique_id: the retry carried the same one.
    ids = {json.loads(c.request.body)["data"]["attributes"]["unique_id"] for c in responses.calls}
    assert ids == {"abandoned-checkout-5b9f3c2a"}


@responses.activate
def test_an_sms_whose_fate_is_unknown_is_not_resent(rt, now):
    from hub.customers import update_profiles
    from tests.support.engine import MAYA
    from hub.events import CanonicalEvent

    twilio(rt)
    profile = update_profiles(rt.store, CanonicalEvent(
        "consent.changed", clock.now_iso(), {"channel": "sms", "state": "subscribed",
                                            "source": "shopify"}, customer=MAYA)).profile
    delivery_id = rt.store.enqueue_delivery(NewDelivery(
        idempotency_key="sms-1", connection_id="twilio-sms", adapter="twilio", action="send_sms",
        inputs={"to": "+14155550142", "body": "The Silk Scarf you saved is now $49"},
        profile_id=profile.id))
    responses.post(f"https://api.twilio.com/2010-04-01/Accounts/AC{'0' * 32}/Messages.json",
                   body=requests.ReadTimeout("read timed out"))
    deliver(rt)
    row = status(rt, delivery_id)
    assert row.status == "unknown"
    assert "not resent" in row.last_summary
    now.move(hours=1)
    deliver(rt)
    assert len(responses.calls) == 1


@responses.activate
def test_attempts_are_capped_and_the_row_ends_dead(rt, row, now, settings):
    responses.post(EVENTS_URL, status=503)
    for _ in range(rt.settings.delivery_max_attempts + 2):
        deliver(rt)
        current = status(rt, row)
        if current.status != "pending":
            break
        now.set(clock.parse_iso(current.next_attempt_at))
    final = status(rt, row)
    assert final.status == "dead"
    assert final.attempts == rt.settings.delivery_max_attempts
    assert "gave up" in final.last_summary


def test_creating_the_same_row_twice_is_a_no_op(rt, row):
    again = rt.store.enqueue_delivery(NewDelivery(
        idempotency_key="k-1", connection_id="klaviyo-email", adapter="klaviyo",
        action="track_event", inputs=INPUTS))
    assert again is None
    assert len(rt.store.list_deliveries()) == 1


def test_actions_sharing_a_vendor_endpoint_share_its_rate_limit(rt, now):
    """Klaviyo counts email and SMS subscription jobs against one endpoint's limit."""
    from hub.delivery import _pace

    klaviyo(rt)
    adapter = rt.adapter_for(rt.connection("klaviyo-email"))
    for _ in range(75):  # the per-second burst, spent by email subscriptions
        assert _pace(rt, adapter, "subscribe_email") == 0
    assert _pace(rt, adapter, "subscribe_sms") > 0  # same endpoint: must wait
    assert _pace(rt, adapter, "unsubscribe_sms") == 0  # another endpoint
    assert _pace(rt, adapter, "track_event") == 0


@responses.activate
def test_a_vendor_echoing_the_api_key_never_puts_it_in_the_outbox(rt, row, now):
    from tests.support.fixtures import SECRETS

    responses.post(EVENTS_URL, status=400, json={"errors": [{
        "status": 400, "code": "invalid", "title": "Invalid input.",
        "detail": f"key {SECRETS['klaviyo']} may not track this metric"}]})
    deliver(rt)
    dead = status(rt, row)
    assert dead.status == "dead"
    stored = [dead.last_summary] + [str(a) for a in rt.store.list_attempts(row)]
    assert not any(SECRETS["klaviyo"] in text for text in stored)
    assert "may not track this metric" in dead.last_summary
