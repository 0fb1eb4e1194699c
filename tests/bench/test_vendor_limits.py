"""The theoretical minimum the delivery benchmark compares the hub with."""

from __future__ import annotations

import time

from bench.paced_sender import SlidingPacer
from bench.vendor_limits import (earliest_schedule, fixed_window_best, fixed_window_seconds,
                                 minimum_seconds)

KLAVIYO_EVENTS = [(350, 1.0), (3500, 60.0)]
HUBSPOT = [(100, 10.0), (250_000, 86_400.0)]


def test_klaviyo_5000_events_cannot_finish_before_the_steady_window_lets_the_rest_in():
    # 3,500 in the first 10 s, then request 3,501 waits until 60 s after the first; the last
    # 1,500 go out at 350/s: 60 s + 4 s.
    assert minimum_seconds(5000, KLAVIYO_EVENTS) == 64.0


def test_a_burst_within_every_limit_goes_at_once():
    assert minimum_seconds(350, KLAVIYO_EVENTS) == 0.0
    assert minimum_seconds(351, KLAVIYO_EVENTS) == 1.0
    assert minimum_seconds(50, HUBSPOT) == 0.0, "5,000 contacts in 50 batches fit in 10 s"
    assert minimum_seconds(101, HUBSPOT) == 10.0


def test_no_interval_of_a_limit_length_holds_more_than_its_count():
    times = earliest_schedule(5000, KLAVIYO_EVENTS)
    for count, seconds in KLAVIYO_EVENTS:
        assert all(times[i + count] - times[i] >= seconds for i in range(len(times) - count))


def test_fixed_windows_started_at_a_minute_boundary_allow_no_more_than_sliding_ones():
    assert fixed_window_seconds(5000, KLAVIYO_EVENTS, phase=0.0) == 64.0


def test_a_client_that_knew_the_vendors_minute_could_straddle_its_boundary():
    assert fixed_window_best(5000, KLAVIYO_EVENTS) < 15.0


def test_the_bare_loops_pacer_keeps_to_the_limit():
    pacer = SlidingPacer([(3, 0.2)], margin=0.0)
    started = time.monotonic()
    sent = []
    for _ in range(7):
        pacer.wait_for_slot()
        sent.append(time.monotonic() - started)
    assert sent[2] < 0.1 and sent[3] >= 0.2 and sent[6] >= 0.4
