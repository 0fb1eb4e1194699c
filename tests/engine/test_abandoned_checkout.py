"""A recipe with a stored wait, end to end: event → wait (2 h, clock moved) → exact request."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
import responses

from hub import clock
from hub.runtime import open_runtime
from tests.support.engine import checkout, emit, enable, klaviyo, order, work
from tests.support.fixtures import fixture_json

EVENTS_URL = "https://a.klaviyo.com/api/events/"


@pytest.fixture
def at_0914():
    # 09:14 New York on the journey's Friday: the checkout update of fixture step 4.
    with clock.frozen(datetime(2026, 11, 20, 14, 14, 2, tzinfo=clock.UTC)) as frozen:
        yield frozen


@pytest.fixture
def shop(rt, shopify, at_0914):
    klaviyo(rt)
    return enable(rt, "abandoned-checkout-email")


@responses.activate
def test_wait_fires_once_after_two_hours_with_the_exact_klaviyo_request(rt, shop, at_0914):
    responses.post(EVENTS_URL, status=202)
    emit(rt, checkout())
    work(rt)
    assert len(responses.calls) == 0
    [wait] = rt.store.list_waits()
    assert wait.due_at == "2026-11-20T16:14:02.000000Z"

    at_0914.move(hours=1, minutes=59)
    work(rt)
    assert len(responses.calls) == 0

    at_0914.move(minutes=1)
    work(rt)
    at_0914.move(hours=5)
    work(rt)
    assert len(responses.calls) == 1
    sent = json.loads(responses.calls[0].request.body)
    assert sent == fixture_json("klaviyo/create_event_abandoned_checkout.json")
    [row] = rt.store.list_deliveries()
    assert row.status == "delivered" and row.attempts == 1


@responses.activate
def test_a_wait_survives_a_restart_and_fires_once(rt, settings, shop, at_0914):
    responses.post(EVENTS_URL, status=202)
    emit(rt, checkout())
    work(rt)
    rt.store.close()

    at_0914.move(hours=2, seconds=1)
    restarted = open_runtime(settings)
    work(restarted, owner="after-restart")
    work(restarted, owner="another-worker")
    assert len(responses.calls) == 1
    assert [w.status for w in restarted.store.list_waits(status=None)] == ["fired"]


@responses.activate
def test_an_order_first_cancels_the_wait_and_nothing_is_sent(rt, shop, at_0914):
    emit(rt, checkout())
    work(rt)
    at_0914.move(minutes=38)
    emit(rt, order())
    work(rt)
    at_0914.move(hours=3)
    work(rt)
    assert len(responses.calls) == 0
    [wait] = rt.store.list_waits(status=None)
    assert wait.status == "cancelled"
    [run] = rt.store.list_runs()
    assert run.status == "cancelled"
    assert "order.completed arrived first" in run.steps[-1]["reason"]


@responses.activate
def test_an_order_processed_before_its_checkout_still_cancels(rt, shop, at_0914):
    emit(rt, order())
    work(rt)
    emit(rt, checkout())
    work(rt)
    at_0914.move(hours=3)
    work(rt)
    assert len(responses.calls) == 0


@responses.activate
def test_a_checkout_update_restarts_the_wait_instead_of_adding_one(rt, shop, at_0914):
    responses.post(EVENTS_URL, status=202)
    emit(rt, checkout("checkout.started"))
    work(rt)
    at_0914.move(minutes=2)
    emit(rt, checkout("checkout.updated"))
    work(rt)
    assert len(rt.store.list_waits()) == 1
    at_0914.move(hours=2, minutes=1)
    work(rt)
    assert len(responses.calls) == 1


@responses.activate
def test_the_same_event_processed_twice_sends_once(rt, shop, at_0914):
    responses.post(EVENTS_URL, status=202)
    event = checkout()
    emit(rt, event, delivery_id="d-1")
    emit(rt, event, delivery_id="d-2")  # a vendor's retry under a new delivery id
    work(rt)
    at_0914.move(hours=3)
    work(rt)
    assert len(responses.calls) == 1


def test_a_checkout_without_email_or_items_is_skipped(rt, shop, at_0914):
    from hub.events import CustomerRef

    emit(rt, checkout(customer=CustomerRef(external_ids={"shopify": "1"})))
    work(rt)
    [run] = rt.store.list_runs()
    assert run.status == "skipped"
    assert rt.store.list_waits() == []


def test_changed_delay_is_used(rt, shopify, at_0914):
    klaviyo(rt)
    enable(rt, "abandoned-checkout-email", delay_hours=0.5)
    emit(rt, checkout())
    work(rt)
    [wait] = rt.store.list_waits()
    assert wait.due_at == "2026-11-20T14:44:02.000000Z"


def test_disabling_the_recipe_cancels_at_fire_time(rt, shop, at_0914):
    from hub.engine import instances

    emit(rt, checkout())
    work(rt)
    instances.update(rt.store, shop.id, enabled=False)
    at_0914.move(hours=3)
    work(rt)
    assert [w.status for w in rt.store.list_waits(status=None)] == ["cancelled"]
    assert rt.store.list_deliveries() == []
