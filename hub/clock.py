"""The only source of "now" in the hub.

Tests freeze and move it instead of sleeping; the demo speeds it up. Every process reads the
same rule from settings (speed and epoch), so a sped-up clock agrees across processes.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Iterator

UTC = timezone.utc
_frozen: datetime | None = None
_speed: float = 1.0
_epoch: float | None = None


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    if _frozen is not None:
        return _frozen
    real = time.time()
    if _speed != 1.0 and _epoch is not None:
        real = _epoch + (real - _epoch) * _speed
    return datetime.fromtimestamp(real, UTC)


def configure(speed: float = 1.0, epoch: datetime | None = None) -> None:
    """Run the clock ``speed`` times faster from ``epoch`` (demo only)."""
    global _speed, _epoch
    _speed = speed
    _epoch = epoch.timestamp() if epoch else (time.time() if speed != 1.0 else None)


def real_seconds(hub_seconds: float) -> float:
    """How long ``hub_seconds`` of hub time lasts on the wall clock (for sleeps)."""
    return hub_seconds / _speed


@contextmanager
def frozen(at: datetime) -> Iterator["FrozenClock"]:
    """Freeze the clock at ``at`` for the duration of the block (tests)."""
    global _frozen
    previous = _frozen
    _frozen = at.astimezone(UTC)
    try:
        yield FrozenClock()
    finally:
        _frozen = previous


class FrozenClock:
    def move(self, **delta: float) -> datetime:
        """Move a frozen clock forward by a ``timedelta(**delta)``."""
        global _frozen
        assert _frozen is not None, "the clock is not frozen"
        _frozen = _frozen + timedelta(**delta)
        return _frozen

    def set(self, at: datetime) -> datetime:
        global _frozen
        _frozen = at.astimezone(UTC)
        return _frozen


def iso(moment: datetime) -> str:
    """A sortable UTC timestamp: ``2026-11-20T14:00:05.000000Z``.

    Stored timestamps use this one format so that comparing strings compares instants.
    """
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_iso() -> str:
    return iso(now())


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 timestamp (``Z`` or offset; Shopify's nanoseconds are cut to micro)."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    if "." in value:
        head, _, rest = value.partition(".")
        digits = ""
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        value = f"{head}.{digits[:6].ljust(6, '0')}{rest}"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
