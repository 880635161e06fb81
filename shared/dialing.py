"""The dialing guardrails both services apply, with Google's libphonenumber rules.

* `dialable_number`: a provider's number in E.164, or `NumberRefused` saying why: not a valid
  number, outside the allowed regions, a short or emergency code, or a kind of number no trade
  uses (premium rate, shared cost, personal, pager, satellite and other non-geographic ranges).
* `DAILY_CALL_WINDOW`: the span `DAILY_CALL_LIMIT` counts an account's calls over;
* calling hours, the daily window in the callee's local time, are in `shared.calling_hours`;
* `asks_not_to_be_called`: whether a provider's words ask us never to call again.
"""

from __future__ import annotations

import re
from datetime import timedelta

import phonenumbers
from phonenumbers import PhoneNumberType

#: `DAILY_CALL_LIMIT` counts the calls an account placed (or queued) in this span before now.
DAILY_CALL_WINDOW = timedelta(hours=24)

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
    if not text:
        raise NumberRefused("no phone number")
    digits = re.sub(r"\D", "", text)
    if digits and len(digits) <= 6 and not text.startswith("+"):
        if phonenumbers.is_emergency_number(digits, default_region):
            raise NumberRefused(f"{raw!r} is an emergency number: never dialled")
        # A typo as often as a real short code: said the way the dashboard says it.
        raise NumberRefused(
            f"{raw!r} is not a valid phone number (too short; short codes are never dialled)"
        )
    try:
        parsed = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as error:
        raise NumberRefused(f"{raw!r} is not a valid phone number: {error._msg}") from None
    if not phonenumbers.is_valid_number(parsed):
        raise NumberRefused(f"{raw!r} is not a valid phone number: not a dialable number")
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
