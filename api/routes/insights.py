"""Figures across jobs for the dashboard's history and analytics."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from api.analytics import Analytics, Spend, summarize
from api.auth.guard import PrincipalDep, authenticate
from api.deps import SettingsDep, StoreDep
from shared.costs import SPEND_WINDOW, spent_since
from shared.models import utcnow

router = APIRouter(prefix="/api", dependencies=[Depends(authenticate)])


@router.get("/analytics")
async def analytics(
    store: StoreDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    limit: int = Query(default=100, ge=1, le=500),
) -> Analytics:
    """Calls placed, connect and agreement rates, savings, costs, and a line per job (newest
    first), over the account's newest `limit` jobs; the account's spend of the last 24 hours."""
    jobs = await store.list_jobs(limit, principal.scope)
    rows = [(job, await store.list_providers(job.id)) for job in jobs]
    attempts = {job.id: await store.list_attempts(job.id) for job in jobs}
    spend = Spend(
        account_id=principal.account_id,
        last_24_hours=await spent_since(store, principal.account_id, utcnow() - SPEND_WINDOW),
        daily_cap=settings.daily_spend_cap,
    )
    return summarize(rows, attempts, spend)
