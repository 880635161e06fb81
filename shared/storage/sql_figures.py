"""The analytics' figures aggregated where the rows are, in SQLite or Postgres: a few
GROUP BY queries answer a handful of rows per request instead of every call row.

The definitions are `figures.py`'s, each written once more below as an SQL condition (the
same answers on both databases: counts with `FILTER`, the first row of a window with
`row_number()`). Costs are summed in SQL (sums of four-decimal amounts rounded to four
decimals, whatever the order of the terms); the savings, whose averages are rounded from
float sums, are summed in Python over the agreed calls that may have saved (their prices
only), in the order `figures.py` sums them. The queries of one request run side by side,
each on a connection of the pool.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from shared.models import CallStatus, Job, Outcome
from shared.money import credible_saving
from shared.storage.figures import (
    BestDeal,
    Figures,
    FiguresStore,
    JobFigures,
    Savings,
)
from shared.storage.schema import call_attempts, jobs, providers
from shared.storage.where import ENDED, LIVE

_row = providers.c
_status, _outcome = _row.call_status, _row.outcome
_PENDING, _FAILED = CallStatus.PENDING.value, CallStatus.FAILED.value
_TALKED = (CallStatus.IN_PROGRESS.value, CallStatus.COMPLETED.value)

_PLACED = _status != _PENDING
_CONNECTED = _status.in_(_TALKED)
_AGREED = sa.and_(
    _row.negotiated_price.is_not(None),
    sa.or_(
        _outcome == Outcome.AGREED.value,
        sa.and_(_outcome.is_(None), _status == CallStatus.COMPLETED.value),
    ),
)
_NOT_REACHED = sa.and_(_status == _FAILED, sa.func.coalesce(_outcome, "") != Outcome.ERROR.value)
#: A row counts as an attempt once dialled or ended (as `AttemptStore.list_attempts` lists).
_ATTEMPTED = sa.or_(_row.dialed_at.is_not(None), _status.in_(ENDED))

_FIRST_QUOTE_CONFIDENCE = _row.price_confidence["first_quote"].as_string()
#: The agreed calls that may have saved something: a nonzero first quote above the price,
#: not doubted. A superset of those that did (`credible_saving` decides, on these rows).
_MAY_HAVE_SAVED = sa.and_(
    _AGREED,
    _row.minimum_quote != 0,
    _row.minimum_quote > _row.negotiated_price,
    sa.func.coalesce(_FIRST_QUOTE_CONFIDENCE, "") != "low",
)


def _count(condition: Any) -> Any:
    return sa.func.count().filter(condition)


def _number(value: Any) -> float:
    """A sum as a float (Postgres answers `numeric` sums as decimals; no rows: 0)."""
    return float(value) if value is not None else 0.0


class SQLFigures(FiguresStore):
    """`FiguresStore` answered by aggregate queries (mixed into `SQLStore`)."""

    async def figures(self, limit: int, account_id: str | None) -> Figures:
        """The figures of the account's newest `limit` jobs (everyone's with `None`)."""
        listed = await self.list_jobs(limit, account_id)
        if not listed:
            return Figures(jobs=[], outcomes={}, savings=Savings.of([]))
        ids = [job.id for job in listed]
        answers = await asyncio.gather(
            *(
                self._run(query(ids), "all")
                for query in (_per_job, _kept_attempts, _best_deals, _outcomes, _may_have_saved)
            ),
            return_exceptions=True,  # every query is awaited; the first failure is raised
        )
        rows: list[list[Any]] = []
        for answer in answers:
            if isinstance(answer, BaseException):
                raise answer
            rows.append(answer)
        counted, kept, best, first_seen, deals = rows
        order = {job_id: index for index, job_id in enumerate(ids)}
        saved: list[tuple[float, float]] = []
        for row in sorted(deals, key=lambda row: (order[row.job_id], row.id)):
            quote = _number(row.minimum_quote)
            amount = credible_saving(quote, _number(row.negotiated_price), row.confidence)
            if amount is not None and quote:
                saved.append((amount, quote))
        by_job = [{row.job_id: row for row in rows} for rows in (counted, kept, best)]
        first_seen = sorted(first_seen, key=lambda row: (order[row.job_id], row.id))
        return Figures(
            jobs=[_job_figures(job, *(rows.get(job.id) for rows in by_job)) for job in listed],
            outcomes={row.outcome: int(row.calls) for row in first_seen},
            savings=Savings.of(saved),
        )

    async def account_spend(self, account_id: str | None, since: datetime) -> float:
        """What an account's attempts that ended at or after `since` cost (one sum)."""
        costs = sa.union_all(
            *(
                sa.select(table.c.job_id, table.c.cost).where(
                    table.c.ended_at >= since, table.c.cost.is_not(None)
                )
                for table in (providers, call_attempts)
            )
        ).subquery()
        owner = jobs.c.account_id
        query = (
            sa.select(sa.func.sum(costs.c.cost))
            .select_from(costs.outerjoin(jobs, jobs.c.id == costs.c.job_id))
            .where(owner.is_(None) if account_id is None else owner == account_id)
        )
        return round(_number(await self._run(query, "scalar")), 4)

    @abc.abstractmethod
    async def _run(self, statement: Any, fetch: str, *, conflicts: bool = False) -> Any:
        """Run one statement in its own transaction and fetch its result."""


def _per_job(ids: Sequence[str]) -> Any:
    """Per job: its calls counted by how they went, and its latest attempts and their cost."""
    return (
        sa.select(
            _row.job_id,
            sa.func.count().label("providers"),
            _count(_PLACED).label("placed"),
            _count(_status.in_(LIVE)).label("in_progress"),
            _count(_CONNECTED).label("connected"),
            _count(_NOT_REACHED).label("not_reached"),
            _count(_outcome == Outcome.ERROR.value).label("errors"),
            _count(_outcome == Outcome.DECLINED.value).label("declined"),
            _count(_AGREED).label("agreed"),
            _count(_ATTEMPTED).label("attempts"),
            sa.func.sum(_row.cost).filter(_ATTEMPTED).label("cost"),
        )
        .where(_row.job_id.in_(ids))
        .group_by(_row.job_id)
    )


def _kept_attempts(ids: Sequence[str]) -> Any:
    """Per job: the earlier attempts kept, and their cost."""
    kept = call_attempts.c
    return (
        sa.select(
            kept.job_id, sa.func.count().label("attempts"), sa.func.sum(kept.cost).label("cost")
        )
        .where(kept.job_id.in_(ids))
        .group_by(kept.job_id)
    )


def _best_deals(ids: Sequence[str]) -> Any:
    """Per job with a deal: the lowest agreed price, the lowest id on a tie."""
    rank = sa.func.row_number().over(
        partition_by=_row.job_id, order_by=(_row.negotiated_price, _row.id)
    )
    deals = (
        sa.select(
            _row.job_id,
            _row.id,
            _row.service_provider,
            _row.negotiated_price,
            _row.minimum_quote,
            _FIRST_QUOTE_CONFIDENCE.label("confidence"),
            rank.label("rank"),
        )
        .where(_row.job_id.in_(ids), _AGREED)
        .subquery()
    )
    return sa.select(deals).where(deals.c.rank == 1)


def _outcomes(ids: Sequence[str]) -> Any:
    """Per outcome: its calls, and the first of them in the jobs' order (newest job first,
    then by id), which orders the outcomes as the rows would list them."""
    rank = sa.func.row_number().over(
        partition_by=_outcome, order_by=(jobs.c.created_at.desc(), jobs.c.id, _row.id)
    )
    calls = (
        sa.select(
            _outcome,
            _row.job_id,
            _row.id,
            rank.label("rank"),
            sa.func.count().over(partition_by=_outcome).label("calls"),
        )
        .select_from(providers.join(jobs, jobs.c.id == _row.job_id))
        .where(_row.job_id.in_(ids), _outcome.is_not(None))
        .subquery()
    )
    return sa.select(calls).where(calls.c.rank == 1)


def _may_have_saved(ids: Sequence[str]) -> Any:
    """The agreed calls that may have saved something, with their prices: summed in Python,
    in the jobs' order, because the averages are rounded from a float sum whose last digit
    depends on the order of its terms (an SQL `SUM` has none, and SQLite's is compensated
    from 3.43 on), so the figures stay exactly the row-by-row ones."""
    return sa.select(
        _row.job_id,
        _row.id,
        _row.minimum_quote,
        _row.negotiated_price,
        _FIRST_QUOTE_CONFIDENCE.label("confidence"),
    ).where(_row.job_id.in_(ids), _MAY_HAVE_SAVED)


def _job_figures(job: Job, counted: Any, kept: Any, best: Any) -> JobFigures:
    """One job's line from its aggregate rows (`None`: no rows of that kind)."""

    def count(row: Any, name: str) -> int:
        return int(getattr(row, name)) if row is not None else 0

    def cost(row: Any) -> float:
        return _number(row.cost) if row is not None else 0.0

    return JobFigures(
        job=job,
        providers=count(counted, "providers"),
        calls_placed=count(counted, "placed"),
        in_progress=count(counted, "in_progress"),
        connected=count(counted, "connected"),
        not_reached=count(counted, "not_reached"),
        errors=count(counted, "errors"),
        declined=count(counted, "declined"),
        agreed=count(counted, "agreed"),
        attempts=count(counted, "attempts") + count(kept, "attempts"),
        cost=round(cost(counted) + cost(kept), 4),
        best=None
        if best is None
        else BestDeal(
            provider_id=int(best.id),
            name=best.service_provider,
            price=_number(best.negotiated_price),
            first_quote=None if best.minimum_quote is None else _number(best.minimum_quote),
            first_quote_confidence=best.confidence,
        ),
    )
