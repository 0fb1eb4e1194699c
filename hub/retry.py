"""What happens after an attempt, decided as a value (no sleeping, no loops here).

The delivery worker asks ``decide`` and writes the answer to the outbox row. Waits between
attempts come from tenacity's wait strategies (exponential backoff plus random jitter, so a
vendor coming back from an outage is not hit by every row at the same instant), never
shorter than the vendor's ``Retry-After``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import tenacity

from adapters.http import Outcome

#: Backoff: 2 s, 4 s, 8 s … capped at 30 minutes, plus up to 1 s of jitter. With the default
#: 25 attempts a row rides out about 8 hours of a vendor being down before it is dead.
BACKOFF = tenacity.wait_exponential(multiplier=2, max=1800) + tenacity.wait_random(0, 1)


@dataclass(frozen=True)
class Decision:
    """``status``: delivered | pending (try again at ``next_attempt_at``) | dead | unknown."""

    status: str
    reason: str
    next_attempt_at: datetime | None = None
    count_attempt: bool = True


def backoff_seconds(attempt_number: int) -> float:
    state = tenacity.RetryCallState(retry_object=None, fn=None, args=(), kwargs={})
    state.attempt_number = attempt_number
    return BACKOFF(state)


def decide(outcome: Outcome, *, attempt_number: int, first_queued: datetime, now: datetime,
           idempotent: bool, max_attempts: int, max_age: timedelta) -> Decision:
    """``attempt_number`` counts this attempt (the first try is 1)."""
    if outcome.kind == "delivered":
        return Decision("delivered", outcome.summary)
    if outcome.kind == "paced":
        return Decision("pending", outcome.summary,
                        now + timedelta(seconds=outcome.retry_after or 0.05), count_attempt=False)
    if outcome.kind == "failed":
        return Decision("dead", f"permanent failure: {outcome.summary}")
    if outcome.kind == "unknown" and not idempotent:
        # Resending could do it twice (a second SMS): a person decides (decision 0008).
        return Decision("unknown", f"outcome unknown, not resent automatically: {outcome.summary}")
    if attempt_number >= max_attempts:
        return Decision("dead", f"gave up after {attempt_number} attempts: {outcome.summary}")
    wait = max(backoff_seconds(attempt_number), outcome.retry_after or 0.0)
    next_at = now + timedelta(seconds=wait)
    if next_at - first_queued > max_age:
        hours = max_age.total_seconds() / 3600
        return Decision("dead", f"gave up: still failing after {hours:g} h: {outcome.summary}")
    return Decision("pending", f"will retry in {wait:.0f}s: {outcome.summary}", next_at)
