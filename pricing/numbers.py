"""Money amounts as people say them on the phone, in digits or in words.

`tokenize` turns a transcript line into lowercase tokens; `find_amounts` finds every number in
them, in any of the forms a price is said in:

* digits: `$1,200`, `1,850 dollars`, `$89.50`, `380 bucks`, `1450`, `2k`;
* cardinals: `a hundred and twenty-five`, `two hundred even`, `one thousand five hundred`,
  `twelve hundred`, `a grand`, `two and a half grand`, `eighty nine dollars and fifty cents`;
* the spoken shorthand: `one fifty` (150), `one-seventy-five` (175), `two oh five` (205),
  `fourteen fifty` (1,450), and, when the first group is 20 or more, dollars and cents:
  `eighty nine fifty` (89.50) — or hundreds (`thirty two fifty`, 3,250), which the reader
  decides against the price under discussion;
* `three and a half` (350), `two and a quarter` (225), `six bills` (600): hundreds unsaid;
* `a buck fifty` (150), `a buck and a quarter` (125): for a service job nobody quotes $1.50,
  so `buck` here is slang for a hundred; `a hundred and a quarter` is 125 too.

Whether a number is a price at all (and not a time, a count or a year) is decided by the reader
(`reading.py`), which sees the words around it; this module only parses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from pricing.tokens import (
    DIGIT_WORDS,
    MONEY_AFTER,
    NUMBER_WORDS,
    SCALES,
    TEENS,
    TENS,
    UNITS,
    tokenize,
)
from pricing.vocabulary import NOT_MONEY_AFTER
from shared.words import word_set

#: "one" after these is a pronoun ("an easy one", "the other one"), not a number.
_PRONOUN_ONE_BEFORE = word_set(
    "easy quick simple big small little good bad new old other this that which each every "
    "another same last next only right wrong nice tough hard cheap standard basic no any the"
)

_DIGITS = re.compile(r"^(\$)?(\d[\d,]*(?:\.\d+)?)(k)?$")
_CLOCK = re.compile(r"^\d{1,2}:\d{2}$")


@dataclass(frozen=True)
class Amount:
    """A number found in a token list: its value and where it was said.

    `start`/`end` are token indexes (end exclusive, money words after it included).
    `marked` says it was said as money (`$`, dollars, bucks, grand, even, flat, cents).
    `shape` is how it was said; the reader uses it to tell `two thirty` (a time, perhaps) from
    `two hundred thirty`.
    """

    value: float
    start: int
    end: int
    marked: bool
    shape: Literal["digits", "cardinal", "pair", "buck", "clock", "digit_run"]
    #: For `pair` and single small cardinals: the first group (`two` in `two thirty`).
    head: int | None = None
    #: For `pair`: the second group (`thirty` in `two thirty`).
    tail: int | None = None
    #: The other way to hear it, when there is one: `thirty two fifty` is $32.50 on its own but
    #: 3,250 in a talk about three thousand; the reader picks against the price discussed.
    alternative: float | None = None


def _small(tokens: list[str], i: int) -> tuple[int, int] | None:
    """A number below 100 in words at `i` (`seven`, `twelve`, `seventy five`): value, next i."""
    if i >= len(tokens):
        return None
    word = tokens[i]
    if word in TEENS:
        return TEENS[word], i + 1
    if word in TENS:
        if i + 1 < len(tokens) and tokens[i + 1] in UNITS:
            return TENS[word] + UNITS[tokens[i + 1]], i + 2
        return TENS[word], i + 1
    if word in UNITS:
        return UNITS[word], i + 1
    return None


def _second_group(tokens: list[str], i: int) -> tuple[int, int] | None:
    """The second group of the spoken shorthand (`fifty` in `one fifty`, `oh five`)."""
    if i < len(tokens) and tokens[i] == "oh" and i + 1 < len(tokens) and tokens[i + 1] in UNITS:
        return UNITS[tokens[i + 1]], i + 2
    small = _small(tokens, i)
    if small is None or small[0] < 10:
        return None
    # "one fifty hundred" is not a thing; "two twenty five" is 225, and that is what `_small`
    # already returned for "twenty five".
    if small[1] < len(tokens) and tokens[small[1]] in SCALES:
        # "fourteen fifty one thousand four hundred fifty": the price said again in full; the
        # tens word ends the pair, its unit starts the next number
        if tokens[i] in TENS and small[1] - i == 2:
            return TENS[tokens[i]], i + 1
        return None
    return small


def _is_pronoun_one(tokens: list[str], i: int) -> bool:
    if tokens[i] != "one" or i == 0:
        return False
    before = tokens[i - 1]
    if before in ("a", "an"):
        # "a one fifty quote" is rare; "a one" before a noun is "a single"
        return _small(tokens, i + 1) is None
    # "the right one", "no one" are pronouns; "right, one eighty", "no, one ninety" are prices
    # "another one twenty" (a price on top) as much as "right, one eighty"
    if before in ("right", "no", "another") and _second_group(tokens, i + 1) is not None:
        return False
    return before in _PRONOUN_ONE_BEFORE


def _and_small(tokens: list[str], j: int) -> bool:
    """Whether `and <number>` at `j` continues a number (not "five hundred and fifteen hundred",
    where the second number starts after "and")."""
    if j + 1 >= len(tokens) or tokens[j] != "and":
        return False
    small = _small(tokens, j + 1)
    return small is not None and not (small[1] < len(tokens) and tokens[small[1]] in SCALES)


def _cardinal(tokens: list[str], i: int) -> tuple[float, int, int | None] | None:
    """A cardinal in words at `i`: value, next index, and the head if it is one small number.

    Handles `a hundred and twenty five`, `hundred fifty`, `twelve hundred`, `two thousand three
    hundred`, `a grand`, `two and a half grand`.
    """
    n = len(tokens)
    j = i
    total = 0.0
    current: float | None = None
    scaled = False
    if tokens[i] == "grand":
        return None  # "upright or grand?": "grand" with no number before it is no number
    if tokens[j] in ("a", "an") and j + 1 < n and tokens[j + 1] in SCALES:
        current = 1
        j += 1
    while j < n:
        word = tokens[j]
        if word == "hundred":
            if current is not None and current >= 100:
                break  # "five hundred ... hundred": a second number
            current = (current or 1) * 100
            scaled = True
            j += 1
            if _and_small(tokens, j):
                j += 1
            continue
        if word in ("thousand", "grand"):
            total += (current or 1) * 1000
            current = None
            scaled = True
            j += 1
            if _and_small(tokens, j):
                j += 1
            continue
        # "a hundred and a quarter", "a hundred and a half": 125, 150
        if current == 100 and tokens[j : j + 3] in (["and", "a", "quarter"], ["and", "a", "half"]):
            current += 25 if tokens[j + 2] == "quarter" else 50
            j += 3
            break
        # "two and a half grand"
        if (
            current is not None
            and tokens[j : j + 3] == ["and", "a", "half"]
            and j + 3 < n
            and tokens[j + 3] in ("grand", "thousand")
        ):
            total += (current + 0.5) * 1000
            current = None
            scaled = True
            j += 4
            continue
        small = _small(tokens, j)
        if small is None:
            break
        if total and current is not None and current < 10 and 10 <= small[0] < 100:
            # "eighteen thousand two fifty": the hundreds said the short way after thousands
            current = current * 100 + small[0]
            j = small[1]
            break
        if current is not None and current % 100 != 0:
            break  # "five five": two numbers, not one
        follows = tokens[small[1] : small[1] + 2]
        pair = follows[:1] and (follows[0] in TEENS or follows[0] in TENS)
        if current and small[0] < 10 and pair and not (follows[1:] and follows[1] in UNITS):
            break  # "a hundred, one twenty": the unit starts the next (not "nine ninety five")
        if current is not None and not scaled:
            break
        current = (current or 0) + small[0]
        j = small[1]
    if j == i or (current is None and total == 0):
        return None
    value = total + (current or 0)
    head = int(value) if not scaled and value < 100 else None
    return value, j, head


def find_amounts(tokens: list[str]) -> list[Amount]:
    """Every number in `tokens`, left to right, with the money words that follow it."""
    amounts: list[Amount] = []
    n = len(tokens)
    i = 0
    while i < n:
        found = _amount_at(tokens, i)
        if found is None:
            i += 1
            continue
        amounts.append(found)
        i = found.end
    return amounts


def _digit_run(tokens: list[str], i: int) -> int:
    """How many single digits in words start at `i` (`five five five oh one nine two`)."""
    j = i
    while j < len(tokens) and tokens[j] in DIGIT_WORDS:
        j += 1
    return j - i


def _amount_at(tokens: list[str], i: int) -> Amount | None:
    word = tokens[i]
    n = len(tokens)

    # Digits, with an optional `$` before (attached or not) and `k` after.
    dollar_sign = False
    j = i
    if word == "$" and i + 1 < n and _DIGITS.match(tokens[i + 1]):
        dollar_sign = True
        j = i + 1
    match = _DIGITS.match(tokens[j])
    if match:
        sign, digits, k = match.groups()
        value = float(digits.replace(",", ""))
        if k:
            value *= 1000
        end = j + 1
        if end < n and tokens[end] in ("thousand", "grand"):
            value *= 1000
            end += 1
        return _with_markers(
            tokens, i, end, value, bool(sign or dollar_sign or k), "digits", None, None
        )
    if _CLOCK.match(word):
        return Amount(0.0, i, i + 1, False, "clock")

    # A run of four or more single digits is a phone number or a code, never a price.
    run = _digit_run(tokens, i)
    if run >= 4:
        return Amount(0.0, i, i + run, False, "digit_run")

    # "a buck fifty", "buck twenty": slang for 150 and 120.
    k = i + 1 if word in ("a", "an") else i
    if k < n and tokens[k] == "buck":
        if tokens[k + 1 : k + 4] in (["and", "a", "quarter"], ["and", "a", "half"]):
            extra = 25 if tokens[k + 3] == "quarter" else 50
            return _with_markers(tokens, i, k + 4, 100 + extra, True, "buck", 1, extra)
        tail = _second_group(tokens, k + 1)
        if tail is not None:
            return _with_markers(tokens, i, tail[1], 100 + tail[0], True, "buck", 1, tail[0])
        return None

    if word in ("a", "an") and not (i + 1 < n and tokens[i + 1] in SCALES):
        return None
    if _is_pronoun_one(tokens, i):
        return None
    cardinal = _cardinal(tokens, i)
    if cardinal is None:
        return None
    value, end, head = cardinal
    # "three and a half", "two and a quarter": hundreds left unsaid (350, 225); "six bills" is
    # 600. Nobody prices a job at $3.50, and "two and a half hours" is told by the word after.
    if head is not None and 1 <= head <= 9:
        if tokens[end : end + 3] in (["and", "a", "quarter"], ["and", "a", "half"]):
            after = tokens[end + 3] if end + 3 < n else ""
            if after not in SCALES:
                extra = 25 if tokens[end + 2] == "quarter" else 50
                return _with_markers(
                    tokens, i, end + 3, head * 100 + extra, False, "cardinal", None, None
                )
        if end < n and tokens[end] in ("bills", "hundo"):
            return _with_markers(tokens, i, end + 1, head * 100, True, "cardinal", None, None)
    thousands = _thousands_shorthand(tokens, end, head)
    if thousands is not None:
        return _with_markers(tokens, i, thousands[1], thousands[0], True, "cardinal", None, None)
    # The spoken shorthand: a small number followed by a two-digit group.
    if head is not None and 1 <= head <= 99:
        tail = _second_group(tokens, end)
        if tail is not None and _said_twice(tokens, i, end, tail[1]):
            tail = (TENS[tokens[end]], end + 1)
        if tail is not None:
            hundreds = head * 100 + tail[0]
            if head < 20:
                return _with_markers(tokens, i, tail[1], hundreds, False, "pair", head, tail[0])
            found = _with_markers(
                tokens, i, tail[1], head + tail[0] / 100, False, "pair", head, tail[0]
            )
            return replace(found, alternative=float(hundreds))
    marked = any(tokens[m] in ("grand", "thousand") for m in range(i, end))
    return _with_markers(tokens, i, end, value, marked, "cardinal", head, None)


def _thousands_shorthand(tokens: list[str], end: int, head: int | None) -> tuple[float, int] | None:
    """Thousands said the contractor's way after a number `head` ending at `end`: "four point
    five k" (4,500), "four k", and "twelve five" / "twenty four eight" (12,500, 24,800: a
    number of thousands, then a single digit of hundreds). The value and where it ends."""
    if head is None:
        return None
    after = tokens[end : end + 3]
    if after[:1] == ["k"]:
        return head * 1000.0, end + 1
    said_point = after[:1] == ["point"] and after[1:2] and after[1] in UNITS
    if said_point and after[2:3] and after[2] in ("k", "grand", "thousand"):
        return (head + UNITS[after[1]] / 10) * 1000, end + 3
    if 10 <= head <= 99 and after[:1] and after[0] in UNITS and UNITS[after[0]] >= 1:
        if after[1:2] and (after[1] in NUMBER_WORDS or after[1] in NOT_MONEY_AFTER):
            return None  # "twelve five hundred", "ten two bedroom units": something else
        return head * 1000.0 + UNITS[after[0]] * 100, end + 1
    return None


def _said_twice(tokens: list[str], start: int, end: int, stop: int) -> bool:
    """Whether the pair at `tokens[start:]` is a price said twice ("three fifty three fifty",
    "one twenty one twenty"), not one read across ("three fifty three" = 353, then "fifty"):
    the tail took the head's word back as its unit, and the tens word follows it again."""
    if end - start != 1 or stop != end + 2 or tokens[end] not in TENS:
        return False
    return tokens[end + 1] == tokens[start] and tokens[stop : stop + 1] == [tokens[end]]


def _with_markers(
    tokens: list[str],
    start: int,
    end: int,
    value: float,
    marked: bool,
    shape: Literal["digits", "cardinal", "pair", "buck"],
    head: int | None,
    tail: int | None,
) -> Amount:
    """Extend an amount over the money words after it (`dollars and fifty cents`, `even`)."""
    n = len(tokens)
    while end < n and tokens[end] in MONEY_AFTER:
        marked = True
        word = tokens[end]
        end += 1
        # "eighty nine dollars and fifty cents"
        if word in ("dollars", "dollar", "bucks") and end + 2 < n and tokens[end] == "and":
            cents = _small(tokens, end + 1)
            if cents is not None and cents[1] < n and tokens[cents[1]] == "cents":
                value += cents[0] / 100
                end = cents[1] + 1
    if tokens[end : end + 3] == ["on", "the", "dot"]:
        marked = True
        end += 3
    return Amount(round(float(value), 2), start, end, marked, shape, head, tail)


def parse_money(text: str) -> float | None:
    """The single amount said in a short phrase (`$1,200`, `one fifty`), or None."""
    amounts = [a for a in find_amounts(tokenize(text)) if a.shape not in ("clock", "digit_run")]
    return amounts[0].value if len(amounts) == 1 else None


def misheard(heard: float, meant: float) -> bool:
    """Whether `meant` sounds like `heard` with a "-teen" and a "-ty" confused ("three fifteen"
    heard for "three fifty", "one thirteen" for "one thirty")."""
    for a, b in ((heard, meant), (meant, heard)):
        tail = int(a) % 100
        if a == int(a) and 13 <= tail <= 19 and b == a - tail + (tail - 10) * 10:
            return True
    return False
