"""One turn read: which numbers are prices, of what kind, and what the speaker did."""

from __future__ import annotations

import pytest

from pricing.reading import Kind, read_turn


def prices(text: str, role: str = "user") -> list[tuple[float, str]]:
    return [(m.value, m.kind.value) for m in read_turn(role, text).mentions]


@pytest.mark.parametrize(
    "text",
    [
        "i've been doing this twenty years",
        "i can be there at two thirty tomorrow",
        "it's a fifty gallon tank about 12 years old",
        "we've been around since nineteen ninety nine",
        "the house is at one twenty three oak street",
        "reach me at five five five oh one nine two",
        "I'm in 94107",
        "three windows, each 36 by 48 inches",
        "a 200 amp panel",
        "i'm about thirty minutes out",
        "2012 yeah it's about due",
        "we got two guys on the truck",
    ],
)
def test_numbers_that_are_not_money(text: str) -> None:
    assert prices(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("i charge ninety five an hour", [(95, "rate")]),
        ("$85 per hour plus materials", [(85, "rate")]),
        ("$150 each, so $300", [(150, "each"), (300, "total")]),
        ("there's a seventy nine dollar trip charge", [(79, "fee")]),
        ("it's fifty just to come out and look at it", [(50, "fee")]),
        (
            "$75 trip fee plus $150 for the repair",
            [(75, "fee"), (150, "total")],
        ),
        (
            "service call is a flat ninety nine and that covers the whole thing",
            [(99, "total")],
        ),
        ("usually between two and four hundred", [(200, "range"), (400, "range")]),
        ("anywhere from one fifty to three hundred", [(150, "range"), (300, "range")]),
        ("Could be $90, could be $400.", [(90, "range"), (400, "range")]),
        ("i can take fifty off", [(50, "discount")]),
        ("it's another eighty if it's the sensor", [(80, "addon")]),
        ("glass alone is sixty bucks i'd need one sixty five", [(60, "part"), (165, "total")]),
    ],
)
def test_kinds_of_price(text: str, expected: list[tuple[float, str]]) -> None:
    assert prices(text) == expected


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("i can't do one fifty but i could do one ninety", [True, False]),
        ("two hundred's too low for me meet me in the middle at two fifty", [True, False]),
        ("nah four fifty doesnt even cover my parts", [True]),
        ("nope two hundred even is my price", [False]),
        ("sorry i really can't go lower than two forty", [False]),
        ("No problem, I can do $140.", [False]),
        ("for a hose yeah i'll do a hundred ten no big deal", [False]),
    ],
)
def test_prices_turned_down_where_they_are_said(text: str, negated: list[bool]) -> None:
    assert [m.negated for m in read_turn("user", text).mentions] == negated


def test_moves_in_a_turn() -> None:
    assert read_turn("assistant", "Great, $175 it is.").accept_strong
    assert read_turn("user", "yeah sure").accept_weak
    assert not read_turn("user", "yeah sure").accept_strong
    assert read_turn("user", "let me check with my boss and i'll call you back").defer
    assert read_turn("user", "sorry we dont do gas work").decline
    assert read_turn("user", "three hundred might work but no promises").hedge
    closing = read_turn(
        "assistant", "Thank you for the info. I need to think about it and will call you back."
    )
    assert closing.closing_no_deal and closing.deliberate
    assert read_turn(
        "assistant", "thank you for your help i will reach out to you again shortly"
    ).closing_agreed


def test_the_agents_proposals_are_marked() -> None:
    (counter,) = read_turn("assistant", "Could you do it for one thirty?").mentions
    (budget,) = read_turn("assistant", "My budget is $220.").mentions
    (confirm,) = read_turn("assistant", "Two fifty works.").mentions
    assert counter.proposal and budget.proposal and not confirm.proposal


def test_conditions_are_kept_as_said() -> None:
    reading = read_turn("user", "i could do two fifty if i come this afternoon plus parts")
    assert reading.conditions == ["if i come this afternoon", "plus parts"]
    assert read_turn("user", "total comes to four eighty five with tax").conditions == ["with tax"]
    (offer,) = reading.mentions
    assert offer.conditional and offer.kind is Kind.TOTAL
