"""Domain models shared by both services: jobs, providers, call states and transcripts."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from shared.context import ContextAnswer, as_pairs, pairs_from_answers


def utcnow() -> datetime:
    """Timezone-aware now, in UTC."""
    return datetime.now(UTC)


def _first_if_none(value: Any) -> Any:
    return 1 if value is None else value


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
    CANCELED = "canceled"
    #: The provider does not do this kind of job (not a failed negotiation).
    DECLINED = "declined"


#: Outcomes of an ended call that a new attempt may follow (all but an agreement).
RETRYABLE_OUTCOMES = frozenset(Outcome) - {Outcome.AGREED}
#: Outcomes a follow-up is scheduled for by itself, when the job asks for follow-ups.
FOLLOW_UP_OUTCOMES = frozenset({Outcome.BUSY, Outcome.NO_ANSWER})
#: The follow-up schedule of a job that sets none: minutes after the call ended.
DEFAULT_FOLLOWUP_MINUTES = (30.0, 120.0)


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
    #: The account the job belongs to (`None`: a job stored before accounts existed, which
    #: only the operator sees).
    account_id: str | None = None
    #: Minutes after a busy or unanswered call to try again, one entry per follow-up;
    #: `None` means the default schedule, `[]` no follow-ups.
    followup_minutes: list[float] | None = None

    def followup_schedule(self) -> tuple[float, ...]:
        """The job's follow-up delays in minutes."""
        if self.followup_minutes is None:
            return DEFAULT_FOLLOWUP_MINUTES
        return tuple(self.followup_minutes)

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
    #: The job's account, copied in (dial quotas and row-level security read it here).
    account_id: str | None = None
    #: A queued call outside the callee's calling hours waits until this time.
    not_before: datetime | None = None
    # Attempts, follow-ups and costs (rows older than attempts have no number: the first).
    attempt: Annotated[int, BeforeValidator(_first_if_none)] = 1
    duration_seconds: float | None = None
    cost: float | None = None
    #: Set when the provider asked to be called back (offered to the homeowner to confirm).
    callback_requested: bool | None = None
    #: Why this attempt was placed: `follow_up` (scheduled by itself), `again` (asked for).
    attempt_reason: str | None = None
    #: When the next attempt (a follow-up) will be placed; the row shows the ended attempt
    #: until then.
    next_attempt_at: datetime | None = None

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


class Attempt(BaseModel):
    """One earlier call to a provider, kept when the provider was called again."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    provider_id: int
    job_id: str
    attempt: int
    attempt_reason: str | None = None
    call_status: CallStatus
    outcome: Outcome | None = None
    failure_reason: str | None = None
    negotiated_price: float | None = None
    minimum_quote: float | None = None
    conditions: str | None = None
    call_sid: str | None = None
    call_transcript: str | None = None
    transcript_turns: list[TranscriptTurn] = Field(default_factory=list)
    dialed_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    duration_seconds: float | None = None
    cost: float | None = None
    callback_requested: bool | None = None
    created_at: datetime


#: The provider fields an attempt keeps (the call's own fields, not the job's copies).
ATTEMPT_FIELDS = tuple(
    name for name in Attempt.model_fields if name not in {"id", "provider_id", "created_at"}
)


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
    duration_seconds: float | None = None
    cost: float | None = None
    callback_requested: bool | None = None

    @classmethod
    def failed(cls, outcome: Outcome, reason: str) -> CallUpdate:
        """The call ends now, `failed`, with `outcome` and `reason`."""
        return cls(
            call_status=CallStatus.FAILED, outcome=outcome, failure_reason=reason, ended_at=utcnow()
        )

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
