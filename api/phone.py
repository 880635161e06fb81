"""Phone numbers, normalised to E.164 with Google's libphonenumber rules."""

from __future__ import annotations

import phonenumbers


class InvalidPhoneNumber(ValueError):
    """A phone number that cannot be dialled."""


def to_e164(raw: str, default_region: str = "US") -> str:
    """`(415) 555-0100` → `+14155550100`; raises `InvalidPhoneNumber` naming the input."""
    text = raw.strip()
    try:
        parsed = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhoneNumber(f"invalid phone number {raw!r}: {error._msg}") from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber(f"invalid phone number {raw!r}: not a dialable number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
