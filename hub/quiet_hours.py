"""No marketing SMS in the customer's night: when may a message go out?

The window is local wall-clock time in the shop's time zone (``HUB_QUIET_HOURS``, default
``21:00-09:00``; ``HUB_TIMEZONE``). A window that crosses midnight covers both evenings and
mornings. Daylight-saving changes are handled by ``zoneinfo``: "09:00" is nine o'clock local
time on whatever day the message falls due.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


class QuietHoursInvalid(ValueError):
    """The quiet-hours setting is not ``HH:MM-HH:MM``."""


@lru_cache(maxsize=8)
def quiet_hours(window: str, timezone: str) -> "QuietHours":
    """The shop's quiet hours, parsed once (settings are validated at start-up)."""
    return QuietHours.parse(window, timezone)


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    zone: ZoneInfo

    @classmethod
    def parse(cls, window: str, timezone: str) -> "QuietHours":
        try:
            start_text, end_text = window.split("-")
            start, end = time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())
        except ValueError:
            raise QuietHoursInvalid(f"quiet hours {window!r} are not HH:MM-HH:MM") from None
        return cls(start, end, ZoneInfo(timezone))

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_allowed(self, moment: datetime) -> datetime:
        """``moment`` itself if sending is allowed then, else when the quiet window ends."""
        if not self.contains(moment):
            return moment
        local = moment.astimezone(self.zone)
        day = local.date()
        if self.start > self.end and local.time() >= self.start:
            day += timedelta(days=1)  # evening: the window ends tomorrow morning
        end = datetime.combine(day, self.end, tzinfo=self.zone)
        return end.astimezone(moment.tzinfo)

    def local_date(self, moment: datetime) -> str:
        """The shop's calendar day of ``moment`` (for "at most one per day" rules)."""
        return moment.astimezone(self.zone).date().isoformat()
