"""Which numbers in a turn are money: not a clock time, a phone number's digits, a size, a zip
code, a street number or a year, judged from the words around each; a price said with its
cents in words ("a hundred forty nine ninety five"); and whether "plus" adds money or means
"more than" ("fifteen years plus")."""

from __future__ import annotations

from dataclasses import replace

from pricing import vocabulary as v
from pricing.numbers import Amount
from pricing.tokens import TEENS, TENS, UNITS


def with_cents(amounts: list[Amount], tokens: list[str]) -> list[Amount]:
    """The amounts, with a price in words and the cents said right after it read as one
    ("a hundred forty nine ninety five", "one fifty nine ninety nine": 149.95, 159.99).

    The cents join a whole price of $100 or more ending in 5 or 9 when they end in 5 or 9
    too, the way prices are set; "one fifty ninety" stays two numbers."""
    out: list[Amount] = []
    for amount in amounts:
        last = out[-1] if out else None
        if last is not None and _cents_of(last, amount, tokens):
            out[-1] = replace(last, value=last.value + amount.value / 100, end=amount.end)
            continue
        out.append(amount)
    return out


def _cents_of(whole: Amount, cents: Amount, tokens: list[str]) -> bool:
    said = tokens[cents.start : cents.end]
    return (
        whole.shape in ("cardinal", "pair")
        and cents.shape == "cardinal"
        and cents.start == whole.end
        and 100 <= whole.value < 10_000
        and whole.value == int(whole.value)
        and int(whole.value) % 10 in (5, 9)
        and 10 <= cents.value <= 99
        and int(cents.value) % 10 in (5, 9)
        and all(t in TENS or t in TEENS or t in UNITS for t in said)
    )


def adds(tokens: list[str]) -> bool:
    """Whether "plus" in `tokens` adds money on top ("$250 plus $40 for parts"), not "more
    than" after a count ("fifteen years plus", "ten plus years")."""
    return any(
        token == "plus"
        and not (i and (tokens[i - 1] in v.NOT_MONEY_AFTER or _is_number(tokens, i - 1)))
        for i, token in enumerate(tokens)
    )


#: Rooms named by what they are for: "the living room four fifty" prices the job in it.
_ROOM_KINDS = v.words(
    "living dining family laundry utility mud rec bonus sun great guest spare back front "
    "furnace boiler storage media game play throne powder"
)


def is_money(amount: Amount, tokens: list[str]) -> bool:
    """Whether a number is said as money, from the words around it."""
    if amount.shape in ("clock", "digit_run"):
        return False
    before = tokens[amount.start - 1] if amount.start > 0 else ""
    after = tokens[amount.end] if amount.end < len(tokens) else ""
    after2 = tokens[amount.end + 1] if amount.end + 1 < len(tokens) else ""
    value = amount.value
    said = tokens[amount.start : amount.end]
    dollars = any(t.startswith("$") or t in ("dollars", "dollar", "bucks", "buck") for t in said)
    if not dollars and after in v.NOT_MONEY_AFTER:
        return False  # "a thousand gallon tank": a size, though "thousand" sounds like money
    if not dollars and _phone_group(amount, tokens):
        return False
    if not amount.marked:
        if after in v.NOT_MONEY_AFTER or after in v.STREET or after2 in v.STREET:
            return False
        if before in v.NOT_MONEY_BEFORE or before == "#":
            # "room 402" is a room; "living room eight hundred" and "one room one forty five"
            # are prices
            scaled = any(t in ("hundred", "thousand") for t in tokens[amount.start : amount.end])
            counted = amount.start >= 2 and tokens[amount.start - 2] in _COUNT_WORDS
            # "the living room four fifty": the room a job is in, not a room number
            kind_of_room = amount.start >= 2 and tokens[amount.start - 2] in _ROOM_KINDS
            if not (before == "room" and (scaled or counted or kind_of_room)):
                return False
        zip_shaped = amount.shape == "digits" and len(tokens[amount.start].lstrip("$")) == 5
        if zip_shaped and before in ("in", "zip", "code"):
            return False  # "a homeowner in 07030": a zip code
        if after == "by" or (before == "by" and _is_number(tokens, amount.start - 2)):
            return False  # "36 by 48": a size
        if amount.shape == "digits" and (value >= 10000 or len(str(int(value))) >= 7):
            return False  # zip codes and phone numbers are said without "$"
        # "since 1999", "installed in 2012", or a bare "2012" echoed back: a year, unless it
        # is said where a price is said ("it's 2000 for the job").
        year_like = 1900 <= value <= 2035 and value == int(value)
        if year_like and (
            before in v.YEAR_BEFORE or (amount.shape == "digits" and before not in v.PRICE_BEFORE)
        ):
            return False
        if _year_of_a_thing(amount, before, after):
            return False
        if before in v.TIME_BEFORE and _time_shaped(amount):
            window = set(tokens[max(0, amount.start - 5) : amount.start - 1])
            if window & v.TIME_CONTEXT or after in v.TIME_AFTER:
                return False
    return 1 <= value <= 100_000


#: Said before "room", these count rooms ("one room", "per room"): a number after is no
#: room number.
_COUNT_WORDS = v.words("a an one per each every this that the single whole")


def _phone_group(amount: Amount, tokens: list[str]) -> bool:
    """Whether digits are a group of a phone number ("555 0134", "415-555-0134"; a dash
    between digits is tokenized "to", so "150-250" stays a range)."""
    if amount.shape != "digits" or not tokens[amount.start].isdigit():
        return False
    groups = [t for t in tokens if t != "to"]
    # a round "1200" is a price said in digits, not the last four of a phone number
    sizes = [
        len(t) if t.isdigit() and not (len(t) == 4 and t.endswith("00")) else 0 for t in groups
    ]
    index = sum(1 for t in tokens[: amount.start] if t != "to")
    for first in range(max(0, index - 2), index + 1):
        run = sizes[first : first + 3]
        if (run[:2] == [3, 4] and first + 1 >= index) or run == [3, 3, 4]:
            return True
    return False


def _is_number(tokens: list[str], index: int) -> bool:
    if index < 0:
        return False
    word = tokens[index]
    return word[:1].isdigit() or word in UNITS or word in ("hundred", "thousand")


def _year_of_a_thing(amount: Amount, before: str, after: str) -> bool:
    """Whether a number said in two parts is the year of the thing named right after it: "a
    twenty fifteen washer" (2015, not $20.15), "their nineteen ninety eight house"."""
    if amount.shape != "pair" or amount.head not in (19, 20):
        return False
    year = amount.alternative or amount.value
    dated = before in v.YEAR_DETERMINERS or before in v.YEAR_BEFORE
    return 1900 <= year <= 2035 and dated and after in v.YEAR_THINGS


def _time_shaped(amount: Amount) -> bool:
    """`two`, `two thirty`, `ten oh five`: what a clock time sounds like."""
    if amount.shape == "pair":
        return amount.head is not None and 1 <= amount.head <= 12 and (amount.tail or 0) < 60
    if amount.shape == "cardinal":
        return amount.head is not None and 1 <= amount.head <= 12
    if amount.shape == "digits":
        return 1 <= amount.value <= 12
    return False
