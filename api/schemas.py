"""Request and response bodies of the job API, in the original's shapes."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from api.text import clean_name
from shared.context import ContextAnswer
from shared.models import (
    RETRYABLE_OUTCOMES,
    Attempt,
    CallStatus,
    Job,
    Outcome,
    Provider,
    TranscriptTurn,
)
from shared.money import credible_saving

_MAX_PRICE_CEILING = 10_000_000
_NOT_A_BUDGET = 'the budget must be a number, null or "no_limit"'


def _price_or_null(value: Any) -> Any:
    """A budget is a positive number, or null / "no_limit" for none (never "$None")."""
    if value is None or (isinstance(value, str) and value.strip().lower() in {"no_limit", ""}):
        return None
    if isinstance(value, bool):
        raise ValueError(_NOT_A_BUDGET)
    if isinstance(value, str):
        try:
            value = float(value.strip().lstrip("$").replace(",", ""))
        except ValueError:
            raise ValueError(_NOT_A_BUDGET) from None
    if isinstance(value, int | float):
        if not math.isfinite(value) or value <= 0:
            raise ValueError('the budget must be a positive number, null or "no_limit"')
        if value > _MAX_PRICE_CEILING:
            raise ValueError(f"the budget must be at most {_MAX_PRICE_CEILING}")
        return float(value)
    raise ValueError(_NOT_A_BUDGET)


Budget = Annotated[float | None, BeforeValidator(_price_or_null)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
#: A US ZIP code (12345 or 12345-6789), a Canadian postal code (A1A 1A1), or another
#: country's postal code of digits, or letters with digits (never letters alone).
_ZIP = re.compile(
    r"\d{5}(-\d{4})?"
    r"|[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d"
    r"|\d{4,6}"
    r"|(?=[A-Za-z0-9 -]*\d)(?=[A-Za-z0-9 -]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9 -]{3,8}[A-Za-z0-9]"
)


def _zip_code(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not _ZIP.fullmatch(text):
        raise ValueError(
            f"{text!r} is not a zip code: use a US ZIP code (94110) or a postal code (M5V 2T6)"
        )
    return text.upper()


ZipCode = Annotated[str, BeforeValidator(_zip_code), Field(max_length=12)]

#: At most this many follow-ups, each at most a week after the call before it.
_MAX_FOLLOWUPS = 5
_MAX_FOLLOWUP_MINUTES = 7 * 24 * 60
FollowupMinutes = Annotated[
    list[Annotated[float, Field(gt=0, le=_MAX_FOLLOWUP_MINUTES)]],
    Field(max_length=_MAX_FOLLOWUPS),
]


def _context_text(value: Any) -> Any:
    """Clarifying answers as the one text the agent reads (a mapping is flattened)."""
    if isinstance(value, dict):
        return " ".join(f"{key}: {answer}" for key, answer in value.items() if answer)
    return value


class JobIn(BaseModel):
    """`POST /api/jobs`."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    problem: Annotated[str, Field(min_length=3, max_length=2000)]
    zip_code: ZipCode
    max_price: Budget = None
    house_address: Annotated[str | None, Field(max_length=500)] = None
    date_needed: Annotated[str | None, Field(max_length=100)] = None
    context_answers: Annotated[
        str | None, BeforeValidator(_context_text), Field(max_length=5000)
    ] = None
    #: Minutes after a busy or unanswered call to try again (default 30 and 120; [] for none).
    followup_minutes: FollowupMinutes | None = None
    #: The answers as question/answer pairs (preferred to the flat `context_answers`).
    context_pairs: Annotated[list[ContextAnswer], Field(max_length=50)] = Field(
        default_factory=list
    )


class JobOut(BaseModel):
    """A job as the API shows it: the original's `Job` fields plus `job_id`."""

    job_id: str
    id: str
    problem: str
    zip_code: str
    max_price: float | None
    price_limit: float | Literal["no_limit"]
    house_address: str | None
    date_needed: str | None
    context_answers: str | None
    context_pairs: list[ContextAnswer]
    original_query: str | None
    task: str | None
    questions: list[dict[str, str]]
    clarifications: dict[str, str]
    status: str
    created_at: datetime
    updated_at: datetime
    followup_minutes: list[float]

    @classmethod
    def of(cls, job: Job) -> JobOut:
        """The job as the API shows it."""
        return cls(
            **job.model_dump(exclude={"id", "followup_minutes"}),
            followup_minutes=list(job.followup_schedule()),
            id=job.id,
            job_id=job.id,
            price_limit=job.max_price if job.max_price is not None else "no_limit",
        )


class ProviderIn(BaseModel):
    """One provider to call. The phone number is checked and normalised by the route."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    service_provider: ShortText
    # No minimum length: `checked` names a number that is too short ("'12' is not a valid
    # phone number"), as the dashboard does, instead of a bare "at least 3 characters".
    phone_number: Annotated[str, Field(max_length=40)]

    @field_validator("service_provider")
    @classmethod
    def _clean(cls, value: str) -> str:
        cleaned = clean_name(value)
        if not cleaned:
            raise ValueError("service_provider is empty once markdown is removed")
        return cleaned


class ProvidersIn(BaseModel):
    """`POST /api/jobs/{job_id}/providers`."""

    model_config = ConfigDict(extra="forbid")

    providers: Annotated[list[ProviderIn], Field(min_length=1)]


class ProviderOut(BaseModel):
    """A provider row in the original's shape (`name`, `phone`, `estimated_price`…), plus the
    stored names and what the call lifecycle adds."""

    id: int
    job_id: str
    name: str
    phone: str
    estimated_price: float | None
    negotiated_price: float | None
    call_status: CallStatus
    service_provider: str
    phone_number: str
    minimum_quote: float | None
    max_price: float | None
    outcome: Outcome | None
    failure_reason: str | None
    conditions: str | None
    #: How sure the price reader is of each figure ({"agreed_price": "high", "first_quote":
    #: "medium"}) and why; `saving` is the first quote less the agreed price, only when the
    #: first quote is credible and the saving positive (else null).
    price_confidence: dict[str, str | None] | None
    price_notes: str | None
    saving: float | None
    created_at: datetime
    ended_at: datetime | None
    #: Which attempt the row shows (1 for the first call), and why it was placed.
    attempt: int
    attempt_reason: str | None
    #: When a follow-up will be placed by itself, if one is scheduled.
    next_attempt_at: datetime | None
    #: The provider asked to be called back: offered to the homeowner to confirm.
    callback_requested: bool
    #: The call ended without an agreement: it may be called again.
    can_call_again: bool
    duration_seconds: float | None
    cost: float | None
    #: A queued call outside the callee's calling hours waits until then.
    waiting_until: datetime | None = None

    @classmethod
    def of(cls, provider: Provider) -> ProviderOut:
        """The provider as the API lists it."""
        return cls(
            id=provider.id,
            job_id=provider.job_id,
            name=provider.service_provider,
            phone=provider.phone_number,
            estimated_price=provider.minimum_quote,
            negotiated_price=provider.negotiated_price,
            call_status=provider.call_status,
            service_provider=provider.service_provider,
            phone_number=provider.phone_number,
            minimum_quote=provider.minimum_quote,
            max_price=provider.max_price,
            outcome=provider.outcome,
            failure_reason=provider.failure_reason,
            conditions=provider.conditions,
            price_confidence=provider.price_confidence,
            price_notes=provider.price_notes,
            saving=credible_saving(
                provider.minimum_quote,
                provider.negotiated_price,
                (provider.price_confidence or {}).get("first_quote"),
            ),
            created_at=provider.created_at,
            ended_at=provider.ended_at,
            attempt=provider.attempt,
            attempt_reason=provider.attempt_reason,
            next_attempt_at=provider.next_attempt_at,
            callback_requested=bool(provider.callback_requested),
            can_call_again=can_call_again(provider),
            duration_seconds=provider.duration_seconds,
            cost=provider.cost,
            waiting_until=provider.not_before if provider.call_status == "pending" else None,
        )


def can_call_again(provider: Provider) -> bool:
    """An ended call that did not agree."""
    return provider.call_status.is_terminal and (
        provider.outcome is None or provider.outcome in RETRYABLE_OUTCOMES
    )


class AttemptOut(BaseModel):
    """One attempt of a call (`GET /api/jobs/{job_id}/attempts`)."""

    id: str
    provider_id: int
    attempt: int
    attempt_reason: str | None
    call_status: CallStatus
    outcome: Outcome | None
    failure_reason: str | None
    first_quote: float | None
    negotiated_price: float | None
    conditions: str | None
    dialed_at: datetime | None
    ended_at: datetime | None
    duration_seconds: float | None
    cost: float | None
    callback_requested: bool
    call_transcript: str | None
    transcript_turns: list[TranscriptTurn]

    @classmethod
    def of(cls, attempt: Attempt) -> AttemptOut:
        """The attempt as the API shows it."""
        return cls(
            **attempt.model_dump(
                exclude={"job_id", "minimum_quote", "callback_requested", "created_at", "call_sid"}
            ),
            first_quote=attempt.minimum_quote,
            callback_requested=bool(attempt.callback_requested),
        )


class CallAgainIn(BaseModel):
    """`POST /api/jobs/{job_id}/call-again`: which providers; none named means every call
    that failed (busy, unanswered, errors…)."""

    model_config = ConfigDict(extra="forbid")

    provider_ids: Annotated[list[int], Field(max_length=100)] | None = None


class CallAgainOut(BaseModel):
    """The providers called again, and why the others were not."""

    status: Literal["queued"]
    message: str
    providers: list[ProviderOut]
    skipped: dict[int, str]


class JobCostsOut(BaseModel):
    """`GET /api/jobs/{job_id}/costs`: estimates from the configured per-minute rates."""

    job_id: str
    attempts: int
    duration_seconds: float
    cost: float
    account_cost_last_24_hours: float
    daily_spend_cap: float | None


class ProviderStatusOut(ProviderOut):
    """`GET /api/providers/{job_id}/status`: the row plus the transcript."""

    call_transcript: str | None
    transcript_turns: list[TranscriptTurn]
    call_sid: str | None
    answered_at: datetime | None

    @classmethod
    def of(cls, provider: Provider) -> ProviderStatusOut:
        """The provider with its call's transcript and outcome."""
        return cls(
            **ProviderOut.of(provider).model_dump(),
            call_transcript=provider.call_transcript,
            transcript_turns=provider.transcript_turns,
            call_sid=provider.call_sid,
            answered_at=provider.answered_at,
        )


class StartCallsOut(BaseModel):
    """`POST /api/start-calls/{job_id}`."""

    status: Literal["started"]
    message: str
    provider_count: int


class CancelOut(BaseModel):
    """`POST /api/jobs/{job_id}/cancel`: calls that will never be dialled, and those hung up
    (`hung_up` is `null` when the voice service could not be reached)."""

    status: Literal["canceled"]
    canceled: int
    in_progress: int
    hung_up: int | None
