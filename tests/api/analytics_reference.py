"""The analytics as they were computed before the store aggregated them: in Python, from every
row of every job (kept here only as the reference the aggregates are held to)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime

from api.analytics import Analytics, Deal, JobSummary, Spend, Totals
from shared.models import Attempt, CallStatus, Job, Outcome, Provider
from shared.money import credible_saving
from shared.storage import Store

_TALKED = (CallStatus.IN_PROGRESS, CallStatus.COMPLETED)
_LIVE = (CallStatus.DIALING, CallStatus.IN_PROGRESS)


def _placed(provider: Provider) -> bool:
    return provider.call_status is not CallStatus.PENDING


def _connected(provider: Provider) -> bool:
    return provider.call_status in _TALKED


def _agreed(provider: Provider) -> bool:
    if provider.negotiated_price is None:
        return False
    return provider.outcome is Outcome.AGREED or (
        provider.outcome is None and provider.call_status is CallStatus.COMPLETED
    )


def _not_reached(provider: Provider) -> bool:
    return provider.call_status is CallStatus.FAILED and provider.outcome is not Outcome.ERROR


def _errored(provider: Provider) -> bool:
    return provider.outcome is Outcome.ERROR


def _savings(provider: Provider) -> float | None:
    if not _agreed(provider):
        return None
    confidence = (provider.price_confidence or {}).get("first_quote")
    return credible_saving(provider.minimum_quote, provider.negotiated_price, confidence)


def _best_deal(providers: Sequence[Provider]) -> Deal | None:
    deals = [provider for provider in providers if _agreed(provider)]
    if not deals:
        return None
    best = min(deals, key=lambda provider: (provider.negotiated_price, provider.id))
    assert best.negotiated_price is not None
    return Deal(
        provider_id=best.id,
        name=best.service_provider,
        price=best.negotiated_price,
        first_quote=best.minimum_quote,
        savings=_savings(best),
    )


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _summarize_job(
    job: Job, providers: Sequence[Provider], attempts: Sequence[Attempt]
) -> JobSummary:
    return JobSummary(
        job_id=job.id,
        task=job.task,
        problem=job.problem,
        zip_code=job.zip_code,
        status=job.status,
        created_at=job.created_at,
        providers=len(providers),
        calls_placed=sum(map(_placed, providers)),
        in_progress=sum(provider.call_status in _LIVE for provider in providers),
        connected=sum(map(_connected, providers)),
        not_reached=sum(map(_not_reached, providers)),
        errors=sum(map(_errored, providers)),
        declined=sum(provider.outcome is Outcome.DECLINED for provider in providers),
        agreed=sum(map(_agreed, providers)),
        attempts=len(attempts),
        cost=round(sum(attempt.cost or 0.0 for attempt in attempts), 4),
        best=_best_deal(providers),
    )


def _summarize(
    jobs: Sequence[tuple[Job, Sequence[Provider]]],
    attempts: Mapping[str, Sequence[Attempt]],
    spend: Spend,
) -> Analytics:
    summaries = [
        _summarize_job(job, providers, attempts.get(job.id, ())) for job, providers in jobs
    ]
    every = [provider for _, providers in jobs for provider in providers]
    calls = [provider for provider in every if _placed(provider)]
    talked = [provider for provider in calls if _connected(provider)]
    deals = [provider for provider in every if _agreed(provider)]
    saved = [
        (amount, provider.minimum_quote)
        for provider in deals
        if (amount := _savings(provider)) is not None and provider.minimum_quote
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
            errors=sum(map(_errored, every)),
            attempts=sum(summary.attempts for summary in summaries),
            cost=round(sum(summary.cost for summary in summaries), 4),
        ),
        jobs=summaries,
        spend=spend,
    )


async def _spent_since(store: Store, account_id: str | None, since: datetime) -> float:
    owners: dict[str, str | None] = {}
    spent = 0.0
    for job_id, cost in await store.costs_since(since):
        if job_id not in owners:
            job = await store.get_job(job_id)
            owners[job_id] = job.account_id if job is not None else None
        if owners[job_id] == account_id:
            spent += cost
    return round(spent, 4)


async def reference_analytics(
    store: Store,
    scope: str | None,
    account_id: str | None,
    limit: int,
    daily_cap: float | None,
    since: datetime,
) -> Analytics:
    """What `GET /api/analytics` answered before, for the same view of the same rows."""
    jobs = await store.list_jobs(limit, scope)
    rows = [(job, await store.list_providers(job.id)) for job in jobs]
    attempts = {job.id: await store.list_attempts(job.id) for job in jobs}
    spend = Spend(
        account_id=account_id,
        last_24_hours=await _spent_since(store, account_id, since),
        daily_cap=daily_cap,
    )
    return _summarize(rows, attempts, spend)
