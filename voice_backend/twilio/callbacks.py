"""Twilio's status callbacks: the `CallStatus` and `AnsweredBy` values, and what they mean for
a call whose media stream never ran.

`CallStatus` is Twilio's call lifecycle (`queued` … `completed`); `AnsweredBy` is the
asynchronous answering-machine detection's verdict. Values Twilio may add later parse to
`None` and are ignored, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final, NamedTuple

from shared.models import Outcome

__all__ = [
    "MACHINE_ANSWERS",
    "UNCONNECTED_OUTCOMES",
    "AnsweredBy",
    "CallUrls",
    "TwilioCallStatus",
    "UnconnectedOutcome",
    "answered_by_machine",
    "parse_answered_by",
    "parse_call_status",
]


class TwilioCallStatus(StrEnum):
    """Twilio's `CallStatus` values."""

    QUEUED = "queued"
    INITIATED = "initiated"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"
    COMPLETED = "completed"


class AnsweredBy(StrEnum):
    """Twilio's `AnsweredBy` values (answering-machine detection)."""

    HUMAN = "human"
    MACHINE_START = "machine_start"
    MACHINE_END_BEEP = "machine_end_beep"
    MACHINE_END_SILENCE = "machine_end_silence"
    MACHINE_END_OTHER = "machine_end_other"
    FAX = "fax"
    UNKNOWN = "unknown"


class UnconnectedOutcome(NamedTuple):
    """What a terminal status of a call whose stream never ran is recorded as."""

    outcome: Outcome
    reason: str


#: Verdicts that mean nobody is there to haggle with.
MACHINE_ANSWERS: Final = frozenset(
    {
        AnsweredBy.MACHINE_START,
        AnsweredBy.MACHINE_END_BEEP,
        AnsweredBy.MACHINE_END_SILENCE,
        AnsweredBy.MACHINE_END_OTHER,
        AnsweredBy.FAX,
    }
)

#: Terminal Twilio statuses of calls whose stream never ran, and what they mean.
UNCONNECTED_OUTCOMES: Final[Mapping[TwilioCallStatus, UnconnectedOutcome]] = MappingProxyType(
    {
        TwilioCallStatus.BUSY: UnconnectedOutcome(Outcome.BUSY, "the line was busy"),
        TwilioCallStatus.NO_ANSWER: UnconnectedOutcome(Outcome.NO_ANSWER, "nobody answered"),
        TwilioCallStatus.FAILED: UnconnectedOutcome(
            Outcome.DIAL_ERROR, "Twilio could not place the call"
        ),
        TwilioCallStatus.CANCELED: UnconnectedOutcome(
            Outcome.DIAL_ERROR, "the call was canceled before it was answered"
        ),
        TwilioCallStatus.COMPLETED: UnconnectedOutcome(
            Outcome.ERROR, "the call ended before its media stream connected"
        ),
    }
)


def parse_call_status(value: str | None) -> TwilioCallStatus | None:
    """A callback's `CallStatus`; `None` when absent or not one Twilio documents."""
    try:
        return TwilioCallStatus(value) if value else None
    except ValueError:
        return None


def parse_answered_by(value: str | None) -> AnsweredBy | None:
    """A callback's `AnsweredBy`; `None` when absent or not one Twilio documents."""
    try:
        return AnsweredBy(value) if value else None
    except ValueError:
        return None


def answered_by_machine(answered_by: AnsweredBy | None) -> bool:
    """Whether the detection verdict is a machine (voicemail or fax)."""
    return answered_by in MACHINE_ANSWERS


@dataclass(frozen=True)
class CallUrls:
    """Where Twilio reaches us for a call."""

    public_base_url: str

    def twiml(self, provider_id: int) -> str:
        """Where Twilio fetches this provider's TwiML."""
        return f"{self.public_base_url}/twiml?provider_id={provider_id}"

    def status(self, provider_id: int) -> str:
        """Where Twilio posts this provider's status callbacks."""
        return f"{self.public_base_url}/call-status?provider_id={provider_id}"
