"""The store's promises, tested on the embedded SQLite backend."""

from __future__ import annotations

import multiprocessing
import sqlite3
from datetime import timedelta

import pytest

from hub import clock
from hub.settings import Settings
from hub.store import AuditEntry, AuditQuery, ConnectionRecord, NewEvent, StoreUnavailable, open_store


def new_event(delivery_id: str, connection_id: str = "shopify-shop", **changes) -> NewEvent:
    values = dict(connection_id=connection_id, adapter="shopify", topic="orders/create",
                  delivery_id=delivery_id, source="webhook", body=b'{"id": 1}',
                  correlation_id=f"c-{delivery_id}", received_at=clock.now_iso())
    values.update(changes)
    return NewEvent(**values)


def audit_entry(outcome: str = "accepted", **changes) -> AuditEntry:
    values = dict(at=clock.now_iso(), actor_type="webhook", subject_type="event",
                  action="receive", outcome=outcome)
    values.update(changes)
    return AuditEntry(**values)


@pytest.fixture
def store(settings):
    store = open_store(settings)
    yield store
    store.close()


def test_event_is_stored_once_per_connection_and_delivery_id(store):
    first = store.record_event(new_event("d1"), audit_entry())
    again = store.record_event(new_event("d1"), audit_entry())
    other_connection = store.record_event(new_event("d1", connection_id="shopify-other"))
    assert not first.duplicate and again.duplicate and again.event_id is None
    assert not other_connection.duplicate
    assert store.count_events() == 2
    assert len(store.query_audit(AuditQuery())) == 1  # the duplicate wrote no audit entry


def test_event_and_its_audit_entry_commit_together(store):
    outcome = store.record_event(new_event("d1"), audit_entry(correlation_id="c-d1"))
    [entry] = store.query_audit(AuditQuery(correlation_id="c-d1"))
    assert entry.subject_id == str(outcome.event_id)


def test_claimed_events_are_not_claimed_again_until_the_lease_expires(store, frozen_clock):
    for n in range(3):
        store.record_event(new_event(f"d{n}"))
    first = store.claim_events("worker-a", limit=2, lease_seconds=30)
    frozen_clock.move(seconds=20)
    second = store.claim_events("worker-b", limit=10, lease_seconds=30)
    assert [e.delivery_id for e in first] == ["d0", "d1"]
    assert [e.delivery_id for e in second] == ["d2"]
    frozen_clock.move(seconds=11)  # worker-a's lease is over, worker-b's is not
    taken_over = store.claim_events("worker-b", limit=10, lease_seconds=30)
    assert [e.delivery_id for e in taken_over] == ["d0", "d1"]
    assert all(e.attempts == 2 for e in taken_over)


def test_finishing_after_losing_the_lease_is_refused(store, frozen_clock):
    store.record_event(new_event("d1"))
    [event] = store.claim_events("worker-a", limit=1, lease_seconds=30)
    frozen_clock.move(seconds=31)
    store.claim_events("worker-b", limit=1, lease_seconds=30)
    assert store.finish_event(event.id, "worker-a", status="done") is False
    assert store.finish_event(event.id, "worker-b", status="done") is True
    assert store.get_event(event.id).status == "done"
    assert store.claim_events("worker-c", limit=1, lease_seconds=30) == []


def test_released_event_goes_back_to_the_queue_with_its_error(store):
    store.record_event(new_event("d1"))
    [event] = store.claim_events("w", limit=1, lease_seconds=30)
    store.release_event(event.id, "w", error="adapter crashed")
    [again] = store.claim_events("w2", limit=1, lease_seconds=30)
    assert again.id == event.id and again.error == "adapter crashed"


def test_events_list_pages_backwards_by_id(store):
    for n in range(5):
        store.record_event(new_event(f"d{n}"))
    page = store.list_events(limit=2)
    older = store.list_events(limit=2, before_id=page[-1].id)
    assert [e.delivery_id for e in page + older] == ["d4", "d3", "d2", "d1"]


def test_prune_events_keeps_unprocessed_ones(store, frozen_clock):
    store.record_event(new_event("old-done"))
    store.record_event(new_event("old-new"))
    [done, _] = store.claim_events("w", limit=2, lease_seconds=30)
    store.finish_event(done.id, "w", status="done")
    frozen_clock.move(days=100)
    assert store.prune_events(clock.iso(clock.now() - timedelta(days=90))) == 1
    assert [e.delivery_id for e in store.list_events()] == ["old-new"]


def test_audit_log_refuses_updates(store):
    store.append_audit([audit_entry()])
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("UPDATE audit SET outcome = 'ok'")


@pytest.mark.parametrize("query, expected", [
    (AuditQuery(outcome="rejected"), ["r1", "r2"]),
    (AuditQuery(subject_type="delivery", subject_id="7"), ["dl"]),
    (AuditQuery(correlation_id="c-9"), ["r2"]),
    (AuditQuery(since="2026-11-20T15:00:00.000000Z"), ["dl", "r2"]),
    (AuditQuery(until="2026-11-20T15:00:00.000000Z"), ["r1", "a1"]),
    (AuditQuery(actor_type="user"), ["dl"]),
])
def test_audit_query_filters(store, query, expected):
    store.append_audit([
        audit_entry(at="2026-11-20T14:00:00.000000Z", detail="a1"),
        audit_entry("rejected", at="2026-11-20T14:30:00.000000Z", detail="r1"),
        audit_entry("rejected", at="2026-11-20T15:30:00.000000Z", detail="r2", correlation_id="c-9"),
        audit_entry("dead", at="2026-11-20T16:00:00.000000Z", detail="dl", actor_type="user",
                    subject_type="delivery", subject_id="7"),
    ])
    assert sorted(e.detail for e in store.query_audit(query)) == sorted(expected)


def test_audit_pages_are_contiguous_both_ways(store):
    store.append_audit([audit_entry(detail=str(n)) for n in range(10)])
    newest = store.query_audit(AuditQuery(limit=4))
    older = store.query_audit(AuditQuery(limit=4, before_id=newest[-1].id))
    assert [e.detail for e in newest + older] == [str(n) for n in range(9, 1, -1)]
    back = store.query_audit(AuditQuery(limit=4, after_id=older[0].id))
    assert [e.detail for e in back] == ["9", "8", "7", "6"]


def test_connection_ids_are_unique(store):
    record = ConnectionRecord(id="shopify-shop", adapter="shopify", name="shop", settings={},
                              secrets="x", created_at="t", updated_at="t")
    store.add_connection(record)
    with pytest.raises(KeyError):
        store.add_connection(record)
    store.update_connection("shopify-shop", last_check_ok=True, last_check_detail="ok")
    assert store.get_connection("shopify-shop").last_check_ok is True
    assert store.remove_connection("shopify-shop") and store.get_connection("shopify-shop") is None


def test_a_lease_has_one_holder_until_it_expires(store, frozen_clock):
    assert store.acquire_lease("scheduler", "a", seconds=10)
    assert not store.acquire_lease("scheduler", "b", seconds=10)
    assert store.acquire_lease("scheduler", "a", seconds=10)  # renewal
    frozen_clock.move(seconds=11)
    assert store.acquire_lease("scheduler", "b", seconds=10)
    store.release_lease("scheduler", "b")
    assert store.acquire_lease("scheduler", "c", seconds=10)


def test_poll_page_and_cursor_commit_together(store, monkeypatch):
    events = [new_event("p1", source="poll"), new_event("p2", source="poll")]
    store.record_poll_page(events, "poll:shopify-shop", "orders", {"since": "A"}, None)
    assert store.get_state("poll:shopify-shop", "orders") == {"since": "A"}

    # A failure while writing the page leaves neither its events nor its cursor behind.
    def fail(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "put_state", fail)
    with pytest.raises(StoreUnavailable):
        store.record_poll_page([new_event("p3", source="poll")], "poll:shopify-shop", "orders",
                               {"since": "B"}, None)
    monkeypatch.undo()
    assert store.get_state("poll:shopify-shop", "orders") == {"since": "A"}
    assert store.count_events() == 2


def test_unwritable_database_raises_store_unavailable(tmp_path):
    settings = Settings(data_dir=tmp_path, busy_timeout_ms=100)
    store = open_store(settings)
    blocker = sqlite3.connect(settings.database_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreUnavailable):
            store.record_event(new_event("d1"))
    finally:
        blocker.execute("ROLLBACK")
    assert not store.record_event(new_event("d1")).duplicate


def _migrate_in_process(path: str, results) -> None:
    from pathlib import Path

    store = open_store(Settings(data_dir=Path(path)), migrate=False)
    results.put(store.migrate())


def test_processes_migrating_together_apply_each_step_once(tmp_path):
    results = multiprocessing.get_context("spawn").Queue()
    procs = [multiprocessing.get_context("spawn").Process(
        target=_migrate_in_process, args=(str(tmp_path), results)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    applied = [results.get(timeout=5) for _ in procs]
    assert sorted(len(a) for a in applied)[:-1] == [0, 0]  # one process applied everything
    assert open_store(Settings(data_dir=tmp_path)).pending_migrations() == []
