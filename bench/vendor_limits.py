"""The fastest a client may send N requests under a vendor's documented limits.

A limit is ``(count, seconds)``: at most ``count`` requests in ``seconds``. A client that does
not know where the vendor's windows start (the hub does not) must keep every interval of that
length under the count — a sliding window. The earliest schedule then sends request ``i`` at
``max(t[i - count] + seconds)`` over the limits: bursts are allowed, pauses only where a limit
forces one. Klaviyo documents *fixed* windows, which a client aligned to the vendor's minute
could exploit; ``fixed_window_best`` says how much that would gain, for the record.
"""

from __future__ import annotations

import math
from typing import Sequence

Limit = tuple[int, float]


def earliest_schedule(requests: int, limits: Sequence[Limit]) -> list[float]:
    """Send times (seconds from the first request) of the fastest schedule under ``limits``."""
    times: list[float] = []
    for i in range(requests):
        earliest = 0.0
        for count, seconds in limits:
            if i >= count:
                earliest = max(earliest, times[i - count] + seconds)
        times.append(earliest)
    return times


def minimum_seconds(requests: int, limits: Sequence[Limit]) -> float:
    """Seconds from the first to the last request of the fastest schedule (0 for one request)."""
    schedule = earliest_schedule(requests, limits)
    return schedule[-1] if schedule else 0.0


def fixed_window_seconds(requests: int, limits: Sequence[Limit], phase: float) -> float:
    """Like ``minimum_seconds`` against fixed windows aligned at multiples of their length,
    starting ``phase`` seconds into the longest window."""
    t, sent = phase, 0
    counts: dict[int, tuple[float, int]] = {}
    while sent < requests:
        blocked_until = None
        for index, (count, seconds) in enumerate(limits):
            start = math.floor(t / seconds) * seconds
            window, used = counts.get(index, (start, 0))
            if window != start:
                used = 0
            counts[index] = (start, used)
            if used >= count:
                end = start + seconds
                blocked_until = end if blocked_until is None else max(blocked_until, end)
        if blocked_until is not None:
            t = blocked_until
            continue
        for index, (start, used) in counts.items():
            counts[index] = (start, used + 1)
        sent += 1
    return t - phase


def fixed_window_best(requests: int, limits: Sequence[Limit], step: float = 0.5) -> float:
    """The best case over every starting phase (a client that knows the vendor's clock)."""
    longest = max(seconds for _, seconds in limits)
    phases = [i * step for i in range(int(longest / step))]
    return min(fixed_window_seconds(requests, limits, p) for p in phases)
