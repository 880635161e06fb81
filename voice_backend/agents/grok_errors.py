"""What an `error` from Grok Realtime concerns, and so whether the call can go on.

xAI documents the `error` event but not a list of its types and codes, so an error is read by
what it names (its type, code and message) and by what we sent just before it:

* a race lost harmlessly (cancelling a finished response, asking for a response while one
  runs): ignored;
* the session or authentication (a refused key, an expired or closed session, quota): the
  session cannot serve the call, which ends;
* an optional event or field (the OpenAI-style `conversation.item.truncate` or
  `response.cancel`, which xAI does not list among its client events; anything refused while
  one of those is unanswered; any other `invalid_request_error`, which rejects one event and
  leaves the session usable): logged, counted, and the call goes on.

Anything else (a server error of unknown meaning) ends the call: a session that stopped
working must not leave the provider talking to silence.
"""

from __future__ import annotations

import logging
import time
from enum import StrEnum
from typing import Final

from shared import metrics
from voice_backend.agents import grok_events as wire

logger = logging.getLogger("voice_backend.agents.grok")

#: Errors that only mean a race we lose harmlessly: the session is fine.
BENIGN_ERROR_CODES: Final = frozenset(
    {"response_cancel_not_active", "conversation_already_has_active_response"}
)
#: Client events we send that xAI does not document: an error about them never ends a call.
OPTIONAL_EVENTS: Final = frozenset({"conversation.item.truncate", "response.cancel"})
#: How long after an optional event an otherwise unexplained rejection is taken to answer it.
OPTIONAL_REPLY_SECONDS: Final = 2.0

_AUTH_WORDS: Final = (
    "auth",
    "api key",
    "api_key",
    "apikey",
    "unauthorized",
    "forbidden",
    "permission",
    "credential",
    "quota",
    "billing",
    "credits",
)
_OPTIONAL_WORDS: Final = (
    "truncate",
    "audio_end_ms",
    "content_index",
    "response.cancel",
    "response_cancel",
    "item_not_found",
    "item not found",
)
_SESSION_WORDS: Final = ("session", "expired", "closed", "model_not_found", "unknown model")
_REJECTS_ONE_EVENT: Final = frozenset({"invalid_request_error"})


class ErrorKind(StrEnum):
    """What an error concerns (the label of `haggle_grok_errors_total`)."""

    BENIGN = "benign"
    OPTIONAL = "optional"
    FATAL = "fatal"


def classify(error: wire.ServerError, *, optional_unanswered: bool = False) -> ErrorKind:
    """What `error` concerns; `optional_unanswered`: an optional event of ours was sent
    moments ago and may be what it answers."""
    if error.code in BENIGN_ERROR_CODES:
        return ErrorKind.BENIGN
    text = " ".join(part for part in (error.type, error.code, error.message) if part).lower()
    if any(word in text for word in _AUTH_WORDS):
        return ErrorKind.FATAL
    if any(word in text for word in _OPTIONAL_WORDS):
        return ErrorKind.OPTIONAL
    if any(word in text for word in _SESSION_WORDS):
        return ErrorKind.FATAL
    if optional_unanswered or error.type in _REJECTS_ONE_EVENT:
        return ErrorKind.OPTIONAL
    return ErrorKind.FATAL


class ErrorWatch:
    """Judges one session's errors: remembers when we last sent an optional event, counts each
    error in `haggle_grok_errors_total`, logs it under `label`, and says when the call must end."""

    def __init__(self, label: str) -> None:
        self._label = label
        self._optional_sent_at: float | None = None  # our last undocumented (optional) event

    def optional_sent(self) -> None:
        """We just sent an optional event: an unexplained rejection soon after answers it."""
        self._optional_sent_at = time.monotonic()

    def optional_answered(self) -> None:
        """Grok answered the optional event: a later error is about something else."""
        self._optional_sent_at = None

    def failure(self, event: wire.ServerError) -> str | None:
        """Why the session failed, when `event` ends it; None when the call goes on."""
        sent = self._optional_sent_at
        recent = sent is not None and time.monotonic() - sent <= OPTIONAL_REPLY_SECONDS
        kind = classify(event, optional_unanswered=recent)
        metrics.GROK_ERRORS.labels(kind.value).inc()
        if kind is ErrorKind.BENIGN:
            logger.debug("[%s] ignoring Grok error %s", self._label, event.describe())
        elif kind is ErrorKind.OPTIONAL:
            if recent:
                self._optional_sent_at = None  # answered
            logger.warning(
                "[%s] Grok refused an optional event or field: %s", self._label, event.describe()
            )
        else:
            logger.error("[%s] Grok session failed: %s", self._label, event.describe())
            return f"Grok error {event.describe()}"
        return None
