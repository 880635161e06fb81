"""Money as people say it: digits, words and the spoken shorthand."""

from __future__ import annotations

import pytest

from pricing.numbers import find_amounts, parse_money
from pricing.tokens import tokenize


@pytest.mark.parametrize(
    ("said", "value"),
    [
        # digits: the original read "$1,200" as 1.0
        ("$1,200", 1200),
        ("$2,450.00", 2450),
        ("1,850 dollars", 1850),
        ("$89.50", 89.5),
        ("380 bucks", 380),
        ("1450", 1450),
        ("$ 150", 150),
        ("2k", 2000),
        # cardinals
        ("a hundred and twenty-five", 125),
        ("a hundred twenty five", 125),
        ("hundred fifty", 150),
        ("two hundred even", 200),
        ("two hundred dollars", 200),
        ("twelve hundred", 1200),
        ("twenty two hundred", 2200),
        ("one thousand five hundred", 1500),
        ("two thousand three hundred and fifty", 2350),
        ("a grand", 1000),
        ("two grand", 2000),
        ("two and a half grand", 2500),
        ("eighty nine dollars and fifty cents", 89.5),
        ("ninety five", 95),
        ("fifty bucks", 50),
        # the spoken shorthand
        ("one fifty", 150),
        ("one-seventy-five", 175),
        ("one seventy five", 175),
        ("two twenty five", 225),
        ("one ten", 110),
        ("two oh five", 205),
        ("fourteen fifty", 1450),
        ("nineteen ninety nine", 1999),
        ("eighty nine fifty", 89.5),
        ("ninety nine ninety five", 99.95),
        # "buck" as a hundred: nobody quotes a plumbing job at $1.50
        ("a buck fifty", 150),
        ("buck twenty", 120),
        ("a buck seventy five", 175),
        ("a buck and a quarter", 125),
        ("a hundred and a quarter", 125),
    ],
)
def test_a_price_said_any_way_reads_as_its_value(said: str, value: float) -> None:
    assert parse_money(said) == pytest.approx(value)


@pytest.mark.parametrize(
    "said",
    ["", "no idea", "a buck", "five five five oh one nine two", "2:30"],
)
def test_no_single_price(said: str) -> None:
    assert parse_money(said) is None


def test_two_numbers_side_by_side_stay_two() -> None:
    tokens = tokenize("anywhere between five hundred and fifteen hundred")
    assert [a.value for a in find_amounts(tokens)] == [500, 1500]


def test_an_easy_one_is_a_pronoun_not_a_hundred() -> None:
    # "that's an easy one, ninety-nine" — not one hundred ninety-nine
    assert [a.value for a in find_amounts(tokenize("thats an easy one ninety nine"))] == [99]


def test_amounts_know_where_they_were_said_and_whether_as_money() -> None:
    tokens = tokenize("I can do $180, or two hundred even for the weekend")
    first, second = find_amounts(tokens)
    assert (first.value, first.marked, tokens[first.start]) == (180, True, "$180")
    assert (second.value, second.marked) == (200, True)
    assert tokens[second.start : second.end] == ["two", "hundred", "even"]


def test_a_phone_number_read_out_is_not_a_price() -> None:
    (run,) = find_amounts(tokenize("call me at five five five oh one nine two"))
    assert run.shape == "digit_run"


def test_tokenize_splits_the_way_speech_is_written() -> None:
    assert tokenize("One-seventy-five? $150-$250, 85/hr. Two hundred's too low") == [
        "one", "seventy", "five", "?", "$150", "to", "250", ",", "85", "per", "hour", ".",
        "two", "hundred", "'s", "too", "low",
    ]  # fmt: skip
