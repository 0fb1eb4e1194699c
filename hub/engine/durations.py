"""Human durations in recipes ("2 hours", "90 minutes", "1.5h", "1 day") as timedeltas."""

from __future__ import annotations

import re
from datetime import timedelta

_PATTERN = re.compile(
    r"^\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)\s*$",
    re.IGNORECASE,
)
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class DurationInvalid(ValueError):
    pass


def parse_duration(text: str) -> timedelta:
    """``"2 hours"`` → 2 h. Raises ``DurationInvalid`` with an example of what works."""
    match = _PATTERN.match(str(text))
    if not match:
        raise DurationInvalid(
            f"{text!r} is not a duration (write e.g. \"2 hours\", \"90 minutes\", \"1 day\")")
    unit = match["unit"].lower()[0]
    return timedelta(seconds=float(match["n"]) * _SECONDS[unit])
