"""Money in words and on screen: the one place amounts are spelled out or formatted.

Spoken forms are what the agents and the simulated providers say, and what the recogniser's
language model is built from: `spoken_number(1250)` → `one thousand two hundred fifty`,
`spoken_dollars(89.5)` → `eighty nine dollars and fifty cents`, `money_phrases(150)` → the ways
people say a price. Written forms are for people reading a report or a prompt:
`dollars(1200)` → `$1,200`, `dollars(89.5)` → `$89.50`; `amount(89.5)` → `89.5` for output a
script reads.
"""

from __future__ import annotations

__all__ = [
    "ONES",
    "TENS",
    "amount",
    "credible_saving",
    "dollars",
    "money_phrases",
    "price_shorthand",
    "spoken_dollars",
    "spoken_number",
]

#: The number words below twenty, by value (`ONES[7]` is `seven`), and the tens by value/10
#: (`TENS[4]` is `forty`): what the agents say, and what the price reader reads back.
ONES = (
    *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
    *("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen"),
    *("eighteen", "nineteen"),
)
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def spoken_number(n: int, *, with_and: bool = False) -> str:
    """A whole number in words, as eSpeak reads it well: 1250 → `one thousand two hundred fifty`.

    `with_and` says it the British way: 175 → `one hundred and seventy five`. Numbers of a
    million and more are left in digits.
    """
    if n < 0:
        return "minus " + spoken_number(-n, with_and=with_and)
    if n < 20:
        return ONES[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        return TENS[tens] + (f" {ONES[unit]}" if unit else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        joint = " and " if with_and else " "
        return f"{ONES[hundreds]} hundred" + (f"{joint}{spoken_number(rest)}" if rest else "")
    if n < 1_000_000:
        thousands, rest = divmod(n, 1000)
        head = f"{spoken_number(thousands)} thousand"
        if not rest:
            return head
        joint = " and " if with_and and rest < 100 else " "
        return head + joint + spoken_number(rest, with_and=with_and)
    return str(n)


def spoken_dollars(value: float) -> str:
    """A price in words: 150 → `one hundred fifty dollars`, 89.5 → `… dollars and fifty cents`."""
    whole, cents = divmod(round(value * 100), 100)
    text = f"{spoken_number(whole)} {'dollar' if whole == 1 else 'dollars'}"
    return f"{text} and {spoken_number(cents)} cents" if cents else text


def price_shorthand(whole: int) -> str:
    """A price said the quick way, hundreds then the rest: 155 → `one fifty five`, 105 → `one
    oh five` (for prices that are not a round hundred)."""
    hundreds, rest = divmod(whole, 100)
    return f"{spoken_number(hundreds)} " + (
        f"oh {spoken_number(rest)}" if rest < 10 else spoken_number(rest)
    )


def money_phrases(whole: int) -> list[str]:
    """The ways a price is said.

    For example `one hundred fifty dollars`, `a hundred and fifty`, `one fifty`, `one fifty
    bucks`, `fifteen hundred`.
    """
    forms = [spoken_number(whole), spoken_number(whole, with_and=True)]
    hundreds, rest = divmod(whole, 100)
    if 100 <= whole < 200:
        forms.append("a " + spoken_number(whole, with_and=True))
    if 100 < whole < 1000 and rest:
        forms.append(price_shorthand(whole))
    if 1000 < whole < 10000 and rest == 0 and whole % 1000:
        forms.append(f"{spoken_number(hundreds)} hundred")
    out: list[str] = []
    for form in dict.fromkeys(forms):
        out += [form, f"{form} dollars"]
    out.append(f"{forms[-1]} bucks")
    return out


def dollars(value: float | None, *, none: str = "-", cents: bool = False) -> str:
    """An amount for people to read: 1200 → `$1,200`, 89.5 → `$89.50` (with `cents`, every amount
    in cents, as costs are: 2 → `$2.00`, 0.135 → `$0.14`); `none` for None."""
    if value is None:
        return none
    if value == int(value) and not cents:
        return f"${int(value):,}"
    return f"${value:,.2f}"


def amount(value: float | None, *, none: str = "none", cents: bool = False) -> str:
    """An amount as a plain number, for output a script reads: 1200 → `1200`, 89.5 → `89.5`
    (with `cents`: `89.50`); `none` for None."""
    if value is None:
        return none
    if value == int(value):
        return str(int(value))
    text = f"{value:.2f}"
    return text if cents else text.rstrip("0")


def credible_saving(
    first_quote: float | None, agreed_price: float | None, first_quote_confidence: str | None
) -> float | None:
    """What the negotiation saved, or None when it is not worth showing: no deal, no first
    quote, a first quote the price reader is not sure of (`low`), or a saving that is not
    positive. The one rule for the board, the CLI, the demo and the analytics."""
    if first_quote is None or agreed_price is None or first_quote_confidence == "low":
        return None
    saved = round(first_quote - agreed_price, 2)
    return saved if saved > 0 else None
