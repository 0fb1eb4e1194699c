"""Fault injection per vendor: error rate, latency, outage window, dropped connections.

Randomness comes from one ``random.Random`` per vendor, re-seeded whenever that vendor's
faults are set, so a test that sets ``error_rate=0.5, seed=7`` sees the same failures every
run. Time (the outage window) is read from ``hub.clock`` so tests move the clock instead of
waiting; latency is real time, because it is there to exercise the hub's timeouts.
"""

from __future__ import annotations

import dataclasses
import random
import threading
import zlib
from dataclasses import dataclass
from typing import Any, Mapping

from hub import clock

OUTAGE_MODES = ("503", "drop")


class FaultsInvalid(ValueError):
    """A fault setting that makes no sense (unknown name, rate outside 0..1, …)."""


@dataclass(frozen=True)
class Faults:
    """What goes wrong for one vendor. All zero: the vendor behaves.

    ``outage_seconds`` starts counting when the faults are set; ``fail_next`` fails exactly
    the next N requests (``fail_status`` 429 answers with the vendor's own rate-limit body),
    which is the deterministic way to show one retry in a demo.
    """

    error_rate: float = 0.0
    error_status: int = 500
    latency: float = 0.0
    drop_rate: float = 0.0
    outage_seconds: float = 0.0
    outage_mode: str = "503"
    fail_next: int = 0
    fail_status: int = 503
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("error_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise FaultsInvalid(f"{name} must be between 0 and 1, not {value}")
        for name in ("latency", "outage_seconds", "fail_next"):
            if getattr(self, name) < 0:
                raise FaultsInvalid(f"{name} must not be negative")
        if self.outage_mode not in OUTAGE_MODES:
            raise FaultsInvalid(f"outage_mode must be one of {', '.join(OUTAGE_MODES)}")
        for name in ("error_status", "fail_status"):
            status = getattr(self, name)
            if status != 429 and not 500 <= status <= 599:
                raise FaultsInvalid(f"{name} must be 429 or a 5xx status, not {status}")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Faults":
        """Build from a JSON object, naming the first unknown or mistyped setting."""
        known = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                raise FaultsInvalid(f"unknown fault setting {key!r} (known: {', '.join(known)})")
            if key == "outage_mode":
                values[key] = str(value)
            elif key == "seed":
                values[key] = None if value is None else _number(key, value, int)
            elif key in ("error_status", "fail_status", "fail_next"):
                values[key] = _number(key, value, int)
            else:
                values[key] = _number(key, value, float)
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _number(key: str, value: Any, kind: type) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FaultsInvalid(f"{key} must be a number")
    if kind is int and value != int(value):
        raise FaultsInvalid(f"{key} must be a whole number")
    return kind(value)


@dataclass(frozen=True)
class FaultDecision:
    """What to do to one request: wait ``latency`` seconds, then ``action`` (or answer)."""

    latency: float = 0.0
    action: str | None = None  # None | "drop" | "error"
    status: int | None = None
    reason: str = ""


@dataclass
class _VendorFaults:
    faults: Faults
    rng: random.Random
    outage_until: float = 0.0
    fail_left: int = 0


class FaultBook:
    """The current faults of every vendor; thread-safe, one decision per request."""

    def __init__(self, seed: int = 0, initial: Mapping[str, Faults] | None = None) -> None:
        self._seed = seed
        self._lock = threading.Lock()
        self._state: dict[str, _VendorFaults] = {}
        for vendor, faults in (initial or {}).items():
            self.set(vendor, faults)

    def set(self, vendor: str, faults: Faults) -> None:
        """Replace ``vendor``'s faults; restarts its random sequence and outage window."""
        seed = faults.seed if faults.seed is not None else self._seed
        rng = random.Random(seed * 1_000_003 + zlib.crc32(vendor.encode()))
        now = clock.now().timestamp()
        with self._lock:
            self._state[vendor] = _VendorFaults(
                faults=faults, rng=rng,
                outage_until=now + faults.outage_seconds if faults.outage_seconds else 0.0,
                fail_left=faults.fail_next,
            )

    def get(self, vendor: str) -> Faults:
        with self._lock:
            state = self._state.get(vendor)
            return state.faults if state else Faults()

    def clear(self) -> None:
        with self._lock:
            self._state.clear()

    def outage_remaining(self, vendor: str) -> float:
        with self._lock:
            state = self._state.get(vendor)
            if not state:
                return 0.0
            return max(0.0, state.outage_until - clock.now().timestamp())

    def decide(self, vendor: str) -> FaultDecision:
        """Decide the fate of one request, in a fixed order: outage, drop, fail_next, errors."""
        with self._lock:
            state = self._state.get(vendor)
            if state is None:
                return FaultDecision()
            faults = state.faults
            latency = faults.latency
            if state.outage_until and clock.now().timestamp() < state.outage_until:
                if faults.outage_mode == "drop":
                    return FaultDecision(latency, "drop", None, "outage")
                return FaultDecision(latency, "error", 503, "outage")
            # Draw both numbers every time so one setting does not shift the other's sequence.
            drop_draw, error_draw = state.rng.random(), state.rng.random()
            if drop_draw < faults.drop_rate:
                return FaultDecision(latency, "drop", None, "drop_rate")
            if state.fail_left > 0:
                state.fail_left -= 1
                return FaultDecision(latency, "error", faults.fail_status, "fail_next")
            if error_draw < faults.error_rate:
                return FaultDecision(latency, "error", faults.error_status, "error_rate")
            return FaultDecision(latency)

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            vendors = list(self._state)
        return {
            vendor: {**self.get(vendor).to_json(),
                     "outage_remaining": round(self.outage_remaining(vendor), 3)}
            for vendor in vendors
        }
