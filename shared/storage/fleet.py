"""Limits shared by every voice instance on one store: the dial rate (`CALLS_PER_SECOND`) and
the cap on calls in flight (`MAX_CONCURRENT_CALLS`), for the fleet together.

* The dial rate is a slot schedule in the `fleet_buckets` row `dial` (a token bucket of depth
  one): reserving a slot is one atomic `UPDATE ... RETURNING` that moves the fleet's next free
  slot on by the spacing and says how long this caller waits for its own. Times are the
  database's clock, so instances on several machines agree.
* A claim takes the oldest queued call only while the fleet has fewer calls in flight
  (`dialing` or `in_progress`) than the cap, in one transaction that first locks the
  `claims` row (Postgres: `SELECT ... FOR UPDATE`, and the call's row `FOR UPDATE SKIP
  LOCKED`; SQLite: `BEGIN IMMEDIATE`), so two instances never both take the last slot.

`LocalFleet` is the fallback of stores that cannot hold a transaction (Supabase's REST API):
the rate is paced per process, and the cap is checked against a count read just before the
compare-and-set claim (close, but not exact, with several instances).
"""

from __future__ import annotations

import abc
import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.models import CallStatus, Provider, utcnow
from shared.storage.base import StoreError
from shared.storage.schema import fleet_buckets, providers

if TYPE_CHECKING:
    from shared.storage.base import Store
    from shared.storage.sql import SQLStore


def row_dict(result: Any) -> dict[str, Any]:
    """A result row as a dict, its datetimes in UTC (SQLite keeps no time zone)."""
    from shared.storage.sql import _row

    return _row(result)


DIAL = "dial"
CLAIMS = "claims"
_LIVE = (CallStatus.DIALING.value, CallStatus.IN_PROGRESS.value)


class Fleet(abc.ABC):
    """The limits every voice instance on the store shares."""

    @abc.abstractmethod
    async def reserve_dial(self, spacing: float) -> float:
        """Take the fleet's next dial slot, `spacing` seconds after the previous one; how
        many seconds the caller waits before dialling."""

    @abc.abstractmethod
    async def claim_next(
        self, owner: str, lease_until: datetime | None, max_in_flight: int
    ) -> Provider | None:
        """Claim the oldest queued call for `owner`, unless the fleet already has
        `max_in_flight` calls in flight; `None` when nothing was claimed."""


def _claim_values(owner: str, lease_until: datetime | None) -> dict[str, Any]:
    now = utcnow()
    return {
        "call_status": CallStatus.DIALING.value,
        "claimed_by": owner,
        "lease_expires_at": lease_until,
        "dialed_at": now,
        "updated_at": now,
    }


class SQLFleet(Fleet):
    """The fleet's limits in the SQL store's `fleet_buckets` table."""

    def __init__(self, store: SQLStore) -> None:
        self._store = store
        self._sqlite = store.is_sqlite
        self._ready = False

    async def reserve_dial(self, spacing: float) -> float:
        """One atomic update of the `dial` row, timed on the database's clock."""
        if self._sqlite:
            now = "((julianday('now') - 2440587.5) * 86400.0)"
            later = f"max(next_at, {now})"
        else:
            now = "extract(epoch from clock_timestamp())::float8"
            later = f"greatest(next_at, {now})"
        statement = sa.text(
            f"UPDATE fleet_buckets SET next_at = {later} + :spacing WHERE name = :name "
            f"RETURNING next_at - :spacing - {now}"
        ).bindparams(spacing=spacing, name=DIAL)
        async with self._transaction() as connection:
            wait = (await connection.execute(statement)).scalar_one()
        return max(float(wait), 0.0)

    async def claim_next(
        self, owner: str, lease_until: datetime | None, max_in_flight: int
    ) -> Provider | None:
        """Count the fleet's calls in flight and claim the oldest queued one, under the
        `claims` row's lock."""
        column = providers.c
        async with self._transaction() as connection:
            if not self._sqlite:
                lock = sa.select(fleet_buckets.c.name).where(fleet_buckets.c.name == CLAIMS)
                await connection.execute(lock.with_for_update())
            live = sa.select(sa.func.count()).where(column.call_status.in_(_LIVE))
            if (await connection.execute(live)).scalar_one() >= max_in_flight:
                return None
            oldest = (
                sa.select(column.id)
                .where(column.call_status == CallStatus.PENDING.value)
                .where(column.queued_at.is_not(None))
                .order_by(column.queued_at, column.id)
                .limit(1)
            )
            if not self._sqlite:
                oldest = oldest.with_for_update(skip_locked=True)
            provider_id = (await connection.execute(oldest)).scalar()
            if provider_id is None:
                return None
            claim = (
                providers.update()
                .where(column.id == provider_id)
                .where(column.call_status == CallStatus.PENDING.value)
                .values(_claim_values(owner, lease_until))
                .returning(*providers.c)
            )
            row = (await connection.execute(claim)).first()
        if row is None:
            return None
        claimed = Provider.model_validate(row_dict(row))
        self._store.announce_write(claimed.job_id)
        return claimed

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction that holds its locks from its first statement (SQLite:
        `BEGIN IMMEDIATE`, waiting for the other process's write lock)."""
        try:
            await self._ensure_rows()
            async with self._store.engine.connect() as connection:
                if not self._sqlite:
                    async with connection.begin():
                        yield connection
                    return
                connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.exec_driver_sql("BEGIN IMMEDIATE")
                try:
                    yield connection
                except BaseException:
                    await connection.exec_driver_sql("ROLLBACK")
                    raise
                await connection.exec_driver_sql("COMMIT")
        except SQLAlchemyError as error:
            raise StoreError(f"database error: {error}".splitlines()[0]) from error
        except OSError as error:
            raise StoreError(f"database unreachable: {error}") from error

    async def _ensure_rows(self) -> None:
        if self._ready:
            return
        async with self._store.engine.begin() as connection:
            for name in (DIAL, CLAIMS):
                exists = sa.select(fleet_buckets.c.name).where(fleet_buckets.c.name == name)
                if (await connection.execute(exists)).first() is None:
                    insert = sa.text(
                        "INSERT INTO fleet_buckets (name, next_at) VALUES (:name, 0) "
                        "ON CONFLICT (name) DO NOTHING"
                    ).bindparams(name=name)
                    await connection.execute(insert)
        self._ready = True


class LocalFleet(Fleet):
    """Per-process pacing and a best-effort cap, for stores without transactions."""

    def __init__(self, store: Store | None) -> None:
        self._store = store
        self._next = 0.0
        self._lock = asyncio.Lock()

    @classmethod
    def pacing_only(cls) -> LocalFleet:
        """A fleet of one process that only paces dials (the fallback of `DialPacer`)."""
        return cls(None)

    async def reserve_dial(self, spacing: float) -> float:
        """The next slot of this process's own schedule."""
        now = time.monotonic()
        slot = max(self._next, now)
        self._next = slot + spacing
        return slot - now

    async def claim_next(
        self, owner: str, lease_until: datetime | None, max_in_flight: int
    ) -> Provider | None:
        """A compare-and-set claim of the oldest queued call, if the count allows."""
        if self._store is None:
            raise StoreError("this fleet only paces dials")
        async with self._lock:
            live = await self._store.providers_in([CallStatus.DIALING, CallStatus.IN_PROGRESS])
            if len(live) >= max_in_flight:
                return None
            queued = await self._store.providers_in([CallStatus.PENDING], queued=True)
            for provider in sorted(queued, key=lambda p: (p.queued_at or utcnow(), p.id)):
                claimed = await self._store.claim_call(provider.id, owner, lease_until)
                if claimed is not None:
                    return claimed
        return None
