"""The telephony interface the dispatcher and the bridge use."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


@dataclass(frozen=True)
class DialRequest:
    """One outbound call to place."""

    provider_id: int
    to: str  # E.164
    twiml_url: str  # Twilio fetches the TwiML here when the call is answered
    status_callback_url: str  # initiated, ringing, answered, completed
    amd_callback_url: str  # asynchronous answering-machine detection result
    ring_timeout_seconds: int
    time_limit_seconds: int
    #: What the call is about (the job's problem). Real telephony has no use for it; a
    #: simulated provider talks about the job it was called for.
    job: str | None = None


@dataclass(frozen=True)
class DirectoryEntry:
    """One provider a simulated telephony can reach: what a demo needs to call it."""

    key: str  # the persona's file name without `.toml`
    name: str  # the business
    phone: str  # E.164
    kind: str  # human, declines, voicemail, no-answer, busy
    description: str | None = None  # what it is for, for people
    trade: str | None = None  # the trade it is offered for (the intake's task: `plumber`)


class DialFailure(StrEnum):
    """What kind of failure a `DialError` is, when no HTTP status or Twilio code says it."""

    UNREACHABLE = "unreachable"  # the telephony's API could not be reached
    NOT_CONFIGURED = "not_configured"  # a setting the dial needs is missing
    OTHER = "other"


class DialError(Exception):
    """The call could not be placed; the message is the reason to store."""

    def __init__(self, reason: str, *, failure: DialFailure = DialFailure.OTHER) -> None:
        super().__init__(reason)
        self.failure = failure

    @property
    def cause(self) -> str:
        """A short, bounded label for the metric: Twilio's error code, or the kind of error."""
        code = getattr(self, "code", None)
        if code:
            return f"twilio_{code}"
        status = getattr(self, "status", None)
        if status:
            return f"http_{status}"
        return self.failure.value


class Telephony(Protocol):
    """Places and ends calls."""

    async def place_call(self, request: DialRequest) -> str:
        """Place the call and return its call SID; raises `DialError`."""

    async def hang_up(self, call_sid: str) -> None:
        """End the call (`Status=completed`). A call that already ended is not an error."""

    def directory_entries(self) -> list[DirectoryEntry] | None:
        """The providers this telephony reaches, by key; `None` for the real phone network."""

    async def call_status(self, call_sid: str) -> str | None:
        """Twilio's status of the call now (`queued`, `ringing`, `in-progress`, `completed`,
        `busy`, `no-answer`, `failed`, `canceled`), read from its Calls resource; `None` if
        Twilio does not know the call. Raises `DialError` when it cannot be asked."""

    async def close(self) -> None:
        """Release connections."""
