"""How the local agent hears the provider: what an utterance says about price, whether it is a
question, whether a greeting is a voicemail's, and a condition said back to them.

Prices are heard with the offline price reader (`pricing.reading`), so the agent takes a
price the way the transcript's reader will later read it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from pricing.reading import Kind, Reading, read_turn
from pricing.tokens import tokenize
from shared.words import has, plain_words
from voice_backend.agents.local.phrases import (
    AUX,
    AUX_SUBJECT,
    CONDITION_ENDS,
    QUESTION_LEAD,
    STOP,
    TO_SECOND_PERSON,
    VOICEMAIL_HINTS,
    VOICEMAIL_SURE,
    WH,
    WH_NEXT,
)

__all__ = [
    "Heard",
    "condition_said_back",
    "content_words",
    "hear",
    "is_question",
    "looks_like_voicemail",
]


def looks_like_voicemail(text: str) -> bool:
    """Whether a greeting is a voicemail's: "leave a message", "after the beep", "not available".

    One sure sign is enough; otherwise two hints ("you've reached", "not available", "message").
    """
    words = plain_words(tokenize(text))
    if has(words, *VOICEMAIL_SURE):
        return True
    return sum(has(words, hint) for hint in VOICEMAIL_HINTS) >= 2


def is_question(words: list[str], tokens: list[str]) -> bool:
    """Whether the provider asks something: a question mark, or a question's first words."""
    if "?" in tokens:
        return True
    i = 0
    while i < len(words) and words[i] in QUESTION_LEAD:
        i += 1
    if i >= len(words):
        return False
    if words[i] in WH:
        return True
    if words[i] in AUX and i + 1 < len(words) and words[i + 1] in AUX_SUBJECT:
        return True
    # "(is) it running all the time or just now and then": a choice offered is a question
    # (the recogniser sometimes drops the first, short word)
    if "or" in words[i + 1 : -1] and words[i] in AUX_SUBJECT:
        return True
    # "yeah we can do that how old is it": a question after an answer
    return any(words[j] in WH and words[j + 1] in WH_NEXT for j in range(i + 1, len(words) - 1))


def _stem(word: str) -> str:
    word = word.removesuffix("'s")
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> set[str]:
    """The words of `text` that carry meaning, stemmed: what a question and an answer share."""
    return {_stem(w) for w in plain_words(tokenize(text)) if w not in STOP and len(w) > 2}


@dataclass
class Heard:
    """What one provider utterance says about price."""

    tokens: list[str]
    words: list[str]
    reading: Reading
    prices: list[tuple[float, bool]] = field(default_factory=list)  # (job price, conditional)
    low: float | None = None  # a range's ends
    high: float | None = None
    rate: float | None = None
    fee: float | None = None
    parts: float | None = None

    @property
    def any_price(self) -> bool:
        """Whether anything in the turn sounded like a price."""
        return (
            bool(self.prices)
            or self.high is not None
            or self.rate is not None
            or (self.fee is not None)
        )


_NO_ONE_PRICE = re.compile(
    r"\b(no|nope|nah) one (?=(?:ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen"
    r"|eighteen|nineteen|twenty|thirty|forty|fourty|fifty|sixty|seventy|eighty|ninety|oh)\b)",
    re.IGNORECASE,
)


def condition_said_back(condition: str) -> str:
    """The provider's condition as the agent restates it: cut where the condition ends, and in
    the second person ("if I come" → "if you come")."""
    words = condition.split()
    end = next((i for i, w in enumerate(words) if i and w in CONDITION_ENDS), len(words))
    return " ".join(TO_SECOND_PERSON.get(word, word) for word in words[:end])


def hear(text: str, reference: float | None) -> Heard:
    """Read an utterance; bare or relative amounts are read against `reference` (the price
    under discussion), as the transcript's reader does."""
    # "no one forty" said without its comma: the reader takes "no one" for "nobody".
    text = _NO_ONE_PRICE.sub(r"\1, one ", text)
    reading = read_turn("user", text)
    heard = Heard(reading.tokens, plain_words(reading.tokens), reading)
    ends: list[float] = []
    for mention in reading.mentions:
        if mention.negated:
            continue
        value, kind = mention.value, mention.kind
        if kind is Kind.DISCOUNT:  # "I can knock twenty off"
            if reference is None:
                continue
            value, kind = reference - value, Kind.TOTAL
        elif kind is Kind.SHORT:  # "call it one fifty" is said "call it one" at times
            if reference is None or not 0.5 <= value * 100 / reference <= 1.5:
                continue
            value, kind = value * 100, Kind.TOTAL
        elif mention.amount.alternative is not None and reference is not None:
            alternative = mention.amount.alternative
            if abs(math.log(alternative / reference)) < abs(math.log(value / reference)):
                value = alternative
        if value <= 0:
            continue
        if kind is Kind.TOTAL:
            heard.prices.append((value, mention.conditional))
        elif kind is Kind.RANGE:
            ends.append(value)
        elif kind in (Kind.RATE, Kind.EACH):
            heard.rate = value
        elif kind is Kind.FEE:
            heard.fee = value
        elif kind is Kind.ADDON and heard.prices:
            price, conditional = heard.prices[-1]
            heard.prices[-1] = (price + value, conditional)
        elif kind in (Kind.PART, Kind.ADDON):
            heard.parts = value
    if ends:
        heard.low, heard.high = min(ends), max(ends)
    return heard
