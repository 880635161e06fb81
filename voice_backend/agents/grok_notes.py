"""What the Grok agent says to the model outside the conversation, and reads from its tool call.

The note that asks it to wrap up (marked so the model does not take it for the provider's
words), the answer its `end_call` tool gets, and what the tool's free-text reason says.
"""

from __future__ import annotations

import json
from typing import Final

from voice_backend.agents.base import HangUpKind, WrapUp
from voice_backend.prompt import WRAP_UP_SILENCE, WRAP_UP_TIME

#: How a goodbye request reaches the model; marked so it is not taken for the provider's words.
_GOODBYE_NOTE: Final = (
    "[Note from your own system, not from the person on the phone: {instruction} "
    "Wrap up now: thank them, say a brief goodbye, then call end_call.]"
)
#: What the model is told for each reason to wrap up.
_WRAP_UP: Final = {WrapUp.TIME: WRAP_UP_TIME, WrapUp.SILENCE: WRAP_UP_SILENCE}
#: What the tool call returns to the model: we hang up; it should not say anything more.
END_CALL_OUTPUT: Final = json.dumps({"ok": True, "result": "The call is being hung up."})


def goodbye_note(reason: WrapUp) -> str:
    """The note asking the model to close the call, in the prompt's words for `reason`."""
    return _GOODBYE_NOTE.format(instruction=_WRAP_UP[reason])


def hang_up_kind(reason: str | None) -> HangUpKind:
    """The model's `end_call` reason is free text: one that names a voicemail means one."""
    if reason and "voicemail" in reason.lower():
        return HangUpKind.VOICEMAIL
    return HangUpKind.GOODBYE
