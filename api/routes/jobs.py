"""Jobs, their providers, and starting the calls."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel

from api.auth.guard import PrincipalDep, authenticate
from api.auth.principal import Principal
from api.deps import JobLocksDep, SettingsDep, StoreDep, VoiceDep
from api.guardrails import admissible, check_daily_quota
from api.intake.offline import infer_task
from api.providers import checked
from api.schemas import (
    CancelOut,
    JobIn,
    JobOut,
    ProviderOut,
    ProvidersIn,
    ProviderStatusOut,
    StartCallsOut,
    can_call_again,
)
from api.voice_client import VoiceServiceClient, VoiceServiceUnavailable
from shared import metrics
from shared.costs import account_of, spend_cap_reason
from shared.models import CallStatus, Job, JobCreate, Provider
from shared.storage import Store

logger = logging.getLogger(__name__)

#: `GET /api/health` is the one path under `/api/` that needs no credential.
public = APIRouter(prefix="/api")
router = APIRouter(prefix="/api", dependencies=[Depends(authenticate)])


async def job_or_404(store: Store, job_id: str, principal: Principal) -> Job:
    """The job, or a 404 naming its id: another account's job is not found either."""
    job = await store.get_job(job_id)
    if job is None or not principal.owns(job):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Job not found: {job_id}")
    return job


@public.get("/health")
async def health() -> dict[str, str]:
    """Liveness, in the original's shape."""
    return {"status": "healthy"}


@router.post("/jobs", status_code=status.HTTP_201_CREATED)
async def create_job(body: JobIn, store: StoreDep, principal: PrincipalDep) -> JobOut:
    """Store a new job, owned by the caller's account."""
    job = await store.create_job(JobCreate(**body.model_dump(), account_id=principal.account_id))
    metrics.JOBS_CREATED.inc()
    logger.info("job created", extra={"job_id": job.id})
    return JobOut.of(job)


@router.get("/jobs")
async def list_jobs(store: StoreDep, principal: PrincipalDep, limit: int = 50) -> list[JobOut]:
    """The caller's newest jobs first."""
    jobs = await store.list_jobs(max(1, min(limit, 500)), principal.scope)
    return [JobOut.of(job) for job in jobs]


@router.get("/jobs/{job_id}")
async def get_job(job_id: str, store: StoreDep, principal: PrincipalDep) -> JobOut:
    """One job, or 404."""
    return JobOut.of(await job_or_404(store, job_id, principal))


@router.post("/jobs/{job_id}/providers", status_code=status.HTTP_201_CREATED)
async def add_providers(
    job_id: str,
    body: ProvidersIn,
    store: StoreDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    locks: JobLocksDep,
) -> list[ProviderOut]:
    """Add providers to a job: every number passes the guardrails, or none is stored. Numbers
    the job already has are left out; the answer lists the providers stored by this request."""
    job = await job_or_404(store, job_id, principal)
    if len(body.providers) > settings.max_providers_per_request:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"at most {settings.max_providers_per_request} providers per request",
        )
    cleaned = checked(body.providers, settings)
    # One request per job at a time in this process keeps the per-job cap exact; the unique
    # (job, number) key keeps a number once per job across processes.
    async with locks.hold(job.id):
        fresh = await admissible(store, job, cleaned, await store.list_providers(job.id), settings)
        stored = await store.add_providers(job, fresh)
    logger.info("providers added", extra={"job_id": job.id, "count": len(stored)})
    return [ProviderOut.of(provider) for provider in stored]


@router.get("/providers/{job_id}")
async def list_providers(
    job_id: str, store: StoreDep, principal: PrincipalDep
) -> list[ProviderOut]:
    """A job's providers with their call status and prices."""
    await job_or_404(store, job_id, principal)
    return [ProviderOut.of(provider) for provider in await store.list_providers(job_id)]


@router.get("/providers/{job_id}/status")
async def provider_status(
    job_id: str, store: StoreDep, principal: PrincipalDep
) -> list[ProviderStatusOut]:
    """The same rows plus transcripts and outcomes."""
    await job_or_404(store, job_id, principal)
    return [ProviderStatusOut.of(provider) for provider in await store.list_providers(job_id)]


@router.post("/start-calls/{job_id}")
async def start_calls(
    job_id: str,
    store: StoreDep,
    voice: VoiceDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    locks: JobLocksDep,
) -> StartCallsOut:
    """Ask the voice service to call the job's providers (those not yet called), within the
    account's daily call limit."""
    job = await job_or_404(store, job_id, principal)
    if job.status == "canceled":
        raise HTTPException(status.HTTP_409_CONFLICT, f"Job {job_id} was canceled")
    providers = await store.list_providers(job_id)
    if not providers:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No providers found for job: {job_id}")
    over_cap = await spend_cap_reason(store, account_of(job), settings.daily_spend_cap)
    if over_cap:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, over_cap)
    async with locks.hold(f"quota:{job.account_id}"):
        await check_daily_quota(store, job, providers, settings)
        return await _start(job_id, providers, voice)


@router.post("/jobs/{job_id}/cancel")
async def cancel_job(
    job_id: str, store: StoreDep, voice: VoiceDep, principal: PrincipalDep
) -> CancelOut:
    """Cancel a job: calls still queued are never dialled (they end `failed`, outcome
    `canceled`); calls in progress are hung up through the voice service."""
    job = await job_or_404(store, job_id, principal)
    canceled = await store.cancel_job(job.id)
    live = [
        provider
        for provider in await store.list_providers(job.id)
        if provider.call_status in (CallStatus.DIALING, CallStatus.IN_PROGRESS)
    ]
    hung_up: int | None = 0
    if live:
        try:
            answer = await voice.cancel_job(job.id)
            hung_up = answer.body.get("hung_up") if isinstance(answer.body, dict) else None
        except VoiceServiceUnavailable:
            logger.warning("voice service unreachable on cancel", extra={"job_id": job.id})
            hung_up = None
    logger.info("job canceled", extra={"job_id": job.id, "canceled": len(canceled)})
    return CancelOut(
        status="canceled",
        canceled=len(canceled),
        in_progress=len(live),
        hung_up=hung_up if isinstance(hung_up, int) else None,
    )


async def _start(
    job_id: str, providers: list[Provider], voice: VoiceServiceClient
) -> StartCallsOut:
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


class SimulatedProviderOut(BaseModel):
    """A simulated provider the job can call in offline mode."""

    service_provider: str
    phone_number: str
    description: str | None = None


class SimulatedProvidersOut(BaseModel):
    """The simulated providers offered for a job's trade; none, with the reason, when the
    calls are real or the voice service cannot be asked."""

    trade: str
    providers: list[SimulatedProviderOut]
    reason: str | None = None


@router.get("/jobs/{job_id}/simulated-providers")
async def simulated_providers(
    job_id: str, store: StoreDep, voice: VoiceDep, principal: PrincipalDep
) -> SimulatedProvidersOut:
    """In offline mode, the simulated providers offered for the job's trade, so the dashboard
    can add them in one click; none (with the reason) when the voice service dials real phones
    or cannot be reached — the page asks on every job, and nothing is wrong then."""
    job = await job_or_404(store, job_id, principal)
    trade = job.task or infer_task(job.problem or "")
    try:
        entries = await voice.simulated_providers(trade)
    except VoiceServiceUnavailable as error:
        return SimulatedProvidersOut(
            trade=trade, providers=[], reason=f"Call backend service unavailable: {error}"
        )
    if entries is None:
        return SimulatedProvidersOut(
            trade=trade, providers=[], reason="No simulated providers: calls are real"
        )
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
