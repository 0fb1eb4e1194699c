""""Try it": a dry run of an installed recipe shows what would be sent and sends nothing."""

from __future__ import annotations

import pytest
import responses

from hub.connections import add_connection
from hub.engine import instances
from tests.support.fixtures import SECRETS, signed


@pytest.fixture
def installed(rt, shopify):
    add_connection(rt.store, rt.vault, "klaviyo", "main", {"api_key": SECRETS["klaviyo"]})
    return instances.enable(rt.store, "abandoned-checkout-email", {"delay_hours": 3})


def try_it(session, instance_id, **form):
    page = session.get(f"/recipes/installed/{instance_id}")
    assert page.status_code == 200
    return session.post(f"/recipes/installed/{instance_id}/try", form)


@responses.activate
def test_with_no_event_yet_it_tries_a_sample(as_owner, installed):
    answer = try_it(as_owner, installed.id)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "a sample checkout.started" in text
    assert "Would wait until" in text
    assert "Would send Track an event (klaviyo)" in text
    assert "Abandoned Checkout" in text
    assert len(responses.calls) == 0


@responses.activate
def test_it_uses_a_recent_event_and_changes_nothing(as_owner, installed, client, rt):
    request = signed("shopify/checkouts_update.json")
    assert client.post("/hooks/shopify-shop", data=request.body,
                       headers=request.headers).status_code == 202
    before = (rt.store.count_events(status="new"), rt.store.list_runs(),
              rt.store.list_deliveries(), rt.store.list_waits())
    answer = try_it(as_owner, installed.id)
    text = answer.get_data(as_text=True)
    assert "the checkout.updated received" in text
    assert "maya.lopez@example.com" in text
    assert "LWD-BLU-M" in text or "Linen Wrap Dress" in text
    after = (rt.store.count_events(status="new"), rt.store.list_runs(),
             rt.store.list_deliveries(), rt.store.list_waits())
    assert after == before
    assert len(responses.calls) == 0


def test_staff_cannot_try(as_staff, installed):
    answer = as_staff.post(f"/recipes/installed/{installed.id}/try")
    assert answer.status_code in (302, 403)
