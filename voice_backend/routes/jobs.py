"""`POST /start-job/{job_id}`, `POST /cancel-job/{job_id}`: the job API asks for a job's calls,
or for its live calls to be hung up."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Header, HTTPException, status

from voice_backend.cancel import hang_up_job
from voice_backend.deps import DispatcherDep, ServicesDep, SettingsDep, StoreDep, require_bearer

logger = logging.getLogger(__name__)
router = APIRouter()


@router.post("/start-job/{job_id}")
async def start_job(
    job_id: str,
    store: StoreDep,
    dispatcher: DispatcherDep,
    settings: SettingsDep,
    authorization: str | None = Header(default=None),
) -> dict[str, object]:
    """Queue one call per provider of the job not yet called; answer at once."""
    require_bearer(authorization, settings)
    if not await store.list_providers(job_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No providers found for job: {job_id}")
    queued = await dispatcher.start_job(job_id)
    logger.info("calls queued", extra={"job_id": job_id, "count": len(queued)})
    return {"status": "started", "count": len(queued)}


@router.post("/cancel-job/{job_id}")
async def cancel_job(
    job_id: str,
    services: ServicesDep,
    settings: SettingsDep,
    authorization: str | None = Header(default=None),
) -> dict[str, object]:
    """Hang up the job's calls in progress (the job API has already ended its queued ones)."""
    require_bearer(authorization, settings)
    hung_up = await hang_up_job(services, job_id)
    logger.info("job's live calls hung up", extra={"job_id": job_id, "count": hung_up})
    return {"status": "canceled", "hung_up": hung_up}
