"""What a call without a deal came to, read from its transcript.

Did the provider turn the job down (they do not do it, or cannot take it), or ask to be
called back?

Both are read from the provider's own turns with the same reader as prices
(`pricing.reading.read_turn`), so "we don't do roofs" or "we're booked solid" is a decline, and
"let me check and call you back" a call-back request. The call's outcome then says so:
`declined` rather than `no_agreement`, and `callback_requested` offers the homeowner a
follow-up to confirm.
"""

from __future__ import annotations

from dataclasses import dataclass

from pricing import vocabulary as v
from pricing.reading import read_turn
from shared.models import CallUpdate, Outcome, TranscriptTurn

#: Ways a provider asks to be called back (or says they will call), beyond `decisions.DEFER`.
_CALL_BACK = v.phrases(
    "call you back",
    "call me back",
    "call back",
    "callback",
    "get back to you",
    "get back with you",
    "try me later",
    "try again later",
    "call again later",
    "call later",
    "ring me back",
)


@dataclass(frozen=True)
class CallIntent:
    """What the provider said about the job, beyond prices."""

    declined: bool
    callback: bool


def _contains(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(tuple(tokens[i : i + size]) == phrase for i in range(len(tokens) - size + 1))


def read_intent(turns: list[TranscriptTurn]) -> CallIntent:
    """Read the provider's turns of a call."""
    declined = callback = False
    for turn in turns:
        if turn.role != "user":
            continue
        reading = read_turn("user", turn.text)
        declined = declined or reading.decline
        words = [token for token in reading.tokens if token not in ".,;:!?"]
        callback = callback or any(_contains(words, phrase) for phrase in _CALL_BACK)
    return CallIntent(declined=declined, callback=callback)


def refine_outcome(update: CallUpdate, turns: list[TranscriptTurn]) -> CallUpdate:
    """A call that ended without a deal: `declined` when the provider turned the job down,
    and `callback_requested` when they asked to be called back."""
    if update.outcome is not Outcome.NO_AGREEMENT:
        return update
    intent = read_intent(turns)
    if intent.declined:
        update.outcome = Outcome.DECLINED
    elif intent.callback:
        update.callback_requested = True
    return update
