"""The local agent's price arithmetic: how far below the budget it anchors, how its counter
moves push by push, and when a price is near enough to take.

The budget covers what the homeowner pays: a trip or diagnostic fee and the parts count against
it, while the price agreed is the job's price.
"""

from __future__ import annotations

import math

__all__ = [
    "ANCHOR",
    "FIRST_CUT",
    "NO_BUDGET_CUT",
    "PUSHES_ABOVE",
    "PUSHES_NO_BUDGET",
    "PUSHES_WITHIN",
    "WELL_UNDER",
    "next_counter",
    "round_down",
]

#: The first counter-offer: this share of the budget (the anchor), and at most this share of
#: the provider's price.
ANCHOR = 0.75
FIRST_CUT = 0.85
#: With no budget, the first counter is this share of their price.
NO_BUDGET_CUT = 0.8
#: A price this far under the budget is taken after a single push.
WELL_UNDER = 0.8
#: Pushes before taking a price within budget; pushes on a price above it (the last one offers
#: the budget itself); pushes for a best price when there is no budget.
PUSHES_WITHIN = 2
PUSHES_ABOVE = 3
PUSHES_NO_BUDGET = 2


def round_down(value: float, step: float = 5) -> float:
    """`value` rounded down to a multiple of `step` (a price people say: 142.5 → 140)."""
    return float(math.floor(value / step + 1e-9) * step)


def next_counter(
    price: float,
    push: int,
    *,
    budget: float | None,
    other: float | None,
    fee: float,
    parts: float,
    last: float | None,
    range_low: float | None,
) -> float | None:
    """The agent's counter to the provider's `price` on its `push`-th push, or None to ask for
    their best without naming one.

    `other` is the lowest other quote, `fee` and `parts` what comes on top of the job's price,
    `last` the agent's previous counter, `range_low` the low end of a range they named.
    """
    if budget is None:
        if push == 1:
            counter = round_down(NO_BUDGET_CUT * price)
        elif other is not None and other < price:
            counter = other
        else:
            return None
        return counter if 0 < counter < price else None
    cap = budget - fee - parts  # the most the job itself may cost
    target = min(price, cap)
    if push == 1 or last is None:
        counter = min(round_down(ANCHOR * budget) - fee - parts, round_down(FIRST_CUT * price))
        if range_low is not None:
            counter = min(counter, range_low)
    elif push == 2:
        counter = round_down((last + target) / 2)
        if other is not None and last < other <= target:
            counter = other
    else:
        counter = cap
    if last is not None:
        counter = max(counter, last + 5)
    counter = min(counter, cap)
    if counter <= 0 or counter >= price:
        return None
    return counter
