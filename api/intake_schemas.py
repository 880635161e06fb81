"""Bodies of the original's three-step intake flow: `start-job` and `complete-job`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from api.schemas import Budget, FollowupMinutes, JobOut, ProviderIn, ProviderOut, ZipCode


class QuestionOut(BaseModel):
    """A clarifying question: `{id: "q1", question}`."""

    id: str
    question: str


class StartJobIn(BaseModel):
    """`POST /api/start-job`, the original's `StartJobRequest`: its fields all required;
    `price_limit` is a number or "no_limit". `followup_minutes` (optional, as on
    `POST /api/jobs`) is when a busy or unanswered line is tried again."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    query: Annotated[str, Field(min_length=3, max_length=2000)]
    house_address: Annotated[str, Field(max_length=500)]
    zip_code: ZipCode
    price_limit: Budget
    date_needed: Annotated[str, Field(max_length=100)]
    #: Minutes after a busy or unanswered call to try again (default 30 and 120; [] for none).
    followup_minutes: FollowupMinutes | None = None


class StartJobOut(BaseModel):
    """`{job_id, task, questions: [{id, question}]}`."""

    job_id: str
    task: str
    questions: list[QuestionOut]


def _answer_text(value: Any) -> Any:
    """An answer is text; a number or yes/no sent as JSON is taken as its text."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:g}"
    return value


Answer = Annotated[str | None, BeforeValidator(_answer_text), Field(max_length=2000)]


class CompleteJobIn(BaseModel):
    """`POST /api/complete-job`: the answers by question id, and optionally the providers to
    call (otherwise a configured provider search finds them)."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    job_id: Annotated[str, Field(min_length=1, max_length=100)]
    answers: Annotated[dict[Annotated[str, Field(max_length=40)], Answer], Field(max_length=20)]
    providers: list[ProviderIn] | None = None


class CompleteJobOut(BaseModel):
    """The job and its providers; `message` says what is missing (no providers yet)."""

    job: JobOut
    providers: list[ProviderOut]
    providers_source: Literal["request", "search", "existing", "none"]
    message: str | None = None
