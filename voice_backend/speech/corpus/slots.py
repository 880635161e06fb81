"""The slots of the corpus's lines: trades, people's names, jobs, days, times, ages, prices.

A line with `{trade}`, `{name}`, `{job}`, `{day}`, `{when}` or `{age}` is said with each of
these; a line with `{price}` with every price phrase of `prices()` (a stride of them).
"""

from __future__ import annotations

from collections.abc import Iterator

__all__ = ["SLOTS", "prices"]


def prices() -> Iterator[int]:
    """Every price the corpus says: $20 to $995 by fives, then to $3,000 by fifties."""
    yield from range(20, 1000, 5)
    yield from range(1000, 3001, 50)


TRADES = (
    "ace plumbing",
    "premier plumbing",
    "quick fix plumbing",
    "reliable plumbing",
    "best plumbing",
    "express plumbing",
    "home services",
    "pro plumbing",
    "a one plumbing",
    "plumbing",
    "the plumber",
    "electric",
    "heating and cooling",
    "drain and sewer",
    "rooter",
    "handyman services",
    "roofing",
    "cleaning",
    "appliance repair",
    "main street plumbing",
    "valley plumbing",
    "city electric",
)
NAMES = (
    *("joe", "john", "mike", "dave", "steve", "tom", "bob", "jim", "dan", "chris", "mark"),
    *("maria", "linda", "susan", "karen", "lisa", "anna", "rita", "sarah", "amy", "kate"),
    *("marco", "tony", "frank", "dale", "gary", "paul", "rick", "sam", "pete", "ray"),
)
JOBS = (
    "toilet keeps running",
    "running toilet",
    "toilet that keeps running",
    "leaky faucet",
    "faucet is leaking",
    "clogged drain",
    "drain is clogged",
    "water heater is not working",
    "no hot water",
    "leak under the sink",
    "pipe is leaking",
    "burst pipe",
    "garbage disposal is broken",
    "shower is dripping",
    "toilet is clogged",
    "outlet is not working",
    "light switch is broken",
    "breaker keeps tripping",
    "furnace is not working",
    "air conditioner is broken",
    "roof is leaking",
    "dishwasher is leaking",
    "sewer line is backed up",
)
DAYS = (
    *("today", "tomorrow", "this week", "next week", "monday", "tuesday", "wednesday"),
    *("thursday", "friday", "saturday", "the weekend"),
)
WHEN = (
    *("this afternoon", "this morning", "this evening", "today", "tomorrow"),
    *("tomorrow morning", "tomorrow afternoon", "first thing", "in the morning", "later today"),
    *("on a weekday", "on the weekend", "next week"),
)

AGES = tuple(["one", "two", "three", "five", "ten", "twelve", "fifteen", "twenty", "thirty"])

#: Slot name → what it is filled with.
SLOTS: dict[str, tuple[str, ...]] = {
    "trade": TRADES,
    "name": NAMES,
    "job": JOBS,
    "day": DAYS,
    "when": WHEN,
    "age": AGES,
}
