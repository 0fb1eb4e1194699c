"""Quiet hours: a marketing SMS due in the shop's night waits for the morning."""

from __future__ import annotations

from datetime import datetime

import pytest

from hub.clock import UTC
from hub.quiet_hours import QuietHours, QuietHoursInvalid

NEW_YORK = QuietHours.parse("21:00-09:00", "America/New_York")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize("due, expected", [
    # Sat 21 Nov 07:45 New York (12:45 UTC), the journey's price drop: wait for 09:00 local.
    ("2026-11-21T12:45:00", "2026-11-21T14:00:00"),
    # 22:30 local on Friday: across the day boundary, to Saturday 09:00 local.
    ("2026-11-21T03:30:00", "2026-11-21T14:00:00"),
    # 23:59 local on a month's last day: to 09:00 on the first of the next.
    ("2026-12-01T04:59:00", "2026-12-01T14:00:00"),
    # Daytime is allowed as it is.
    ("2026-11-21T15:00:00", "2026-11-21T15:00:00"),
    # 21:00 exactly is quiet; 09:00 exactly is not.
    ("2026-11-22T02:00:00", "2026-11-22T14:00:00"),
    ("2026-11-21T14:00:00", "2026-11-21T14:00:00"),
    # The night clocks go back (Sun 1 Nov 2026, 02:00 EDT → 01:00 EST): 09:00 EST is 14:00 UTC.
    ("2026-11-01T05:30:00", "2026-11-01T14:00:00"),
    # The night clocks go forward (Sun 8 Mar 2026): 09:00 EDT is 13:00 UTC.
    ("2026-03-08T06:30:00", "2026-03-08T13:00:00"),
])
def test_due_in_quiet_hours_is_deferred_to_the_local_morning(due, expected):
    assert NEW_YORK.next_allowed(utc(due)) == utc(expected)


def test_a_daytime_window_that_does_not_cross_midnight():
    lunch = QuietHours.parse("12:00-13:00", "Europe/Paris")
    assert lunch.next_allowed(utc("2026-11-21T11:30:00")) == utc("2026-11-21T12:00:00")
    assert lunch.next_allowed(utc("2026-11-21T10:59:00")) == utc("2026-11-21T10:59:00")


def test_equal_start_and_end_means_no_quiet_hours():
    assert not QuietHours.parse("00:00-00:00", "UTC").contains(utc("2026-11-21T03:00:00"))


def test_local_date_follows_the_shop_time_zone():
    assert NEW_YORK.local_date(utc("2026-11-21T03:30:00")) == "2026-11-20"


@pytest.mark.parametrize("window", ["21-9", "21:00", "25:00-09:00", ""])
def test_a_malformed_window_is_refused(window):
    with pytest.raises(QuietHoursInvalid):
        QuietHours.parse(window, "UTC")
