"""Money in words and on screen: the cases each formatter it replaced handled."""

from __future__ import annotations

import pytest

from pricing.numbers import parse_money
from shared.money import (
    amount,
    dollars,
    money_phrases,
    price_shorthand,
    spoken_dollars,
    spoken_number,
)


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (7, "seven"),
        (19, "nineteen"),
        (40, "forty"),
        (95, "ninety five"),
        (100, "one hundred"),
        (175, "one hundred seventy five"),
        (1000, "one thousand"),
        (1250, "one thousand two hundred fifty"),
        (21_005, "twenty one thousand five"),
        (-3, "minus three"),
        (1_000_000, "1000000"),
    ],
)
def test_spoken_number(n: int, words: str) -> None:
    assert spoken_number(n) == words


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (175, "one hundred and seventy five"),
        (1005, "one thousand and five"),
        (1250, "one thousand two hundred and fifty"),
        (2000, "two thousand"),
    ],
)
def test_spoken_number_with_and(n: int, words: str) -> None:
    assert spoken_number(n, with_and=True) == words


def test_spoken_dollars() -> None:
    assert spoken_dollars(1) == "one dollar"
    assert spoken_dollars(150) == "one hundred fifty dollars"
    assert spoken_dollars(89.5) == "eighty nine dollars and fifty cents"


def test_spoken_dollars_read_back_as_the_same_amount() -> None:
    values = [*range(1, 2000), 2500, 10_250, 89.5, 149.99, 1.01]
    for value in values:
        text = spoken_dollars(value)
        assert parse_money(text) == value, text
        assert text.replace(" ", "").isalpha()


def test_the_ways_a_price_is_said() -> None:
    assert price_shorthand(155) == "one fifty five"
    assert price_shorthand(105) == "one oh five"
    phrases = money_phrases(150)
    for said in (
        "one hundred fifty dollars",
        "one hundred and fifty",
        "one fifty",
        "one fifty bucks",
    ):
        assert said in phrases
    assert "fifteen hundred dollars" in money_phrases(1500)
    for amount_said in money_phrases(1500) + money_phrases(150):
        assert parse_money(amount_said) in (150, 1500), amount_said


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "-"),
        (150, "$150"),
        (150.0, "$150"),
        (89.5, "$89.50"),
        (1200, "$1,200"),
        (1250.5, "$1,250.50"),
        (0, "$0"),
    ],
)
def test_dollars_for_people(value: float | None, shown: str) -> None:
    """The CLI's tables, the agent's prompt, the over-budget note."""
    assert dollars(value) == shown


def test_dollars_with_another_mark_for_none() -> None:
    assert dollars(None, none="n/a") == "n/a"


@pytest.mark.parametrize(
    ("value", "shown", "with_cents"),
    [
        (None, "none", "none"),
        (150, "150", "150"),
        (1200.0, "1200", "1200"),
        (89.5, "89.5", "89.50"),
        (89.05, "89.05", "89.05"),
    ],
)
def test_amount_for_scripts(value: float | None, shown: str, with_cents: str) -> None:
    """`haggle price` prints `shown`; the extractor's evaluation report `with_cents`."""
    assert amount(value) == shown
    assert amount(value, cents=True) == with_cents
