"""Rules added against the third blind set's dev calls, each on a short call written for it:
cents said in words after a price, the size of the job deciding how a price said two ways is
heard, and "plus" meaning "more than" after a count. `A:` is our agent, `P:` the provider."""

from __future__ import annotations

import pytest

from pricing.numbers import find_amounts
from pricing.reading import read_turn
from pricing.tokens import tokenize
from tests.pricing.test_deal_rules import read


@pytest.mark.parametrize(
    ("said", "price"),
    [
        ("the tune up is a hundred forty nine ninety five", 149.95),
        ("gutter clean is one fifty nine ninety nine", 159.99),
        ("two hundred nineteen ninety nine for the install", 219.99),
    ],
)
def test_cents_said_in_words_after_a_price_are_its_cents(said: str, price: float) -> None:
    result = read(
        "A: Hi, I'm calling for a homeowner who needs their furnace serviced.",
        f"P: {said}",
        "A: Okay, that works.",
    )
    assert result.first_quote == price


@pytest.mark.parametrize(
    "said",
    ["one fifty ninety minutes tops", "a hundred twenty and forty for parts"],
)
def test_a_round_price_and_a_number_after_it_stay_apart(said: str) -> None:
    values = [m.value for m in read_turn("user", said).mentions]
    assert values[0] in (150, 120)
    assert all(v == int(v) for v in values)


def test_cents_need_a_price_before_them() -> None:
    # a count said before "ninety nine" is not a price with cents
    amounts = find_amounts(tokenize("we have nine ninety nine"))
    assert [a.value for a in amounts] != [9.99]
    assert read_turn("user", "nine trucks ninety nine a visit").mentions[0].value != 9.99


@pytest.mark.parametrize(
    ("job", "first"),
    [
        ("Their roof leaks over the garage; they need that section reshingled.", 3250),
        ("They need one house key copied.", 32.50),
    ],
)
def test_a_price_said_two_ways_is_heard_at_the_jobs_size(job: str, first: float) -> None:
    result = read(
        f"A: Hi, I'm calling for a homeowner. {job}",
        "P: around thirty two fifty",
        "A: Thanks, I'll pass that along.",
    )
    assert result.first_quote == first


def test_plus_after_a_count_means_more_than_not_an_add_on() -> None:
    result = read(
        "A: Hi, I'm calling for a homeowner whose furnace from 2006 has quit. Can you replace it?",
        "P: two thousand six so fifteen years plus replacing it runs thirty eight hundred",
        "A: Okay, $3,800.",
        "P: yep",
    )
    assert (result.agreed_price, result.first_quote) == (3800, 3800)


def test_plus_between_prices_still_adds_on_top() -> None:
    said = "replacement is thirty eight hundred plus two hundred haul"
    mentions = read_turn("user", said).mentions
    assert [m.kind.value for m in mentions] == ["total", "addon"]


@pytest.mark.parametrize("charge", ["after-hours charge", "weekend charge", "emergency charge"])
def test_a_charge_named_for_when_the_job_is_done_is_a_fee_not_the_first_quote(
    charge: str,
) -> None:
    result = read(
        "A: Hi, I'm calling for a homeowner whose gutters overflow. They need them cleaned.",
        f"P: Gutter cleaning is $180. On a Sunday there's a $40 {charge} on top.",
        "A: Fine, $220 all in then, go ahead.",
        "P: You got it.",
    )
    assert (result.agreed_price, result.first_quote) == (220, 180)
