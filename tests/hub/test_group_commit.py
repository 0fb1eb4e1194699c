"""Group commit: many threads, one transaction per round, each caller gets its own answer."""

from __future__ import annotations

import threading

import pytest

from hub.store.sqlite.group_commit import GroupCommitter


def test_concurrent_callers_share_rounds_and_get_their_own_results():
    rounds: list[list[int]] = []
    gate = threading.Event()

    def write_batch(items: list[int]) -> list[int]:
        if not rounds:
            gate.wait(2)  # hold the first round so others pile up behind it
        rounds.append(items)
        return [n * 10 for n in items]

    committer = GroupCommitter(write_batch, lambda n: write_batch([n])[0])
    results: dict[int, int] = {}
    threads = [threading.Thread(target=lambda n=n: results.__setitem__(n, committer.submit(n)))
               for n in range(20)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(5)
    assert results == {n: n * 10 for n in range(20)}
    assert sorted(n for r in rounds for n in r) == list(range(20))
    assert len(rounds) < 20  # later callers were batched together


def test_a_failing_item_fails_only_its_own_caller():
    def write_batch(items: list[int]) -> list[int]:
        if 3 in items:
            raise ValueError("item 3 is bad")
        return items

    committer = GroupCommitter(write_batch, lambda n: write_batch([n])[0], max_batch=8)
    outcomes: dict[int, object] = {}

    def call(n: int) -> None:
        try:
            outcomes[n] = committer.submit(n)
        except ValueError as error:
            outcomes[n] = str(error)

    threads = [threading.Thread(target=call, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert outcomes == {0: 0, 1: 1, 2: 2, 3: "item 3 is bad", 4: 4, 5: 5}


def test_store_records_concurrent_webhooks_each_exactly_once(settings):
    from hub import clock
    from hub.store import NewEvent, open_store

    store = open_store(settings)
    outcomes = []

    def send(n: int) -> None:
        outcomes.append(store.record_event(NewEvent(
            "c", "shopify", "orders/create", f"d{n % 50}", "webhook", b"{}", f"c{n}",
            clock.now_iso())))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert store.count_events() == 50
    assert sum(not o.duplicate for o in outcomes) == 50
    assert len({o.event_id for o in outcomes if not o.duplicate}) == 50


@pytest.mark.parametrize("count", [1, 5])
def test_a_single_caller_is_committed_without_waiting(count):
    committer = GroupCommitter(lambda items: items, lambda n: n)
    assert [committer.submit(n) for n in range(count)] == list(range(count))
