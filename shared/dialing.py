"""The dialing guardrails both services apply, with Google's libphonenumber rules.

* `dialable_number`: a provider's number in E.164, or `NumberRefused` saying why: not a valid
  number, outside the allowed regions, a short or emergency code, or a kind of number no trade
  uses (premium rate, shared cost, personal, pager, satellite and other non-geographic ranges).
* `calling_window` / `wait_until`: calls are placed only inside a daily window in the callee's
  local time (from the number's time zones; when a number spans several, the window must hold
  in all of them).
* `asks_not_to_be_called`: whether a provider's words ask us never to call again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import PhoneNumberType, timezone

#: Number kinds that reach a business; every other kind is refused.
_DIALABLE_TYPES = {
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "landline or mobile",
    PhoneNumberType.TOLL_FREE: "toll-free",
    PhoneNumberType.VOIP: "VoIP",
}
_REFUSED_TYPES = {
    PhoneNumberType.PREMIUM_RATE: "a premium-rate number",
    PhoneNumberType.SHARED_COST: "a shared-cost number",
    PhoneNumberType.PERSONAL_NUMBER: "a personal (forwarding) number",
    PhoneNumberType.PAGER: "a pager",
    PhoneNumberType.UAN: "a universal access number",
    PhoneNumberType.VOICEMAIL: "a voicemail access number",
}
#: The "region" libphonenumber gives non-geographic ranges (satellite, +800, +808, ...).
_NON_GEOGRAPHIC = "001"


class NumberRefused(ValueError):
    """A number the guardrails do not dial; the message names the number and the reason."""


def dialable_number(raw: str, default_region: str, allowed_regions: list[str]) -> str:
    """`raw` in E.164 if it may be dialled, else `NumberRefused` naming it and why."""
    text = raw.strip()
    digits = re.sub(r"\D", "", text)
    if digits and len(digits) <= 6 and not text.startswith("+"):
        if phonenumbers.is_emergency_number(digits, default_region):
            raise NumberRefused(f"{raw!r} is an emergency number: never dialled")
        raise NumberRefused(f"{raw!r} is a short code: never dialled")
    try:
        parsed = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as error:
        raise NumberRefused(f"invalid phone number {raw!r}: {error._msg}") from None
    if not phonenumbers.is_valid_number(parsed):
        raise NumberRefused(f"invalid phone number {raw!r}: not a dialable number")
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    region = phonenumbers.region_code_for_number(parsed)
    if region == _NON_GEOGRAPHIC or region is None:
        raise NumberRefused(
            f"{e164} is a non-geographic number (satellite or international service): not dialled"
        )
    kind = phonenumbers.number_type(parsed)
    if kind in _REFUSED_TYPES:
        raise NumberRefused(f"{e164} is {_REFUSED_TYPES[kind]}: not dialled")
    if kind not in _DIALABLE_TYPES:
        raise NumberRefused(f"{e164} is not a landline or mobile number: not dialled")
    if region not in allowed_regions:
        raise NumberRefused(
            f"{e164} is in {region}, outside the regions this service dials "
            f"(DIAL_COUNTRIES={','.join(allowed_regions)})"
        )
    return e164


# -- calling hours ------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A daily window `[start, end)` in local time; `always` when it covers the whole day."""

    start: time
    end: time | None  # None: midnight at the end of the day

    @property
    def always(self) -> bool:
        """Whether every moment of the day is inside."""
        return self.start == time(0) and self.end is None

    def holds(self, local: datetime) -> bool:
        """Whether a local time is inside the window."""
        moment = local.time()
        return moment >= self.start and (self.end is None or moment < self.end)

    def next_start(self, local: datetime) -> datetime:
        """The first moment at or after `local` inside the window."""
        if self.holds(local):
            return local
        start = local.replace(
            hour=self.start.hour, minute=self.start.minute, second=0, microsecond=0
        )
        return start if start > local else start + timedelta(days=1)


def parse_window(text: str) -> Window:
    """`08:00-21:00` → a window; `00:00-24:00` → always. Raises `ValueError` naming the form."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
    if match is None:
        raise ValueError(f"{text!r} is not HH:MM-HH:MM (for example 08:00-21:00)")
    start_h, start_m, end_h, end_m = (int(part) for part in match.groups())
    if start_h > 23 or start_m > 59 or end_m > 59 or end_h > 24 or (end_h == 24 and end_m):
        raise ValueError(f"{text!r} is not a time range within one day")
    end = None if end_h == 24 else time(end_h, end_m)
    if end is not None and end <= time(start_h, start_m):
        raise ValueError(f"{text!r} ends before it starts")
    return Window(time(start_h, start_m), end)


def callee_zones(e164: str) -> list[ZoneInfo]:
    """The time zones a number may ring in (none known: an empty list)."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return []
    zones = []
    for name in timezone.time_zones_for_number(parsed):
        try:
            zones.append(ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return zones


def wait_until(e164: str, now: datetime, window: Window) -> datetime | None:
    """`None` if the number may be called now; else the moment the window opens for it in
    every time zone it may ring in (then check again: by then one zone may have closed)."""
    if window.always:
        return None
    zones = callee_zones(e164)
    if not zones:
        return None  # an unknown zone: the region check already keeps calls domestic
    closed = [zone for zone in zones if not window.holds(now.astimezone(zone))]
    if not closed:
        return None
    opens = max(window.next_start(now.astimezone(zone)) for zone in closed)
    return opens.astimezone(UTC)


# -- do not call --------------------------------------------------------------------------

_DO_NOT_CALL = re.compile(
    r"\b("
    r"(do not|don't|dont|never|stop)\s+(call|calling|phone|phoning|ring|ringing)\b"
    r"|(take|remove|put)\s+(me|us|my number|this number|our number)\s+(off|from|on)\s+"
    r"(your|the)\s+(list|do not call|do-not-call)"
    r"|do[- ]not[- ]call list"
    r")",
    re.IGNORECASE,
)


def asks_not_to_be_called(text: str) -> bool:
    """Whether a provider's words ask us not to call them again."""
    return bool(_DO_NOT_CALL.search(text))
