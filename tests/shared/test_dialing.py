"""The dialing rules: which numbers, at what hours, and a provider's "don't call me again"."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.calling_hours import parse_window
from shared.calling_hours import within_calling_hours as wait_until
from shared.dialing import NumberRefused, asks_not_to_be_called, dialable_number
from shared.settings import SettingsError, load_settings

US = ["US", "CA"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(415) 555-0100", "+14155550100"),
        ("+1 800 555 0100", "+18005550100"),  # toll-free businesses are fine
        ("+1 416 555 0100", "+14165550100"),  # Toronto
    ],
)
def test_trade_numbers_pass(raw: str, expected: str) -> None:
    assert dialable_number(raw, "US", US) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("+44 909 879 0000", "premium-rate"),
        ("+1 900 555 0100", "premium-rate"),
        ("+881 6 1234 5678", "non-geographic"),
        ("+800 1234 5678", "non-geographic"),
        ("+44 20 7946 0958", "outside the regions"),
        ("911", "emergency"),
        ("112", "emergency"),
        ("55555", "short code"),
        ("12", "'12' is not a valid phone number"),
        ("not a number", "not a valid phone number"),
        ("", "no phone number"),
    ],
)
def test_numbers_no_trade_uses_are_refused(raw: str, reason: str) -> None:
    with pytest.raises(NumberRefused, match=reason):
        dialable_number(raw, "US", US)


def test_dial_countries_follow_the_caller_id() -> None:
    assert load_settings().dial_countries == ["US", "CA"]
    assert load_settings(twilio_phone_number="+442079460958").dial_countries == ["GB"]
    assert load_settings(dial_countries="us, ca,gb").dial_countries == ["US", "CA", "GB"]
    with pytest.raises(SettingsError, match="DIAL_COUNTRIES"):
        load_settings(dial_countries="XX")


def test_calling_hours_in_the_callees_time_zone() -> None:
    window = parse_window("08:00-21:00")
    # 15:00 UTC is 07:00 in San Francisco (closed) and 10:00 in New York (open).
    now = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
    assert wait_until("+14155550100", now, window) == datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
    assert wait_until("+12125550100", now, window) is None
    # 04:00 UTC is 23:00 in New York: the next morning at 08:00 there.
    late = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)
    assert wait_until("+12125550100", late, window) == datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
    assert wait_until("+12125550100", late, parse_window("00:00-24:00")) is None


@pytest.mark.parametrize("text", ["8-9", "21:00-08:00", "08:00-25:00", "soon"])
def test_a_malformed_window_is_refused(text: str) -> None:
    with pytest.raises(SettingsError, match="CALLING_HOURS"):
        load_settings(calling_hours=text)


@pytest.mark.parametrize(
    ("said", "asks"),
    [
        ("Please don't call me again.", True),
        ("Take me off your list.", True),
        ("stop calling this number", True),
        ("Put us on your do not call list", True),
        ("Sure, call me back tomorrow about the price.", False),
        ("I can do it for one fifty", False),
    ],
)
def test_a_provider_asking_not_to_be_called(said: str, asks: bool) -> None:
    assert asks_not_to_be_called(said) is asks
