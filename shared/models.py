"""Domain models shared by both services: jobs, providers, call states and transcripts."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.context import ContextAnswer, as_pairs, pairs_from_answers


def utcnow() -> datetime:
    """Timezone-aware now, in UTC."""
    return datetime.now(UTC)


class CallStatus(StrEnum):
    """The original's call states, plus `dialing` between queueing and answer."""

    PENDING = "pending"
    DIALING = "dialing"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"

    @property
    def is_terminal(self) -> bool:
        """A finished call: it never moves again."""
        return self in (CallStatus.COMPLETED, CallStatus.FAILED)


#: Order of the lifecycle: a call only moves forward.
STATUS_RANK: dict[CallStatus, int] = {
    CallStatus.PENDING: 0,
    CallStatus.DIALING: 1,
    CallStatus.IN_PROGRESS: 2,
    CallStatus.COMPLETED: 3,
    CallStatus.FAILED: 3,
}


class Outcome(StrEnum):
    """Why a call ended."""

    AGREED = "agreed"
    NO_AGREEMENT = "no_agreement"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    VOICEMAIL = "voicemail"
    DIAL_ERROR = "dial_error"
    ERROR = "error"


class TranscriptTurn(BaseModel):
    """One turn of a call: `assistant` is our agent, `user` the provider."""

    role: Literal["assistant", "user"]
    text: str


def format_transcript(turns: list[TranscriptTurn]) -> str:
    """The original's text form: one line per turn, `N. [ROLE]: text`."""
    return "".join(
        f"{index}. [{turn.role.upper()}]: {turn.text}\n" for index, turn in enumerate(turns, 1)
    )


class JobCreate(BaseModel):
    """What a job needs before providers are called."""

    problem: str
    zip_code: str
    max_price: float | None = None
    house_address: str | None = None
    date_needed: str | None = None
    context_answers: str | None = None
    #: The homeowner's answers as question/answer pairs; a row from before they were kept
    #: (only `context_answers`, the old flat string) is migrated when read.
    context_pairs: list[ContextAnswer] = Field(default_factory=list)
    original_query: str | None = None
    task: str | None = None
    questions: list[dict[str, str]] = Field(default_factory=list)
    clarifications: dict[str, str] = Field(default_factory=dict)
    status: str = "ready_for_search"

    @field_validator("context_pairs", mode="before")
    @classmethod
    def _pairs(cls, value: Any) -> list[ContextAnswer]:
        return as_pairs(value)

    @model_validator(mode="after")
    def _migrate_context(self) -> JobCreate:
        """An old row: its answers are in `clarifications` (exact) or the flat string."""
        if not self.context_pairs and self.clarifications:
            self.context_pairs = pairs_from_answers(self.questions, self.clarifications)
        if not self.context_pairs and self.context_answers:
            self.context_pairs = as_pairs(self.context_answers)
        return self


class Job(JobCreate):
    """A stored job."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    created_at: datetime
    updated_at: datetime


class ProviderCreate(BaseModel):
    """A provider to call for a job; the job's details are copied in, as the original did."""

    service_provider: str
    phone_number: str


class Provider(BaseModel):
    """A stored provider row with its call's state."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    job_id: str
    service_provider: str
    phone_number: str
    context_answers: str | None = None
    context_pairs: list[ContextAnswer] = Field(default_factory=list)
    house_address: str | None = None
    zip_code: str | None = None
    max_price: float | None = None
    problem: str | None = None
    minimum_quote: float | None = None
    negotiated_price: float | None = None
    #: How sure the price reader is of each figure: {"agreed_price": "high", "first_quote":
    #: "medium"}; and why, in a few words ("first quote heard once, ASR").
    price_confidence: dict[str, str | None] | None = None
    price_notes: str | None = None
    call_status: CallStatus = CallStatus.PENDING
    call_transcript: str | None = None
    created_at: datetime
    # What the call lifecycle needs beyond the original's columns.
    outcome: Outcome | None = None
    failure_reason: str | None = None
    conditions: str | None = None
    call_sid: str | None = None
    transcript_turns: list[TranscriptTurn] = Field(default_factory=list)
    queued_at: datetime | None = None
    claimed_by: str | None = None
    lease_expires_at: datetime | None = None
    dialed_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    updated_at: datetime | None = None

    @field_validator("context_pairs", mode="before")
    @classmethod
    def _pairs(cls, value: Any) -> list[ContextAnswer]:
        return as_pairs(value)

    @model_validator(mode="after")
    def _migrate_context(self) -> Provider:
        """A row from before the pairs were kept: the old flat string, as pairs."""
        if not self.context_pairs and self.context_answers:
            self.context_pairs = as_pairs(self.context_answers)
        return self


class CallUpdate(BaseModel):
    """A change to a provider's call. `None` leaves a field as it is (never clears it).

    A status change applies only if it moves the call forward: a finished call stays finished,
    and its status, outcome and reason stay as they were. Other fields (a price found after
    the call, say) still apply.
    """

    call_status: CallStatus | None = None
    outcome: Outcome | None = None
    failure_reason: str | None = None
    negotiated_price: float | None = None
    minimum_quote: float | None = None
    conditions: str | None = None
    price_confidence: dict[str, str | None] | None = None
    price_notes: str | None = None
    call_transcript: str | None = None
    transcript_turns: list[TranscriptTurn] | None = None
    call_sid: str | None = None
    dialed_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None

    def status_fields(self) -> dict[str, Any]:
        """The fields that only apply together with a status move."""
        return self.model_dump(
            include={"call_status", "outcome", "failure_reason"}, exclude_none=True
        )

    def other_fields(self) -> dict[str, Any]:
        """The fields that apply whatever the status."""
        return self.model_dump(
            exclude={"call_status", "outcome", "failure_reason"}, exclude_none=True
        )


def statuses_before(target: CallStatus) -> list[CallStatus]:
    """The statuses a call may be in for a move to `target` to apply."""
    rank = STATUS_RANK[target]
    return [
        status
        for status, other in STATUS_RANK.items()
        if not status.is_terminal and (other < rank or (other == rank and status == target))
    ]
