"""Figures across jobs for the dashboard's history and analytics."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.analytics import Analytics
from api.auth.guard import PrincipalDep, authenticate
from api.deps import AnalyticsDep

router = APIRouter(prefix="/api", dependencies=[Depends(authenticate)])


@router.get("/analytics", response_model=Analytics)
async def analytics(
    cache: AnalyticsDep, principal: PrincipalDep, limit: int = Query(default=100, ge=1, le=500)
) -> Response:
    """Calls placed, connect and agreement rates, savings, costs, and a line per job (newest
    first), over the account's newest `limit` jobs; the account's spend of the last 24 hours."""
    return Response(await cache.get(principal, limit), media_type="application/json")
