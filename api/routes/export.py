"""`GET /api/jobs/{job_id}/export.csv`: one row per attempt of the job's calls, for a
spreadsheet: provider, attempt, outcome, prices, conditions, duration, cost and transcript.

Text that a spreadsheet would run as a formula (a cell starting with `=`, `+`, `-`, `@`, a
tab or a carriage return: what a provider said, or a name typed in) is written with a leading
`'`, so it shows as text (OWASP's advice against CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from api.auth.guard import PrincipalDep, authenticate
from api.deps import StoreDep
from api.routes.jobs import job_or_404
from shared.models import Attempt, Provider

router = APIRouter(prefix="/api", dependencies=[Depends(authenticate)])

COLUMNS = (
    "job_id",
    "provider_id",
    "provider",
    "phone",
    "attempt",
    "attempt_reason",
    "call_status",
    "outcome",
    "first_quote",
    "negotiated_price",
    "conditions",
    "failure_reason",
    "callback_requested",
    "dialed_at",
    "ended_at",
    "duration_seconds",
    "cost",
    "transcript",
)

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A cell value a spreadsheet shows as is: formula-like text gets a leading `'`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def attempt_rows(
    job_id: str, providers: Iterable[Provider], attempts: Iterable[Attempt]
) -> list[list[Any]]:
    """The export's rows (without the header)."""
    by_id = {provider.id: provider for provider in providers}
    rows = []
    for attempt in attempts:
        provider = by_id.get(attempt.provider_id)
        values = {
            "job_id": job_id,
            "provider_id": attempt.provider_id,
            "provider": provider.service_provider if provider else "",
            "phone": provider.phone_number if provider else "",
            "attempt": attempt.attempt,
            "attempt_reason": attempt.attempt_reason or "first",
            "call_status": attempt.call_status.value,
            "outcome": attempt.outcome.value if attempt.outcome else None,
            "first_quote": attempt.minimum_quote,
            "negotiated_price": attempt.negotiated_price,
            "conditions": attempt.conditions,
            "failure_reason": attempt.failure_reason,
            "callback_requested": bool(attempt.callback_requested),
            "dialed_at": attempt.dialed_at,
            "ended_at": attempt.ended_at,
            "duration_seconds": attempt.duration_seconds,
            "cost": attempt.cost,
            "transcript": (attempt.call_transcript or "").strip(),
        }
        rows.append([safe_cell(values[column]) for column in COLUMNS])
    return rows


@router.get("/jobs/{job_id}/export.csv")
async def export_csv(job_id: str, store: StoreDep, principal: PrincipalDep) -> Response:
    """The job's attempts as CSV (UTF-8 with a byte-order mark, so spreadsheets read it)."""
    job = await job_or_404(store, job_id, principal)
    providers = await store.list_providers(job.id)
    attempts = await store.list_attempts(job.id)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(attempt_rows(job.id, providers, attempts))
    return Response(
        "\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="haggle-{job.id[:8]}.csv"'},
    )
