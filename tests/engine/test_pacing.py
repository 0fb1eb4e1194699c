"""Pacing under a vendor's limits: a sliding window shared through the store (bench.delivery
showed a token bucket letting twice Klaviyo's per-minute count into one of its minutes)."""

from __future__ import annotations

from adapters.base import RateLimit
from adapters.klaviyo import KlaviyoAdapter
from hub import delivery

PER_SECOND = ("k|track_event|1", 3, 1.0)
PER_MINUTE = ("k|track_event|60", 5, 60.0)


def take(rt, *windows) -> float:
    return rt.store.take_pacing_slot(list(windows))


def test_a_full_burst_goes_at_once_and_the_next_waits_until_the_first_is_a_window_old(
        rt, frozen_clock):
    assert [take(rt, PER_MINUTE) for _ in range(5)] == [0.0] * 5
    frozen_clock.move(seconds=20)
    assert take(rt, PER_MINUTE) == 40.0
    frozen_clock.move(seconds=40)
    assert take(rt, PER_MINUTE) == 0.0


def test_no_window_long_interval_ever_holds_more_than_the_count(rt, frozen_clock):
    sent: list[float] = []
    for tenth in range(0, 3000):  # five minutes, a request tried every 0.1 s
        if take(rt, PER_MINUTE) == 0.0:
            sent.append(tenth / 10)
        frozen_clock.move(seconds=0.1)
    assert len(sent) == 25
    assert max(sum(1 for t in sent if start <= t < start + 60) for start in sent) == 5


def test_a_refused_slot_books_nothing_under_the_other_limits(rt, frozen_clock):
    for _ in range(3):
        assert take(rt, PER_SECOND, PER_MINUTE) == 0.0
    assert take(rt, PER_SECOND, PER_MINUTE) == 1.0  # the per-second limit is full
    frozen_clock.move(seconds=1)
    assert [take(rt, PER_SECOND, PER_MINUTE) for _ in range(3)] == [0.0, 0.0, 59.0]
    assert take(rt, PER_SECOND) == 0.0, "the refused request took no per-second slot"


def test_each_key_keeps_only_its_last_count_send_times(rt, frozen_clock):
    for _ in range(50):
        take(rt, PER_SECOND)
        frozen_clock.move(seconds=1)
    rows = rt.store.conn.execute("SELECT count(*) FROM pacing_log").fetchone()[0]
    assert rows == PER_SECOND[1]


def test_delivery_paces_an_action_by_every_limit_that_applies_to_it(rt, frozen_clock, monkeypatch):
    monkeypatch.setattr(KlaviyoAdapter, "rate_limits",
                        (RateLimit(2, 1.0, "track_event"), RateLimit(3, 60.0, "track_event"),
                         RateLimit(1, 1.0, "upsert_profile")))
    adapter = KlaviyoAdapter({"api_key": "pk_test"}, connection_id="email")
    waits = [delivery._pace(rt, adapter, "track_event") for _ in range(3)]
    assert waits == [0.0, 0.0, 1.0]
    frozen_clock.move(seconds=1)
    assert delivery._pace(rt, adapter, "track_event") == 0.0
    assert delivery._pace(rt, adapter, "track_event") == 59.0
    assert delivery._pace(rt, adapter, "upsert_profile") == 0.0, "its own limit, not theirs"
