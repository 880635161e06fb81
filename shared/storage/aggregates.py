"""Per-job call figures computed by the database: one `GROUP BY` statement over the newest
jobs, instead of reading every provider row into the process.

The definitions are those of `api/analytics.py` (which turns these figures into the
dashboard's numbers), written as SQL conditions:

* placed: the call left `pending`; connected: `in_progress` or `completed`;
* agreed: a negotiated price, with outcome `agreed` (or no outcome on a completed call);
* saved: agreed with a non-zero first quote (`minimum_quote`); its savings are the first
  quote minus the agreed price.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from shared.models import CallStatus, Outcome
from shared.storage.schema import jobs, providers


@dataclass(frozen=True)
class BestDeal:
    """The lowest agreed price of a job (the earliest provider on a tie)."""

    provider_id: int
    name: str
    price: float
    first_quote: float | None


@dataclass(frozen=True)
class JobFigures:
    """One job's row and the counts and sums over its providers."""

    job: dict[str, Any]
    providers: int
    calls_placed: int
    in_progress: int
    connected: int
    not_reached: int
    agreed: int
    saved: int
    savings_total: float
    savings_ratio_total: float
    outcomes: dict[str, int]
    best: BestDeal | None


_p = providers.c
_PLACED = _p.call_status != CallStatus.PENDING.value
_CONNECTED = _p.call_status.in_([CallStatus.IN_PROGRESS.value, CallStatus.COMPLETED.value])
_LIVE = _p.call_status.in_([CallStatus.DIALING.value, CallStatus.IN_PROGRESS.value])
_FAILED = _p.call_status == CallStatus.FAILED.value
_AGREED = sa.and_(
    _p.negotiated_price.is_not(None),
    sa.or_(
        _p.outcome == Outcome.AGREED.value,
        sa.and_(_p.outcome.is_(None), _p.call_status == CallStatus.COMPLETED.value),
    ),
)
_SAVED = sa.and_(_AGREED, _p.minimum_quote.is_not(None), _p.minimum_quote != 0)
# Prices may be stored as integers (SQLite) or exact decimals (Postgres): divide as floats.
_SAVING = sa.cast(_p.minimum_quote, sa.Float) - sa.cast(_p.negotiated_price, sa.Float)


def _count(condition: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _sum(condition: Any, value: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, value), else_=0.0)), 0.0)


_COUNTS = {
    "providers": sa.func.count(_p.id),
    "calls_placed": _count(_PLACED),
    "in_progress": _count(_LIVE),
    "connected": _count(_CONNECTED),
    "not_reached": _count(_FAILED),
    "agreed": _count(_AGREED),
    "saved": _count(_SAVED),
}
_SUMS = {
    "savings_total": _sum(_SAVED, _SAVING),
    "savings_ratio_total": _sum(_SAVED, _SAVING / sa.cast(_p.minimum_quote, sa.Float)),
}
_OUTCOMES = {f"outcome_{outcome.value}": _count(_p.outcome == outcome.value) for outcome in Outcome}


def figures_query(limit: int) -> sa.Select[Any]:
    """The statement: one row per job among the newest `limit`, newest first."""
    recent = (
        sa.select(jobs).order_by(jobs.c.created_at.desc(), jobs.c.id).limit(limit).cte("recent")
    )
    ids = sa.select(recent.c.id)
    counts = (
        sa.select(
            _p.job_id,
            *(expression.label(name) for name, expression in (_COUNTS | _SUMS | _OUTCOMES).items()),
        )
        .where(_p.job_id.in_(ids))
        .group_by(_p.job_id)
        .subquery("counts")
    )
    ranked = (
        sa.select(
            _p.job_id,
            _p.id.label("best_id"),
            _p.service_provider.label("best_name"),
            _p.negotiated_price.label("best_price"),
            _p.minimum_quote.label("best_quote"),
            sa.func.row_number()
            .over(partition_by=_p.job_id, order_by=(_p.negotiated_price, _p.id))
            .label("best_rank"),
        )
        .where(_AGREED, _p.job_id.in_(ids))
        .subquery("ranked")
    )
    measures = [c for c in counts.c if c.name != "job_id"]
    best = [c for c in ranked.c if c.name not in ("job_id", "best_rank")]
    return (
        sa.select(recent, *measures, *best)
        .select_from(
            recent.outerjoin(counts, counts.c.job_id == recent.c.id).outerjoin(
                ranked, sa.and_(ranked.c.job_id == recent.c.id, ranked.c.best_rank == 1)
            )
        )
        .order_by(recent.c.created_at.desc(), recent.c.id)
    )


def figures_of(row: dict[str, Any]) -> JobFigures:
    """One result row of `figures_query` as figures."""
    job = {column.name: row[column.name] for column in jobs.c}
    outcomes = {
        outcome.value: int(row[f"outcome_{outcome.value}"] or 0)
        for outcome in Outcome
        if row[f"outcome_{outcome.value}"]
    }
    best = None
    if row["best_id"] is not None:
        best = BestDeal(
            provider_id=int(row["best_id"]),
            name=row["best_name"],
            price=float(row["best_price"]),
            first_quote=float(row["best_quote"]) if row["best_quote"] is not None else None,
        )
    counts = {name: int(row[name] or 0) for name in _COUNTS}
    return JobFigures(
        job=job,
        providers=counts["providers"],
        calls_placed=counts["calls_placed"],
        in_progress=counts["in_progress"],
        connected=counts["connected"],
        not_reached=counts["not_reached"],
        agreed=counts["agreed"],
        saved=counts["saved"],
        savings_total=float(row["savings_total"] or 0.0),
        savings_ratio_total=float(row["savings_ratio_total"] or 0.0),
        outcomes=outcomes,
        best=best,
    )
