"""What a listener on the call is waiting to hear next, and the corpus topics that go with it.

Both recognisers know where the conversation is: the agent, having asked "is this Ace
Plumbing?", waits for a yes (or a question back); a provider that asked its question waits for
the answer. `recognize(pcm, expect=...)` decodes against a language model leaning towards those
topics (`corpus.sentences(boost=...)`), so a greeting is heard as a greeting and not as a price.
"""

from __future__ import annotations

from enum import StrEnum

from voice_backend.speech.corpus import Topic

__all__ = ["Expect", "topics"]


class Expect(StrEnum):
    """What the next utterance is likely to be."""

    ANYTHING = "anything"  # no idea: the whole corpus, evenly
    GREETING = "greeting"  # someone picking up: "Ace Plumbing, this is Joe"
    IDENTITY = "identity"  # the answer to "is this …?", or "hi, is this …?" itself
    JOB = "job"  # the job stated, or whether they can do it, or a question about it
    ANSWER = "answer"  # the answer to a question about the job
    PRICE = "price"  # a price, or a question before one
    HAGGLE = "haggle"  # counter-offers, yes and no, closings
    CONFIRM = "confirm"  # yes or no to a price said back, and the goodbye


_TOPICS: dict[Expect, frozenset[Topic]] = {
    Expect.ANYTHING: frozenset(),
    Expect.GREETING: frozenset({Topic.GREETING}),
    Expect.IDENTITY: frozenset({Topic.GREETING, Topic.YES_NO, Topic.JOB}),
    Expect.JOB: frozenset({Topic.JOB, Topic.YES_NO}),
    Expect.ANSWER: frozenset({Topic.JOB, Topic.YES_NO}),
    Expect.PRICE: frozenset({Topic.PRICE, Topic.JOB}),
    Expect.HAGGLE: frozenset({Topic.PRICE, Topic.YES_NO, Topic.CLOSING}),
    Expect.CONFIRM: frozenset({Topic.YES_NO, Topic.PRICE, Topic.CLOSING}),
}


def topics(expect: Expect) -> frozenset[Topic]:
    """The corpus topics a model for `expect` leans towards (none: the whole corpus evenly).

    A bad line ("sorry, what was that?") can come at any time, so its topic always goes with
    the others.
    """
    chosen = _TOPICS[expect]
    return chosen | {Topic.LINE} if chosen else chosen
