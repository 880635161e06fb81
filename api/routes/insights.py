"""Figures across jobs for the dashboard's history and analytics."""

from __future__ import annotations

from fastapi import APIRouter, Query

from api.analytics import Analytics, summarize
from api.deps import StoreDep

router = APIRouter(prefix="/api")


@router.get("/analytics")
async def analytics(store: StoreDep, limit: int = Query(default=100, ge=1, le=500)) -> Analytics:
    """Calls placed, connect and agreement rates, savings, and a line per job (newest first),
    over the newest `limit` jobs."""
    jobs = await store.list_jobs(limit)
    return summarize([(job, await store.list_providers(job.id)) for job in jobs])
