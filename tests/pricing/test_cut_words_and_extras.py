"""Rules added after blind set 2's frozen third was seen, each on a short call written for it: a
yes that trails into a word the hang-up cut is no yes, a price said twice in a row is one price,
an extra service said on top of the job is not its first quote, and a price per visit is the
job's price when the job is one visit's work. `A:` is our agent, `P:` the provider."""

from __future__ import annotations

import pytest

from pricing.fragments import is_fragment
from pricing.numbers import find_amounts
from pricing.tokens import tokenize
from tests.pricing.test_deal_rules import AGREED, HELLO, JOB, read

COUNTER = (HELLO, "P: ace", JOB, "P: new cartridge two forty", "A: Could you do $210?")


@pytest.mark.parametrize(
    "answer",
    [
        "P: yeah i think two ten wor",
        "P: yeah that's ri",
        "P: okay i think we c",  # a hedge after the yes, cut: what it led to is unknown
        "P: sure let me ch",
        "P: yeah two ten fi",  # the price itself cut: two ten, or two fifteen
        "P: okay i can do two tw",
    ],
)
def test_a_yes_trailing_into_a_word_the_hang_up_cut_is_no_deal(answer: str) -> None:
    result = read(*COUNTER, answer)
    assert result.agreed_price is None
    assert result.first_quote == 240


@pytest.mark.parametrize(
    "answer",
    ["P: yeah sure", "P: yep", "P: that works man", "P: alright gotcha", "P: yeah see you fri"],
)
def test_a_finished_yes_at_the_end_of_the_call_is_still_a_deal(answer: str) -> None:
    assert read(*COUNTER, answer).agreed_price == 210


def test_a_cut_looking_word_before_the_last_turn_is_not_read_as_cut() -> None:
    # Only the provider's last words can be cut by the hang-up.
    result = read(*COUNTER, "P: yeah sure that wor", "A: Sorry?", "P: yeah two ten works", AGREED)
    assert result.agreed_price == 210


@pytest.mark.parametrize(
    ("word", "cut"),
    [
        *[("sev", True), ("twen", True), ("ri", True), ("wor", True)],
        *[("yep", False), ("yup", False), ("bud", False), ("gotcha", False), ("mhm", False)],
    ],
)
def test_a_fragment_is_the_start_of_a_word_and_no_word_itself(word: str, cut: bool) -> None:
    assert is_fragment(word) is cut


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("no three fifty three fifty", [350, 350]),
        ("one twenty one twenty", [120, 120]),
        ("three fifty three", [353]),
        ("two twenty two dollars", [222]),
    ],
)
def test_a_price_said_twice_in_a_row_is_read_twice_not_across(
    text: str, values: list[float]
) -> None:
    assert [a.value for a in find_amounts(tokenize(text))] == values


def test_a_first_quote_misheard_and_put_right_twice_over_is_the_price_put_right() -> None:
    result = read(
        HELLO,
        "P: ace",
        JOB,
        "P: swap the cartridge two fifteen",
        "A: Just to confirm, $215?",
        "P: no two fifty two fifty",
        "A: Alright, $250 works.",
        "P: okay",
    )
    assert (result.agreed_price, result.first_quote) == (250, 250)


@pytest.mark.parametrize(
    ("offer", "total", "first"),
    [
        ("P: swap the faucet one eighty plus forty to haul the old one off", 220, 180),
        ("P: swap the faucet one eighty plus forty for disposal", 220, 180),
        ("P: swap the faucet one eighty plus forty for the shutoff valve", 220, 220),
    ],
)
def test_an_extra_service_on_top_is_not_the_first_quote_but_a_part_of_the_job_is(
    offer: str, total: float, first: float
) -> None:
    result = read(HELLO, "P: ace", JOB, offer, f"A: Okay, ${total} total then.", "P: yep")
    assert (result.agreed_price, result.first_quote) == (total, first)


def test_the_extra_service_is_named_in_the_deals_conditions() -> None:
    result = read(
        HELLO,
        "P: ace",
        JOB,
        "P: swap the faucet one eighty plus forty to haul the old one off",
        "A: Okay, $220 total then.",
        "P: yep",
    )
    assert result.conditions is not None and "haul the old one" in result.conditions


def test_a_price_per_visit_is_the_jobs_price_when_said_first() -> None:
    result = read(
        "A: Hi, is this Green Lawn?",
        "P: yes",
        "A: I'm calling for a homeowner; their front lawn needs mowing, about a quarter acre.",
        "P: Quarter acre, $45 a visit.",
        "A: Could you do $35?",
        "P: $40 and it's a deal.",
        "A: Alright, $40, that works.",
    )
    assert (result.agreed_price, result.first_quote) == (40, 45)


def test_a_plans_price_per_visit_under_an_if_is_no_first_quote() -> None:
    result = read(
        "A: Hi, is this Green Lawn?",
        "P: yes",
        "A: I'm calling for a homeowner; their front lawn needs mowing, about a quarter acre.",
        "P: fifty five for the one time cut if they sign up weekly it's forty a visit",
        "A: Okay, $55 for the one time cut.",
    )
    assert (result.agreed_price, result.first_quote) == (55, 55)


def test_a_fee_credited_to_the_repair_says_so_in_the_conditions() -> None:
    result = read(
        HELLO,
        "P: ace",
        "A: I'm calling for a homeowner; their water heater is leaking and they want it checked.",
        "P: inspection is eighty nine and that goes toward the repair if you go with us",
        "A: Okay, $89.",
        "P: great",
    )
    assert result.agreed_price == 89
    assert result.conditions is not None
    assert "goes toward the repair" in result.conditions
    assert "if you go with us" in result.conditions
