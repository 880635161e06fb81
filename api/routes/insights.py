"""Figures across jobs for the dashboard's history and analytics."""

from __future__ import annotations

from fastapi import APIRouter, Query

from api.analytics import Analytics, Spend, summarize
from api.deps import SettingsDep, StoreDep
from shared.costs import SPEND_WINDOW, spent_since
from shared.models import utcnow

router = APIRouter(prefix="/api")


@router.get("/analytics")
async def analytics(
    store: StoreDep, settings: SettingsDep, limit: int = Query(default=100, ge=1, le=500)
) -> Analytics:
    """Calls placed, connect and agreement rates, savings, costs, and a line per job (newest
    first), over the newest `limit` jobs; the account's spend of the last 24 hours."""
    jobs = await store.list_jobs(limit)
    rows = [(job, await store.list_providers(job.id)) for job in jobs]
    attempts = {job.id: await store.list_attempts(job.id) for job in jobs}
    # Without accounts, every job is the operator's (account `None`).
    spend = Spend(
        account_id=None,
        last_24_hours=await spent_since(store, None, utcnow() - SPEND_WINDOW),
        daily_cap=settings.daily_spend_cap,
    )
    return summarize(rows, attempts, spend)
