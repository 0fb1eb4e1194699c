"""Events are processed in short batches, each in its own savepoint: one bad event is set
aside (retried, then failed, audited) without undoing its neighbours."""

from __future__ import annotations

import uuid

from hub import clock, processing
from hub.delivery import FACT_TOPIC
from hub.store import AuditQuery, NewEvent
from tests.support.engine import OWNER, checkout, emit


def broken_event(rt) -> int:
    return rt.store.record_event(NewEvent(
        connection_id="shopify-shop", adapter="shopify", topic=FACT_TOPIC,
        delivery_id=uuid.uuid4().hex, source="webhook", body=b'{"name": "checkout.updated"',
        correlation_id=uuid.uuid4().hex, received_at=clock.now_iso())).event_id


def test_one_bad_event_does_not_undo_its_batch(rt, shopify, frozen_clock):
    good_before = emit(rt, checkout(token="tok-a"))
    bad = broken_event(rt)
    good_after = emit(rt, checkout(token="tok-b"))
    assert processing.process_events(rt, OWNER) == 3
    assert rt.store.get_event(good_before).status == "done"
    assert rt.store.get_event(good_after).status == "done"
    assert rt.store.get_event(bad).status == "new"  # back in the queue, to be tried again
    assert "JSONDecodeError" in rt.store.get_event(bad).error
    for _ in range(processing.MAX_EVENT_ATTEMPTS):
        processing.process_events(rt, OWNER)
    assert rt.store.get_event(bad).status == "failed"
    entries = rt.store.query_audit(AuditQuery(subject_type="event", subject_id=str(bad)))
    assert any("set aside after" in e.detail for e in entries)
    profiles = {p.id for p in (rt.store.get_profile(i) for i in rt.store.find_profile_ids(
        [("email", "maya.lopez@example.com")])) if p}
    assert len(profiles) == 1
