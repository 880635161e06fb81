"""Ranges of prices ("two to four hundred", "could be ninety, could be four hundred") and
prices for everything together ("or two hundred for both"), as the price reader tells them."""

from __future__ import annotations

import itertools

from pricing import vocabulary as v
from pricing.money_words import is_money
from pricing.numbers import Amount


def range_ends_in(amounts: list[Amount], tokens: list[str]) -> tuple[set[int], set[int]]:
    """The amounts that are ends of a range, and those among them said without their hundreds
    ("two" in "two to four hundred"), by start index."""
    ends: set[int] = set()
    scaled: set[int] = set()
    for first, second in itertools.pairwise(amounts):
        between = tokens[first.end : second.start]
        before = tokens[first.start - 1] if first.start else ""
        joined = between in (["to"], ["or"], ["through"]) or (
            between == ["and"] and before == "between"
        )
        short = first.value < 10 and second.value >= 100 and first.shape == "cardinal"
        # "dimmer sixty five or two hundred for both": an option for both items, no range
        bundle = between == ["or"] and for_all(tokens[second.end : second.end + 2])
        if (
            joined
            and not bundle
            and (first.value < second.value or short)
            and is_money(second, tokens)
        ):
            ends |= {first.start, second.start}
            if short:
                scaled.add(first.start)
    # "could be ninety, could be four hundred"
    leads = [
        a
        for a in amounts
        if a.start >= 2
        and tokens[a.start - 2] in v.RANGE_LEADS
        and tokens[a.start - 1] == "be"
        and a.value >= 20
        and is_money(a, tokens)
    ]
    if len(leads) >= 2:
        ends |= {a.start for a in leads}
    return ends, scaled


def for_all(after: list[str]) -> bool:
    """Whether the words after a price make it the price of everything together."""
    return after[:1] in (["together"], ["combined"]) or after in (
        ["for", "both"],
        ["for", "all"],
        ["for", "everything"],
    )
