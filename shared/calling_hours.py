"""Calling hours: when a provider may be phoned, in the callee's local time.

The window is `CALLING_HOURS` (`HH:MM-HH:MM`, default `08:00-21:00`; `00:00-24:00` is any
hour). The callee's time zone comes from the number (phonenumbers' time-zone data); a number
whose area spans several zones must be inside the window in every one of them, so nobody is
rung at night. Simulated providers are called at any hour: callers skip this for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as number_zones

DEFAULT_CALLING_HOURS = "08:00-21:00"


@dataclass(frozen=True)
class Window:
    """The daily window, as minutes after local midnight: `start` inclusive, `end` exclusive."""

    start: int
    end: int

    @property
    def always(self) -> bool:
        """Any hour will do."""
        return self.start == 0 and self.end >= 24 * 60

    def holds(self, local: datetime) -> bool:
        """Whether a local time is inside the window."""
        minute = local.hour * 60 + local.minute
        return self.start <= minute < self.end


def _minutes(text: str) -> int:
    hours, sep, minutes = text.strip().partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        raise ValueError(f"{text.strip()!r} is not a time of day (HH:MM)")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > 24 * 60:
        raise ValueError(f"{text.strip()!r} is not a time of day (HH:MM)")
    return value


@lru_cache(maxsize=32)
def parse_window(text: str) -> Window:
    """`08:00-21:00` as a `Window`; a `ValueError` naming what is wrong."""
    first, sep, last = text.partition("-")
    if not sep:
        raise ValueError(f"{text!r} is not a window of hours (HH:MM-HH:MM, e.g. 08:00-21:00)")
    window = Window(_minutes(first), _minutes(last))
    if window.start >= window.end:
        raise ValueError(f"{text!r}: the window must start before it ends, on the same day")
    return window


def callee_zones(phone: str) -> list[ZoneInfo]:
    """The time zones a number may ring in (UTC when its area is unknown)."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return [ZoneInfo("UTC")]
    zones = []
    for name in number_zones.time_zones_for_number(number):
        try:
            zones.append(ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError):
            continue  # "Etc/Unknown" and the like
    return zones or [ZoneInfo("UTC")]


def within_calling_hours(
    phone: str, now: datetime, hours: str | Window = DEFAULT_CALLING_HOURS
) -> datetime | None:
    """`None` when `phone` may be called at `now`; otherwise the next moment (UTC) it may.

    `hours` is the `CALLING_HOURS` setting. The answer is exact to the minute: the earliest
    window opening, in any of the callee's zones, at which every zone is inside the window.
    """
    window = parse_window(hours) if isinstance(hours, str) else hours
    if window.always:
        return None
    now = now.astimezone(UTC)
    zones = callee_zones(phone)

    def allowed(moment: datetime) -> bool:
        return all(window.holds(moment.astimezone(zone)) for zone in zones)

    if allowed(now):
        return None
    openings = []
    for zone in zones:
        local = now.astimezone(zone)
        for days in range(3):
            day = (local + timedelta(days=days)).date()
            start = time(window.start // 60, window.start % 60)
            opening = datetime.combine(day, start, tzinfo=zone).astimezone(UTC)
            if opening > now:
                openings.append(opening)
    for opening in sorted(openings):
        if allowed(opening):
            return opening
    # Zones whose windows never overlap: the earliest opening of any of them.
    return min(openings)
