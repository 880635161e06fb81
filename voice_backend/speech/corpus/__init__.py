"""What people say when a homeowner's assistant phones a tradesperson about a price.

The sentences the recogniser's language models (`lm`) are built from: written for the domain
(greetings, the job, questions about it, quotes, counter-offers, conditions, closings, from
either end of the line), plus every price from $20 to $3,000 in the ways people say them. They
are generic on purpose and not copied from the simulated providers' or the local agent's lines,
so the measured word error rate says how the recogniser does on speech it was not fitted to.

The lines are kept by `Topic` (`talk.py`, `money.py`), so a model can lean towards what the
listener is waiting for: `sentences(boost=...)` says the boosted topics several times over and
the rest sparingly (every word stays reachable, the expected ones are likelier).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Iterator
from enum import StrEnum

from shared.money import money_phrases
from voice_backend.speech.corpus import money, talk
from voice_backend.speech.corpus.slots import SLOTS, prices

__all__ = ["Topic", "sentences"]


class Topic(StrEnum):
    """What a line of the corpus is about."""

    GREETING = "greeting"  # picking up, who is this, voicemail
    JOB = "job"  # the job, questions about it and answers
    YES_NO = "yes_no"  # yes, no, and their variants
    PRICE = "price"  # prices, fees, counters, conditions, the deal said back
    CLOSING = "closing"  # thanks and goodbyes
    LINE = "line"  # a bad line: say that again, still there, hold on


_LINES: dict[Topic, str] = {
    Topic.GREETING: talk.GREETING,
    Topic.JOB: talk.JOB,
    Topic.YES_NO: talk.YES_NO,
    Topic.PRICE: money.PRICE,
    Topic.CLOSING: talk.CLOSING,
    Topic.LINE: talk.LINE,
}

#: Each line with a price takes every fifth price phrase (a different fifth per line).
_PRICE_STRIDE = 5
#: How many times a boosted topic's sentences are said.
_BOOST = 4
#: Of a topic not boosted, one slot filling in this many is said (its first always is).
_SPARSE = 12

_NOT_A_WORD = re.compile(r"[^a-z' ]+")


def _expand(line: str, index: int, stride: int) -> Iterator[str]:
    names = [name for name in SLOTS if "{" + name + "}" in line]
    if "{price}" in line:
        phrases = [phrase for amount in prices() for phrase in money_phrases(amount)]
        # Every price with a handful of lines is plenty: the model backs off to the rest.
        for n, price in enumerate(phrases[index % stride :: stride]):
            values = {name: SLOTS[name][n % len(SLOTS[name])] for name in names}
            yield line.format(price=price, **values)
        return
    for combination in itertools.product(*(SLOTS[name] for name in names)):
        yield line.format(**dict(zip(names, combination, strict=True)))


def _words(line: str) -> list[str]:
    return _NOT_A_WORD.sub(" ", line.lower()).split()


def _topic(topic: Topic, sparse: bool) -> Iterator[list[str]]:
    stride = _PRICE_STRIDE * (_SPARSE if sparse else 1)
    for index, raw in enumerate(_LINES[topic].strip().splitlines()):
        for n, line in enumerate(_expand(raw.strip(), index, stride)):
            if sparse and n % _SPARSE:
                continue
            words = _words(line)
            if words:
                yield words


def sentences(boost: Collection[Topic] = (), extra: Collection[str] = ()) -> Iterator[list[str]]:
    """The corpus, one sentence at a time, as lowercase words.

    With `boost`, those topics are said `_BOOST` times and the others sparsely; `extra`
    sentences (the job's own words, say) are said as often as a boosted topic.
    """
    for topic in Topic:
        boosted = not boost or topic in boost
        for words in _topic(topic, sparse=not boosted):
            for _ in range(_BOOST if boost and boosted else 1):
                yield words
    if not boost or Topic.PRICE in boost:
        for amount in prices():
            for phrase in money_phrases(amount):
                yield phrase.split()
    for line in extra:
        words = _words(line)
        if words:
            for _ in range(_BOOST if boost else 1):
                yield words
