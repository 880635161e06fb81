"""Limits shared by every voice instance on one store: the dial rate (`CALLS_PER_SECOND`) and
the cap on calls in flight (`MAX_CONCURRENT_CALLS`), for the fleet together.

* The dial rate: `CALLS_PER_SECOND` is `count` dials per `window` seconds (3 per 1 s; 0.5
  is 1 per 2 s). A dial takes a ticket right before its request to Twilio, under the lock of
  the `fleet_buckets` row `dial`, only if fewer than `count` recent dials still count
  (`fleet_dials`) and the row's `next_at` (the previous ticket plus `window / count`, which
  spreads the dials out) has passed. A dial counts until one `window` after its request came
  back (`dial_done`): since Twilio received each request between its ticket and its answer,
  no `window` of Twilio's clock ever holds more than `count` call creations, however late a
  loaded instance sends its request. A caller who gets no ticket learns how long to wait and
  asks again. Times are the database's clock, so instances on several machines agree.
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
import math
import time
import uuid
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.models import CallStatus, Provider, utcnow
from shared.storage.errors import StoreError
from shared.storage.rows import row_dict
from shared.storage.schema import fleet_buckets, fleet_dials, providers

if TYPE_CHECKING:
    from shared.storage.base import Store
    from shared.storage.sql import SQLStore


DIAL = "dial"
CLAIMS = "claims"
_LIVE = (CallStatus.DIALING.value, CallStatus.IN_PROGRESS.value)


#: How long a dial whose end was never reported (its instance died) counts, at most.
DIAL_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class DialRate:
    """`CALLS_PER_SECOND` as at most `count` dials in any `window` seconds."""

    count: int
    window: float

    @classmethod
    def per_second(cls, calls_per_second: float) -> DialRate:
        """3 -> 3 per 1 s; 2.5 -> 2 per 0.8 s; 0.5 -> 1 per 2 s."""
        count = max(1, math.floor(calls_per_second))
        return cls(count=count, window=count / calls_per_second)

    @property
    def spacing(self) -> float:
        """The least time between two tickets."""
        return self.window / self.count


class Fleet(abc.ABC):
    """The limits every voice instance on the store shares."""

    @abc.abstractmethod
    async def reserve_dial(self, rate: DialRate) -> str | float:
        """A ticket to dial now, or, when the rate allows none, how many seconds until it
        may (nothing is taken: ask again then)."""

    @abc.abstractmethod
    async def dial_done(self, ticket: str, rate: DialRate) -> None:
        """The ticket's request to Twilio came back: it counts for one more window."""

    @abc.abstractmethod
    async def claim_next(
        self,
        owner: str,
        lease_until: datetime | None,
        max_in_flight: int,
        among: Collection[int],
    ) -> Provider | None:
        """Claim for `owner` the oldest queued call of those in `among` (the calls the dial
        gate cleared) that does not wait for calling hours (`not_before` in the future),
        unless the fleet already has `max_in_flight` calls in flight; `None` when nothing
        was claimed."""


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

    async def reserve_dial(self, rate: DialRate) -> str | float:
        """Under the `dial` row's lock: count the dials that still count, and take a
        ticket if the rate allows."""
        dial = fleet_buckets.c
        async with self._transaction() as connection:
            lock = sa.select(dial.next_at).where(dial.name == DIAL)
            if not self._sqlite:
                lock = lock.with_for_update()
            next_at = (await connection.execute(lock)).scalar_one()
            now = (await connection.execute(sa.select(self._now()))).scalar_one()
            counting = sa.select(fleet_dials.c.until).where(fleet_dials.c.until > now)
            untils = sorted((await connection.execute(counting)).scalars())
            if next_at > now:
                return max(next_at - now, 1e-3)
            if len(untils) >= rate.count:
                return max(untils[len(untils) - rate.count] - now, 1e-3)
            ticket = uuid.uuid4().hex
            until = now + DIAL_TIMEOUT_SECONDS + rate.window
            await connection.execute(fleet_dials.insert().values(id=ticket, until=until))
            await connection.execute(
                fleet_buckets.update().where(dial.name == DIAL).values(next_at=now + rate.spacing)
            )
            await connection.execute(
                fleet_dials.delete().where(fleet_dials.c.until < now - DIAL_TIMEOUT_SECONDS)
            )
        return ticket

    async def dial_done(self, ticket: str, rate: DialRate) -> None:
        """The dial counts until one window from now."""
        statement = (
            fleet_dials.update()
            .where(fleet_dials.c.id == ticket)
            .values(until=self._now() + rate.window)
        )
        async with self._transaction() as connection:
            await connection.execute(statement)

    def _now(self) -> Any:
        """The database's clock, in seconds since the epoch."""
        if self._sqlite:
            return sa.literal_column("((julianday('now') - 2440587.5) * 86400.0)", sa.Float)
        # The statement's own moment, not the transaction's start (`now()`).
        return sa.literal_column("extract(epoch from clock_timestamp())::float8", sa.Float)

    async def claim_next(
        self,
        owner: str,
        lease_until: datetime | None,
        max_in_flight: int,
        among: Collection[int],
    ) -> Provider | None:
        """Count the fleet's calls in flight and claim the oldest queued one of `among`,
        under the `claims` row's lock."""
        if not among:
            return None
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
                .where(column.id.in_(sorted(among)))
                .where(sa.or_(column.not_before.is_(None), column.not_before <= utcnow()))
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
        self._dials: dict[str, float] = {}
        self._lock = asyncio.Lock()

    @classmethod
    def pacing_only(cls) -> LocalFleet:
        """A fleet of one process that only paces dials (the fallback of `DialPacer`)."""
        return cls(None)

    async def reserve_dial(self, rate: DialRate) -> str | float:
        """A ticket of this process's own count."""
        now = time.monotonic()
        self._dials = {key: until for key, until in self._dials.items() if until > now}
        untils = sorted(self._dials.values())
        if self._next > now:
            return self._next - now
        if len(untils) >= rate.count:
            return max(untils[len(untils) - rate.count] - now, 1e-3)
        ticket = uuid.uuid4().hex
        self._dials[ticket] = now + DIAL_TIMEOUT_SECONDS + rate.window
        self._next = now + rate.spacing
        return ticket

    async def dial_done(self, ticket: str, rate: DialRate) -> None:
        """The dial counts for one more window."""
        if ticket in self._dials:
            self._dials[ticket] = time.monotonic() + rate.window

    async def claim_next(
        self,
        owner: str,
        lease_until: datetime | None,
        max_in_flight: int,
        among: Collection[int],
    ) -> Provider | None:
        """A compare-and-set claim of the oldest queued call of `among`, if the count
        allows."""
        if self._store is None:
            raise StoreError("this fleet only paces dials")
        async with self._lock:
            live = await self._store.providers_in([CallStatus.DIALING, CallStatus.IN_PROGRESS])
            if len(live) >= max_in_flight:
                return None
            now = utcnow()
            queued = [
                provider
                for provider in await self._store.providers_in([CallStatus.PENDING], queued=True)
                if provider.id in among
                and (provider.not_before is None or provider.not_before <= now)
            ]
            for provider in sorted(queued, key=lambda p: (p.queued_at or now, p.id)):
                claimed = await self._store.claim_call(provider.id, owner, lease_until)
                if claimed is not None:
                    return claimed
        return None
