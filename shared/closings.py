"""The agent's two closing lines, and the words the price reader knows them by.

The voice service's prompt tells the agent to end with a variation of one of them, the local
agent says them word for word, and the price reader (`pricing`) takes a closing as the call's
verdict: all of them import the sentences from here, so none depends on a copy of the text.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "AGREED_CUE",
    "AGREED_SENTENCE",
    "CLOSING_AGREED",
    "CLOSING_NO_AGREEMENT",
    "NO_AGREEMENT_CUE",
    "NO_AGREEMENT_ENDS",
    "NO_AGREEMENT_SENTENCE",
]

#: The sentence that says what happens next, in each closing (quoted by the price extractor).
NO_AGREEMENT_SENTENCE: Final = "I need to think about it and will call you back"
AGREED_SENTENCE: Final = "I will reach out to you again shortly"

#: The two closings, word for word as the original prompt had them.
CLOSING_NO_AGREEMENT: Final = f"Thank you for the info. {NO_AGREEMENT_SENTENCE}."
CLOSING_AGREED: Final = f"Thank you for your help! {AGREED_SENTENCE}."

#: What the price reader recognises a closing by, in lowercase words, as a variation keeps
#: them: the agreed closing's cue; the no-agreement closing's cue with one of its endings.
AGREED_CUE: Final = "reach out to you again"
NO_AGREEMENT_CUE: Final = "think about it"
NO_AGREEMENT_ENDS: Final = ("call you back", "get back to you")
