"""Jobs, their providers, and starting the calls."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, status

from api.deps import SettingsDep, StoreDep, VoiceDep
from api.providers import checked, not_yet_in
from api.schemas import (
    JobIn,
    JobOut,
    ProviderOut,
    ProvidersIn,
    ProviderStatusOut,
    StartCallsOut,
    can_call_again,
)
from api.voice_client import VoiceServiceUnavailable
from shared import metrics
from shared.costs import account_of, spend_cap_reason
from shared.models import Job, JobCreate, Provider
from shared.storage import Store

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api")


async def job_or_404(store: Store, job_id: str) -> Job:
    """The job, or a 404 naming its id."""
    job = await store.get_job(job_id)
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Job not found: {job_id}")
    return job


@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness, in the original's shape."""
    return {"status": "healthy"}


@router.post("/jobs", status_code=status.HTTP_201_CREATED)
async def create_job(body: JobIn, store: StoreDep) -> JobOut:
    """Store a new job."""
    job = await store.create_job(JobCreate(**body.model_dump()))
    metrics.JOBS_CREATED.inc()
    logger.info("job created", extra={"job_id": job.id})
    return JobOut.of(job)


@router.get("/jobs")
async def list_jobs(store: StoreDep, limit: int = 50) -> list[JobOut]:
    """The newest jobs first."""
    return [JobOut.of(job) for job in await store.list_jobs(max(1, min(limit, 500)))]


@router.get("/jobs/{job_id}")
async def get_job(job_id: str, store: StoreDep) -> JobOut:
    """One job, or 404."""
    return JobOut.of(await job_or_404(store, job_id))


@router.post("/jobs/{job_id}/providers", status_code=status.HTTP_201_CREATED)
async def add_providers(
    job_id: str, body: ProvidersIn, store: StoreDep, settings: SettingsDep
) -> list[ProviderOut]:
    """Add providers to a job: every phone number valid, or none stored. Numbers the job
    already has are left out; the answer lists the providers stored by this request."""
    job = await job_or_404(store, job_id)
    if len(body.providers) > settings.max_providers_per_request:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"at most {settings.max_providers_per_request} providers per request",
        )
    cleaned = checked(body.providers, settings.default_region)
    # A number already in the job is not added again: nobody is called twice for one job.
    fresh = not_yet_in(cleaned, await store.list_providers(job.id))
    stored = await store.add_providers(job, fresh)
    logger.info("providers added", extra={"job_id": job.id, "count": len(stored)})
    return [ProviderOut.of(provider) for provider in stored]


@router.get("/providers/{job_id}")
async def list_providers(job_id: str, store: StoreDep) -> list[ProviderOut]:
    """A job's providers with their call status and prices."""
    await job_or_404(store, job_id)
    return [ProviderOut.of(provider) for provider in await store.list_providers(job_id)]


@router.get("/providers/{job_id}/status")
async def provider_status(job_id: str, store: StoreDep) -> list[ProviderStatusOut]:
    """The same rows plus transcripts and outcomes."""
    await job_or_404(store, job_id)
    return [ProviderStatusOut.of(provider) for provider in await store.list_providers(job_id)]


@router.post("/start-calls/{job_id}")
async def start_calls(
    job_id: str, store: StoreDep, voice: VoiceDep, settings: SettingsDep
) -> StartCallsOut:
    """Ask the voice service to call the job's providers (those not yet called)."""
    job = await job_or_404(store, job_id)
    providers = await store.list_providers(job_id)
    if not providers:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No providers found for job: {job_id}")
    over_cap = await spend_cap_reason(store, account_of(job), settings.daily_spend_cap)
    if over_cap:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, over_cap)
    try:
        answer = await voice.start_job(job_id)
    except VoiceServiceUnavailable as error:
        metrics.CALL_STARTS.labels("unreachable").inc()
        logger.warning("voice service unreachable", extra={"job_id": job_id})
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, f"Call backend service unavailable: {error}"
        ) from None
    metrics.CALL_STARTS.labels(str(answer.status_code)).inc()
    if not 200 <= answer.status_code < 300:
        detail = answer.body.get("detail") if isinstance(answer.body, dict) else None
        raise HTTPException(answer.status_code, f"Failed to start calls: {detail or answer.text}")
    count = answer.body.get("count") if isinstance(answer.body, dict) else None
    if not isinstance(count, int):
        count = len(providers)
    return StartCallsOut(
        status="started", message=_started_message(count, providers), provider_count=count
    )


def _started_message(count: int, providers: list[Provider]) -> str:
    """What starting the calls did, in words (never "Started calls for 0 providers")."""
    if count:
        return f"Started calls for {count} provider{'s' if count != 1 else ''}"
    retry = sum(can_call_again(provider) for provider in providers)
    if retry:
        return (
            "No new call to start: every provider has been called. "
            f"{retry} call{'s' if retry != 1 else ''} ended without a deal and can be "
            "called again."
        )
    return "No new call to start: every provider has been called or is being called."
