"""Figures across jobs for the dashboard's history and analytics."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from api.analytics import Analytics, summarize
from api.auth.guard import PrincipalDep, authenticate
from api.deps import StoreDep

router = APIRouter(prefix="/api", dependencies=[Depends(authenticate)])


@router.get("/analytics")
async def analytics(
    store: StoreDep, principal: PrincipalDep, limit: int = Query(default=100, ge=1, le=500)
) -> Analytics:
    """Calls placed, connect and agreement rates, savings, and a line per job (newest first),
    over the account's newest `limit` jobs."""
    jobs = await store.list_jobs(limit, principal.scope)
    return summarize([(job, await store.list_providers(job.id)) for job in jobs])
