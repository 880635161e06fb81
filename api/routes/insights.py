"""Figures across jobs for the dashboard's history and analytics."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.analytics import Analytics
from api.deps import AnalyticsDep

router = APIRouter(prefix="/api")


@router.get("/analytics", response_model=Analytics)
async def analytics(cache: AnalyticsDep, limit: int = Query(default=100, ge=1, le=500)) -> Response:
    """Calls placed, connect and agreement rates, savings, and a line per job (newest first),
    over the newest `limit` jobs."""
    return Response(await cache.get(limit), media_type="application/json")
