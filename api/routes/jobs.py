"""Jobs, their providers, and starting the calls."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel

from api.deps import SettingsDep, StoreDep, VoiceDep
from api.intake.offline import infer_task
from api.providers import checked, not_yet_in
from api.schemas import (
    JobIn,
    JobOut,
    ProviderOut,
    ProvidersIn,
    ProviderStatusOut,
    StartCallsOut,
)
from api.voice_client import VoiceServiceUnavailable
from shared import metrics
from shared.models import Job, JobCreate
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
async def start_calls(job_id: str, store: StoreDep, voice: VoiceDep) -> StartCallsOut:
    """Ask the voice service to call the job's providers (those not yet called)."""
    await job_or_404(store, job_id)
    providers = await store.list_providers(job_id)
    if not providers:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No providers found for job: {job_id}")
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
        status="started", message=f"Started calls for {count} providers", provider_count=count
    )


class SimulatedProviderOut(BaseModel):
    """A simulated provider the job can call in offline mode."""

    service_provider: str
    phone_number: str
    description: str | None = None


class SimulatedProvidersOut(BaseModel):
    """The simulated providers offered for a job's trade."""

    trade: str
    providers: list[SimulatedProviderOut]


@router.get("/jobs/{job_id}/simulated-providers")
async def simulated_providers(
    job_id: str, store: StoreDep, voice: VoiceDep
) -> SimulatedProvidersOut:
    """In offline mode, the simulated providers offered for the job's trade (404 when the
    voice service dials real phones), so the dashboard can add them in one click."""
    job = await job_or_404(store, job_id)
    trade = job.task or infer_task(job.problem or "")
    try:
        entries = await voice.simulated_providers(trade)
    except VoiceServiceUnavailable as error:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, f"Call backend service unavailable: {error}"
        ) from None
    if entries is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No simulated providers: calls are real")
    return SimulatedProvidersOut(
        trade=trade,
        providers=[
            SimulatedProviderOut(
                service_provider=entry["name"],
                phone_number=entry["phone"],
                description=entry.get("description"),
            )
            for entry in entries
        ],
    )
