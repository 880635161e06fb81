"""`GET /api/analytics`: figures across jobs (calls placed, connected and agreed, savings,
costs), built from the store's aggregates (`shared/storage/figures.py` defines each figure).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from shared.money import credible_saving
from shared.storage.figures import BestDeal, Figures, JobFigures


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


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def deal(best: BestDeal | None) -> Deal | None:
    """A job's best deal as shown, with its saving when credible."""
    if best is None:
        return None
    return Deal(
        provider_id=best.provider_id,
        name=best.name,
        price=best.price,
        first_quote=best.first_quote,
        savings=credible_saving(best.first_quote, best.price, best.first_quote_confidence),
    )


def summarize_job(figures: JobFigures) -> JobSummary:
    """One job's line in the history."""
    job = figures.job
    return JobSummary(
        job_id=job.id,
        task=job.task,
        problem=job.problem,
        zip_code=job.zip_code,
        status=job.status,
        created_at=job.created_at,
        providers=figures.providers,
        calls_placed=figures.calls_placed,
        in_progress=figures.in_progress,
        connected=figures.connected,
        not_reached=figures.not_reached,
        errors=figures.errors,
        declined=figures.declined,
        agreed=figures.agreed,
        attempts=figures.attempts,
        cost=figures.cost,
        best=deal(figures.best),
    )


def summarize(figures: Figures, spend: Spend | None = None) -> Analytics:
    """The analytics of these figures (their jobs newest first)."""
    summaries = [summarize_job(line) for line in figures.jobs]
    calls = sum(summary.calls_placed for summary in summaries)
    talked = sum(summary.connected for summary in summaries)
    deals = sum(summary.agreed for summary in summaries)
    saved = figures.savings
    return Analytics(
        totals=Totals(
            jobs=len(summaries),
            providers=sum(summary.providers for summary in summaries),
            calls_placed=calls,
            connected=talked,
            agreed=deals,
            connect_rate=_rate(talked, calls),
            agreement_rate=_rate(deals, talked),
            average_savings=round(saved.total / saved.count, 2) if saved.count else None,
            average_savings_percent=(
                round(100 * saved.share / saved.count, 1) if saved.count else None
            ),
            total_savings=round(saved.total, 2),
            outcomes=figures.outcomes,
            errors=sum(summary.errors for summary in summaries),
            attempts=sum(summary.attempts for summary in summaries),
            cost=round(sum(summary.cost for summary in summaries), 4),
        ),
        jobs=summaries,
        spend=spend,
    )
