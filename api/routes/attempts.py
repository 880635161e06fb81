"""Calling again, each call's attempts, and what a job's calls cost.

* `POST /api/jobs/{job_id}/call-again`: a new attempt for ended calls that did not agree
  (by default every call that failed: busy, unanswered, errors…; or the providers named);
* `POST /api/jobs/{job_id}/providers/{provider_id}/call-again`: one provider;
* `GET /api/jobs/{job_id}/attempts`: every attempt, the earlier ones kept when a provider was
  called again, and the latest;
* `GET /api/jobs/{job_id}/costs`: the job's estimated cost, and its account's spend of the
  last 24 hours against `DAILY_SPEND_CAP`.

A new attempt is queued in the store: the voice service's dispatcher dials it within a poll.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, HTTPException, status

from api.auth.guard import PrincipalDep, authenticate
from api.auth.principal import Principal
from api.deps import SettingsDep, StoreDep
from api.guardrails import check_quota
from api.routes.jobs import job_or_404
from api.schemas import (
    AttemptOut,
    CallAgainIn,
    CallAgainOut,
    JobCostsOut,
    ProviderOut,
    can_call_again,
)
from shared.costs import SPEND_WINDOW, account_of, spend_cap_reason, total_cost
from shared.models import CallStatus, Job, Outcome, Provider, utcnow
from shared.settings import Settings
from shared.storage import Store

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api", dependencies=[Depends(authenticate)])


def _why_not(provider: Provider) -> str | None:
    if provider.outcome is Outcome.AGREED:
        return "a price was agreed on this call"
    if not provider.call_status.is_terminal:
        return "this call has not ended yet"
    return None


async def _open_job(store: Store, job_id: str, principal: Principal) -> Job:
    """The caller's job, which must not have been canceled (`409`)."""
    job = await job_or_404(store, job_id, principal)
    if job.status == "canceled":
        raise HTTPException(status.HTTP_409_CONFLICT, f"Job {job_id} was canceled")
    return job


async def _refuse_over_cap(store: Store, settings: Settings, job: Job) -> None:
    reason = await spend_cap_reason(store, account_of(job), settings.daily_spend_cap)
    if reason:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, reason)


async def _again(store: Store, providers: list[Provider]) -> CallAgainOut:
    queued: list[ProviderOut] = []
    skipped: dict[int, str] = {}
    for provider in providers:
        reason = _why_not(provider)
        fresh = None if reason else await store.call_again(provider.id, reason="again")
        if fresh is None:
            skipped[provider.id] = reason or "another request called it again first"
            continue
        queued.append(ProviderOut.of(fresh))
    count = len(queued)
    message = (
        f"Calling {count} provider{'s' if count != 1 else ''} again"
        if count
        else "No call to place again"
    )
    logger.info("calls placed again", extra={"count": count})
    return CallAgainOut(status="queued", message=message, providers=queued, skipped=skipped)


@router.post("/jobs/{job_id}/call-again")
async def call_job_again(
    job_id: str,
    store: StoreDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    body: CallAgainIn | None = None,
) -> CallAgainOut:
    """Call again the job's failed calls, or the providers named."""
    job = await _open_job(store, job_id, principal)
    providers = await store.list_providers(job.id)
    if body is not None and body.provider_ids is not None:
        known = {provider.id: provider for provider in providers}
        missing = [pid for pid in body.provider_ids if pid not in known]
        if missing:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, f"No such provider in job {job_id}: {missing}"
            )
        chosen = [known[pid] for pid in dict.fromkeys(body.provider_ids)]
    else:
        chosen = [
            provider
            for provider in providers
            if provider.call_status is CallStatus.FAILED and can_call_again(provider)
        ]
    if not chosen:
        raise HTTPException(status.HTTP_409_CONFLICT, "No failed call to place again")
    await _refuse_over_cap(store, settings, job)
    await check_quota(store, job, len(chosen), settings)
    answer = await _again(store, chosen)
    if not answer.providers:
        raise HTTPException(status.HTTP_409_CONFLICT, "; ".join(answer.skipped.values()))
    return answer


@router.post("/jobs/{job_id}/providers/{provider_id}/call-again")
async def call_provider_again(
    job_id: str, provider_id: int, store: StoreDep, settings: SettingsDep, principal: PrincipalDep
) -> ProviderOut:
    """Call one provider again: `409` while its call runs or when it agreed."""
    job = await _open_job(store, job_id, principal)
    provider = await store.get_provider(provider_id)
    if provider is None or provider.job_id != job.id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Provider not found: {provider_id}")
    reason = _why_not(provider)
    if reason:
        raise HTTPException(status.HTTP_409_CONFLICT, f"Cannot call again: {reason}")
    await _refuse_over_cap(store, settings, job)
    await check_quota(store, job, 1, settings)
    answer = await _again(store, [provider])
    if not answer.providers:
        raise HTTPException(status.HTTP_409_CONFLICT, f"Cannot call again: {answer.skipped}")
    return answer.providers[0]


@router.get("/jobs/{job_id}/attempts")
async def list_attempts(job_id: str, store: StoreDep, principal: PrincipalDep) -> list[AttemptOut]:
    """Every dialled attempt of the job's calls, by provider then attempt."""
    await job_or_404(store, job_id, principal)
    return [AttemptOut.of(attempt) for attempt in await store.list_attempts(job_id)]


@router.get("/jobs/{job_id}/costs")
async def job_costs(
    job_id: str, store: StoreDep, settings: SettingsDep, principal: PrincipalDep
) -> JobCostsOut:
    """The job's estimated call cost, and its account's spend of the last 24 hours."""
    job = await job_or_404(store, job_id, principal)
    attempts = await store.list_attempts(job_id)
    spent = await store.account_spend(account_of(job), utcnow() - SPEND_WINDOW)
    return JobCostsOut(
        job_id=job.id,
        attempts=len(attempts),
        duration_seconds=sum(attempt.duration_seconds or 0.0 for attempt in attempts),
        cost=total_cost(attempts),
        account_cost_last_24_hours=spent,
        daily_spend_cap=settings.daily_spend_cap,
    )
