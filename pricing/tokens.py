"""Speech and text as tokens, and the number words the price reader knows.

`tokenize` turns one line (typed, or as speech-to-text gives it) into lowercase tokens; the
word tables say what each number word is worth. `pricing.numbers` reads amounts from them.
"""

from __future__ import annotations

import re

from shared.money import ONES
from shared.money import TENS as TENS_WORDS

UNITS = {word: value for value, word in enumerate(ONES) if 1 <= value <= 9}
TEENS = {word: value for value, word in enumerate(ONES) if value >= 10}
#: "fourty" as well: a common misspelling in typed text.
TENS = {word: 10 * value for value, word in enumerate(TENS_WORDS) if word} | {"fourty": 40}
#: Words that say the number is money when they follow it.
MONEY_AFTER = {"dollars", "dollar", "bucks", "buck", "even", "flat", "cents"}
#: Words that say a single digit is read out on its own (phone numbers, codes).
DIGIT_WORDS = {"zero", "oh", *UNITS}
#: Words that multiply what comes before them.
SCALES = {"hundred", "thousand", "grand"}
#: Every word that says a number.
NUMBER_WORDS = frozenset({*UNITS, *TEENS, *TENS, *SCALES})


_TOKEN = re.compile(
    r"\d{1,2}:\d{2}"  # a clock time
    r"|\$?\d{1,3}(?:,\d{3})+(?:\.\d+)?k?"  # 1,200 / $2,450.00
    r"|\$?\d+(?:\.\d+)?k?"  # 150 / $89.50 / 2k
    r"|[a-z]+(?:'[a-z]+)*"  # words, with their apostrophes
    r"|[.,;:!?]"  # punctuation: clause boundaries for the reader
    r"|\$|%"
)


def tokenize(text: str) -> list[str]:
    """Lowercase tokens of one line: words, digit groups (with their `$`), punctuation.

    Hyphens between words become spaces (`one-seventy-five`), between digits `to`
    (`150-250`); `/hr` becomes `per hour`; a `'s` on a number is split off (`two hundred's`).
    """
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"(\d)\s*[-\u2013\u2014]\s*\$?(\d)", r"\1 to \2", text)
    text = re.sub(r"(?<=[a-z0-9])[-\u2013](?=[a-z0-9])", " ", text)
    text = re.sub(r"\s*/\s*(hr|hour)\b", " per hour", text)
    text = re.sub(r"[\u2013\u2014]", ",", text)
    tokens: list[str] = []
    for token in _TOKEN.findall(text):
        stem, _, suffix = token.partition("'")
        if suffix == "s" and (stem in UNITS or stem in TEENS or stem in TENS or stem in SCALES):
            tokens.extend([stem, "'s"])
        else:
            tokens.append(token)
    return _number_homophones(tokens)


#: Words speech recognition writes for a number word, said right before another number word
#: ("won forty", "ate fifty", "tree hundred", "too twenty").
_SOUNDS_BEFORE = {"won": "one", "ate": "eight", "tree": "three", "too": "two"}
#: ...and for "hundred", said right after one ("nine hunter").
_HUNDRED_SOUNDS = {"hunter", "hundreds", "hundy"}
#: "two" and "four" heard as "to" and "for" where neither can be, before a price's first word:
#: opening a clause ("to twenty is the lowest i can go"), after "it's" ("it's for fifty
#: bucks"), or as what "is" follows ("sorry for fifty is my price").
_PREPOSITION_SOUNDS = {"to": "two", "for": "four"}
_CLAUSE_START = {"", ".", ",", ";", ":", "!", "?"}
_THAT_IS = {"it's", "its", "that's", "thats"}
_PRICE_FIRST_WORDS = {*TENS, "hundred"}


def _said_as_subject(tokens: list[str], start: int) -> bool:
    """Whether the number said from `start` (its money word after it) is followed by "is"."""
    end = start
    while end < len(tokens) and tokens[end] in NUMBER_WORDS:
        end += 1
    if end < len(tokens) and tokens[end] in MONEY_AFTER:
        end += 1
    return end > start and end < len(tokens) and tokens[end] == "is"


def _number_homophones(tokens: list[str]) -> list[str]:
    """Number words misheard as words that sound alike, put back where a number is said."""
    out = list(tokens)
    for i, token in enumerate(tokens):
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        before = tokens[i - 1] if i > 0 else ""
        if token in _SOUNDS_BEFORE and (after in NUMBER_WORDS or after in _HUNDRED_SOUNDS):
            out[i] = _SOUNDS_BEFORE[token]
        elif token in _PREPOSITION_SOUNDS and after in _PRICE_FIRST_WORDS:
            if (
                (token == "to" and before in _CLAUSE_START)
                or before in _THAT_IS
                or _said_as_subject(tokens, i + 1)
            ):
                out[i] = _PREPOSITION_SOUNDS[token]
        elif token in _HUNDRED_SOUNDS and (before in NUMBER_WORDS or before in _SOUNDS_BEFORE):
            out[i] = "hundred"
    return out
