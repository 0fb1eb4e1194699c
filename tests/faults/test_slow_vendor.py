"""A vendor answering after 20 s: the call times out and is retried, the other vendors'
deliveries are not held up meanwhile, and the retried event has its effect once."""

from __future__ import annotations

import threading
import time

import pytest

from hub import delivery
from hub.demo.setup import connect
from hub.simulators import Faults, Simulators, SimulatorServer
from hub.store import NewDelivery

pytestmark = pytest.mark.slow

ROWS = 5


def enqueue(rt, ids):
    for n in range(ROWS):
        email = f"shopper{n}@example.com"
        rt.store.enqueue_delivery(NewDelivery(
            idempotency_key=f"k-{n}", connection_id=ids["klaviyo"], adapter="klaviyo",
            action="track_event", profile_id=f"cus_{n}",
            inputs={"metric": "Placed Order", "email": email, "unique_id": f"order-{n}",
                    "properties": {"OrderId": str(n)}}))
        rt.store.enqueue_delivery(NewDelivery(
            idempotency_key=f"h-{n}", connection_id=ids["hubspot"], adapter="hubspot",
            action="upsert_contact", profile_id=f"cus_{n}",
            inputs={"email": email, "last_order_name": f"#{n}"}))


def statuses(rt, adapter):
    return sorted(d.status for d in rt.store.list_deliveries(limit=100) if d.adapter == adapter)


def test_a_slow_vendor_times_out_retries_and_starves_no_one(rt):
    sims = Simulators(seed=5)
    with SimulatorServer(sims) as server:
        ids = connect(rt, server.base_url, sims.config)
        enqueue(rt, ids)
        sims.set_faults("klaviyo", Faults(latency=20.0))

        started = time.monotonic()
        worker = threading.Thread(target=delivery.deliver_due, args=(rt, "w1"))
        worker.start()
        while statuses(rt, "hubspot") != ["delivered"] * ROWS and time.monotonic() - started < 10:
            time.sleep(0.1)
        hubspot_done = time.monotonic() - started
        assert statuses(rt, "hubspot") == ["delivered"] * ROWS
        assert hubspot_done < 10, "HubSpot waited for the slow Klaviyo"
        worker.join(60)
        elapsed = time.monotonic() - started
        assert elapsed < 25, "one timeout, not one per row"

        klaviyo = [d for d in rt.store.list_deliveries(limit=100) if d.adapter == "klaviyo"]
        assert all(d.status == "pending" for d in klaviyo)
        assert sorted(d.attempts for d in klaviyo) == [0] * (ROWS - 1) + [1]
        assert any("no answer in time" in (d.last_summary or "") for d in klaviyo)
        assert sum("held back" in (d.last_summary or "") for d in klaviyo) == ROWS - 1

        sims.set_faults("klaviyo", Faults())
        deadline = time.monotonic() + 30
        while statuses(rt, "klaviyo") != ["delivered"] * ROWS and time.monotonic() < deadline:
            delivery.deliver_due(rt, "w1")
            time.sleep(0.5)
        assert statuses(rt, "klaviyo") == ["delivered"] * ROWS
        # The timed-out request did reach Klaviyo later; the retry carried the same
        # unique_id, so each order is one event there.
        assert len(sims.klaviyo.events_named("Placed Order")) == ROWS
    sims.close()
