"""The vendors' rate-limit algorithms, each as small thread-safe state over ``hub.clock``.

- Shopify REST: a leaky bucket per app and shop (``LeakyBucket``).
- Klaviyo: fixed windows, burst (1 s) and steady (1 min), per account and endpoint
  (``FixedWindows``).
- HubSpot: a rolling 10-second window plus a daily count (``RollingWindow``, ``DailyCount``).
- Twilio: a cap on concurrent API requests per account (``ConcurrencyGate``).

Reading ``hub.clock`` means a test freezes or moves time instead of sleeping.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass

from hub import clock


def _now() -> float:
    return clock.now().timestamp()


@dataclass(frozen=True)
class BucketState:
    allowed: bool
    used: int
    size: int


class LeakyBucket:
    """``size`` requests fit; the bucket leaks ``leak_per_second``. A full bucket refuses."""

    def __init__(self, size: int, leak_per_second: float) -> None:
        self.size = size
        self.leak = leak_per_second
        self._level = 0.0
        self._at = _now()
        self._lock = threading.Lock()

    def _drain(self, now: float) -> None:
        # A clock moved backwards (a test freezing time) drains nothing rather than refilling.
        self._level = max(0.0, self._level - max(0.0, now - self._at) * self.leak)
        self._at = now

    def take(self) -> BucketState:
        with self._lock:
            self._drain(_now())
            if self._level + 1 > self.size:
                return BucketState(False, self.size, self.size)
            self._level += 1
            return BucketState(True, math.ceil(self._level), self.size)


@dataclass(frozen=True)
class WindowState:
    """Answer of a fixed/rolling window check; ``retry_after`` seconds when refused."""

    allowed: bool
    limit: int
    remaining: int
    reset: float
    retry_after: float = 0.0
    policy: str = ""


class FixedWindows:
    """Klaviyo's burst + steady fixed windows; a request must fit in both."""

    def __init__(self, burst: int, steady: int) -> None:
        self._windows = [("burst", 1.0, burst), ("steady", 60.0, steady)]
        self._counts: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def take(self) -> WindowState:
        now = _now()
        with self._lock:
            current = {}
            for name, length, limit in self._windows:
                start = math.floor(now / length) * length
                window_start, count = self._counts.get(name, (start, 0))
                if window_start != start:
                    count = 0
                current[name] = (start, count, length, limit)
            for name, (start, count, length, limit) in current.items():
                if count >= limit:
                    return WindowState(False, limit, 0, start + length - now,
                                       retry_after=start + length - now, policy=name)
            for name, (start, count, _, _) in current.items():
                self._counts[name] = (start, count + 1)
            start, count, length, limit = current["steady"]
            return WindowState(True, limit, limit - count - 1, start + length - now)


class RollingWindow:
    """At most ``limit`` requests in any ``seconds``-long interval (HubSpot's 10-second rule)."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def take(self) -> WindowState:
        now = _now()
        with self._lock:
            while self._times and self._times[0] <= now - self.seconds:
                self._times.popleft()
            if len(self._times) >= self.limit:
                wait = self._times[0] + self.seconds - now
                return WindowState(False, self.limit, 0, wait, retry_after=wait)
            self._times.append(now)
            return WindowState(True, self.limit, self.limit - len(self._times), self.seconds)


class DailyCount:
    """At most ``limit`` requests per calendar day (UTC; HubSpot uses the account's zone)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._day = ""
        self._count = 0
        self._lock = threading.Lock()

    def peek_remaining(self) -> int:
        with self._lock:
            return self.limit - (self._count if self._day == clock.now().date().isoformat() else 0)

    def take(self) -> WindowState:
        moment = clock.now()
        day = moment.date().isoformat()
        with self._lock:
            if day != self._day:
                self._day, self._count = day, 0
            seconds_left = 86400 - (moment.hour * 3600 + moment.minute * 60 + moment.second)
            if self._count >= self.limit:
                return WindowState(False, self.limit, 0, seconds_left, retry_after=seconds_left)
            self._count += 1
            return WindowState(True, self.limit, self.limit - self._count, seconds_left)


class ConcurrencyGate:
    """At most ``limit`` requests in flight; ``enter`` says whether this one may proceed."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._active = 0
        self._lock = threading.Lock()

    def enter(self) -> bool:
        with self._lock:
            if self._active >= self.limit:
                return False
            self._active += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self._active = max(0, self._active - 1)

    @property
    def active(self) -> int:
        with self._lock:
            return self._active
