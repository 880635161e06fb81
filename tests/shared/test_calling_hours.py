"""Calling hours in the callee's local time, from the number's area."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.calling_hours import parse_window, within_calling_hours

SAN_FRANCISCO = "+14155550100"  # America/Los_Angeles
NEW_YORK = "+12125550100"  # America/New_York


def test_inside_the_window_the_call_may_go_now() -> None:
    # 10:00 in San Francisco (18:00 UTC in December).
    assert within_calling_hours(SAN_FRANCISCO, datetime(2026, 12, 3, 18, 0, tzinfo=UTC)) is None


def test_late_evening_waits_for_the_next_morning_local_time() -> None:
    # 21:30 in New York is 02:30 UTC the next day; the window opens 08:00 New York = 13:00 UTC.
    late = datetime(2026, 12, 4, 2, 30, tzinfo=UTC)
    assert within_calling_hours(NEW_YORK, late) == datetime(2026, 12, 4, 13, 0, tzinfo=UTC)
    # The same moment is 18:30 in San Francisco: fine there.
    assert within_calling_hours(SAN_FRANCISCO, late) is None


def test_any_hour_and_custom_windows() -> None:
    night = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)  # midnight in San Francisco
    assert within_calling_hours(SAN_FRANCISCO, night, "00:00-24:00") is None
    assert within_calling_hours(SAN_FRANCISCO, night, "09:30-17:00") == datetime(
        2026, 12, 3, 17, 30, tzinfo=UTC
    )


@pytest.mark.parametrize("text", ["8-21", "21:00-08:00", "08:00", "08:00-25:00", "08:61-21:00"])
def test_malformed_windows_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_window(text)
