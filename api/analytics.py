"""Figures across jobs, from the stored rows: calls placed, connected and agreed, savings.

Definitions (the dashboard shows them next to the numbers):

* a call is *placed* once it has left `pending` (dialled, whatever happened next);
* it *connected* when someone talked: `in_progress` or `completed` (a voicemail, busy line or
  unanswered call did not);
* it *agreed* when a price was agreed (`outcome == "agreed"`, or a completed call with a price);
* it was *not reached* when it failed without anyone talking for a reason on the line's side
  (busy, unanswered, voicemail, a number that could not be dialled); a call that failed on our
  side (`error`) counts as an *error* instead;
* its *savings* are the first quote minus the agreed price, when both are known, the first
  quote is credible and the saving positive;
* its *cost* is the estimate of every attempt (earlier attempts included), from the
  configured per-minute rates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from pydantic import BaseModel

from pricing.base import credible_saving
from shared.costs import total_cost
from shared.models import Attempt, CallStatus, Job, Outcome, Provider


class Deal(BaseModel):
    """The best agreed price of a job."""

    provider_id: int
    name: str
    price: float
    first_quote: float | None
    savings: float | None


class JobSummary(BaseModel):
    """One job in the history."""

    job_id: str
    task: str | None
    problem: str
    zip_code: str
    status: str
    created_at: datetime
    providers: int
    calls_placed: int
    in_progress: int
    connected: int
    not_reached: int
    errors: int
    declined: int
    agreed: int
    attempts: int
    cost: float
    best: Deal | None


class Totals(BaseModel):
    """Across the jobs summarised."""

    jobs: int
    providers: int
    calls_placed: int
    connected: int
    agreed: int
    connect_rate: float | None
    agreement_rate: float | None
    average_savings: float | None
    average_savings_percent: float | None
    total_savings: float
    outcomes: dict[str, int]
    errors: int
    attempts: int
    cost: float


class Spend(BaseModel):
    """The account's call spend (estimates) against its optional daily cap."""

    account_id: str | None
    last_24_hours: float
    daily_cap: float | None


class Analytics(BaseModel):
    """`GET /api/analytics`."""

    totals: Totals
    jobs: list[JobSummary]
    spend: Spend | None = None


_TALKED = (CallStatus.IN_PROGRESS, CallStatus.COMPLETED)
_LIVE = (CallStatus.DIALING, CallStatus.IN_PROGRESS)


def placed(provider: Provider) -> bool:
    """The call was dialled."""
    return provider.call_status is not CallStatus.PENDING


def connected(provider: Provider) -> bool:
    """Someone talked on the call."""
    return provider.call_status in _TALKED


def agreed(provider: Provider) -> bool:
    """A price was agreed on the call."""
    if provider.negotiated_price is None:
        return False
    return provider.outcome is Outcome.AGREED or (
        provider.outcome is None and provider.call_status is CallStatus.COMPLETED
    )


def not_reached(provider: Provider) -> bool:
    """The call failed on the line's side (busy, unanswered, voicemail, not diallable)."""
    return provider.call_status is CallStatus.FAILED and provider.outcome is not Outcome.ERROR


def errored(provider: Provider) -> bool:
    """The call failed on our side."""
    return provider.outcome is Outcome.ERROR


def savings(provider: Provider) -> float | None:
    """First quote minus agreed price, when both are known, the first quote is credible and
    the saving positive (a doubtful or negative saving is no saving to report)."""
    if not agreed(provider):
        return None
    confidence = (provider.price_confidence or {}).get("first_quote")
    return credible_saving(provider.minimum_quote, provider.negotiated_price, confidence)


def best_deal(providers: Iterable[Provider]) -> Deal | None:
    """The lowest agreed price (the first one to reach it, on a tie)."""
    deals = [provider for provider in providers if agreed(provider)]
    if not deals:
        return None
    best = min(deals, key=lambda provider: (provider.negotiated_price, provider.id))
    assert best.negotiated_price is not None
    return Deal(
        provider_id=best.id,
        name=best.service_provider,
        price=best.negotiated_price,
        first_quote=best.minimum_quote,
        savings=savings(best),
    )


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def summarize_job(
    job: Job, providers: Sequence[Provider], attempts: Sequence[Attempt] = ()
) -> JobSummary:
    """One job's line in the history (`attempts`: every attempt of its calls)."""
    return JobSummary(
        job_id=job.id,
        task=job.task,
        problem=job.problem,
        zip_code=job.zip_code,
        status=job.status,
        created_at=job.created_at,
        providers=len(providers),
        calls_placed=sum(map(placed, providers)),
        in_progress=sum(provider.call_status in _LIVE for provider in providers),
        connected=sum(map(connected, providers)),
        not_reached=sum(map(not_reached, providers)),
        errors=sum(map(errored, providers)),
        declined=sum(provider.outcome is Outcome.DECLINED for provider in providers),
        agreed=sum(map(agreed, providers)),
        attempts=len(attempts),
        cost=total_cost(attempts),
        best=best_deal(providers),
    )


def summarize(
    jobs: Sequence[tuple[Job, Sequence[Provider]]],
    attempts: Mapping[str, Sequence[Attempt]] | None = None,
    spend: Spend | None = None,
) -> Analytics:
    """The figures for these jobs (newest first, as given); `attempts` by job id."""
    attempts = attempts or {}
    summaries = [summarize_job(job, providers, attempts.get(job.id, ())) for job, providers in jobs]
    every = [provider for _, providers in jobs for provider in providers]
    calls = [provider for provider in every if placed(provider)]
    talked = [provider for provider in calls if connected(provider)]
    deals = [provider for provider in every if agreed(provider)]
    saved = [
        (amount, provider.minimum_quote)
        for provider in deals
        if (amount := savings(provider)) is not None and provider.minimum_quote
    ]
    outcomes = Counter(provider.outcome.value for provider in every if provider.outcome)
    return Analytics(
        totals=Totals(
            jobs=len(jobs),
            providers=len(every),
            calls_placed=len(calls),
            connected=len(talked),
            agreed=len(deals),
            connect_rate=_rate(len(talked), len(calls)),
            agreement_rate=_rate(len(deals), len(talked)),
            average_savings=(
                round(sum(amount for amount, _ in saved) / len(saved), 2) if saved else None
            ),
            average_savings_percent=(
                round(100 * sum(amount / quote for amount, quote in saved) / len(saved), 1)
                if saved
                else None
            ),
            total_savings=round(sum(amount for amount, _ in saved), 2),
            outcomes=dict(outcomes),
            errors=sum(map(errored, every)),
            attempts=sum(summary.attempts for summary in summaries),
            cost=round(sum(summary.cost for summary in summaries), 4),
        ),
        jobs=summaries,
        spend=spend,
    )
