"""SQL storage through SQLAlchemy Core (async): embedded SQLite by default, or Postgres."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.storage import migrate
from shared.storage.base import Store, StoreError, Where
from shared.storage.fleet import SQLFleet
from shared.storage.rows import row_dict, utc
from shared.storage.schema import call_attempts, jobs, metadata, providers
from shared.storage.sql_connect import async_url, probe_sqlite_write, set_sqlite_pragmas
from shared.storage.sql_figures import SQLFigures
from shared.storage.sqlite_file import SqliteFile, sqlite_path

logger = logging.getLogger(__name__)


class SQLStore(SQLFigures, Store):
    """Jobs and providers in SQLite or Postgres (the analytics' figures aggregated in SQL)."""

    def __init__(self, database_url: str, *, create_schema: bool = True) -> None:
        """`create_schema=False` leaves the schema to the operator (`migrations/*.sql`)."""
        self._url = database_url
        self._create_schema = create_schema
        self._engine: AsyncEngine | None = None
        path = sqlite_path(database_url) if self.is_sqlite else None
        self._file = SqliteFile(path) if path is not None else None

    @property
    def engine(self) -> AsyncEngine:
        """The open engine; a StoreError before open()."""
        if self._engine is None:
            raise StoreError("the store is not open")
        return self._engine

    @property
    def url(self) -> str:
        """The `DATABASE_URL` this store opens."""
        return self._url

    @property
    def is_sqlite(self) -> bool:
        """Whether this store is an SQLite file."""
        return self._url.startswith("sqlite")

    async def open(self) -> None:
        """Connect, and bring the schema to the newest revision (see `migrate`)."""
        url, connect_args = async_url(self._url)
        if self._file is not None:
            try:
                await asyncio.to_thread(self._file.create)
            except OSError as error:
                raise StoreError(f"cannot open the database: {error}") from error
            url = f"sqlite+aiosqlite:///{self._file.existing_uri}&uri=true"
        self._engine = create_async_engine(url, connect_args=connect_args, pool_pre_ping=True)
        if self.is_sqlite:
            event.listen(self._engine.sync_engine, "connect", set_sqlite_pragmas)
        try:
            if self._create_schema:
                lock = self._file.lock_file if self._file is not None else None
                await migrate.upgrade(self._engine, lock)
            async with self._engine.connect() as connection:
                await connection.execute(sa.select(sa.literal(1)))
            if self._file is not None:
                self._file.remember()
        except (SQLAlchemyError, OSError, StoreError) as error:
            await self._engine.dispose()
            self._engine = None
            if isinstance(error, StoreError):
                raise
            raise StoreError(f"cannot open the database: {_reason(error)}") from error

    async def close(self) -> None:
        """Close every connection."""
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def ping(self) -> None:
        """Raise StoreError unless the database answers and takes writes: an SQLite file
        still at its path and writable, a Postgres server not in read-only mode."""
        if self._file is not None:
            self._file.check()
        try:
            async with self.engine.connect() as connection:
                if self.is_sqlite:
                    await probe_sqlite_write(connection)
                else:
                    read_only = await connection.scalar(
                        sa.text("SELECT current_setting('transaction_read_only')")
                    )
                    if read_only == "on":
                        raise StoreError("the database is read-only (transaction_read_only)")
        except SQLAlchemyError as error:
            raise StoreError(f"database error: {_reason(error)}") from error
        except OSError as error:
            raise StoreError(f"database unreachable: {_reason(error)}") from error
        if self._file is not None:
            # Made read-only after the connections opened: the probe above still passes.
            self._file.check_writable()

    def fleet(self) -> SQLFleet:
        """The fleet's rate and cap in this database, exact across instances."""
        return SQLFleet(self)

    # -- primitives ------------------------------------------------------------------------

    async def _insert_job(self, row: dict[str, Any]) -> dict[str, Any]:
        result = await self._run(jobs.insert().values(row).returning(*jobs.c), "one")
        return row_dict(result)

    async def _select_job(self, job_id: str) -> dict[str, Any] | None:
        result = await self._run(sa.select(jobs).where(jobs.c.id == job_id), "first")
        return row_dict(result) if result is not None else None

    async def _select_jobs(self, limit: int, account_id: str | None) -> list[dict[str, Any]]:
        query = sa.select(jobs).order_by(jobs.c.created_at.desc(), jobs.c.id).limit(limit)
        if account_id is not None:
            query = query.where(jobs.c.account_id == account_id)
        return [row_dict(item) for item in await self._run(query, "all")]

    async def _patch_job(self, job_id: str, values: dict[str, Any]) -> dict[str, Any] | None:
        statement = jobs.update().where(jobs.c.id == job_id).values(values).returning(*jobs.c)
        result = await self._run(statement, "first")
        return row_dict(result) if result is not None else None

    async def _insert_providers(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # One statement in one transaction; a (job, number) already stored is skipped by the
        # unique index, whichever request got there first.
        insert = postgres_insert if not self.is_sqlite else sqlite_insert
        statement = (
            insert(providers)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["job_id", "phone_number"])
            .returning(*providers.c)
        )
        return sorted(
            (row_dict(item) for item in await self._run(statement, "all")),
            key=lambda row: row["id"],
        )

    async def _select_provider(self, provider_id: int) -> dict[str, Any] | None:
        query = sa.select(providers).where(providers.c.id == provider_id)
        result = await self._run(query, "first")
        return row_dict(result) if result is not None else None

    async def _select_providers(self, job_id: str) -> list[dict[str, Any]]:
        query = sa.select(providers).where(providers.c.job_id == job_id).order_by(providers.c.id)
        return [row_dict(item) for item in await self._run(query, "all")]

    async def _select_by_status(
        self, statuses: list[str], queued: bool | None
    ) -> list[dict[str, Any]]:
        query = sa.select(providers).where(providers.c.call_status.in_(statuses))
        if queued is not None:
            column = providers.c.queued_at
            query = query.where(column.is_not(None) if queued else column.is_(None))
        query = query.order_by(providers.c.id)
        return [row_dict(item) for item in await self._run(query, "all")]

    async def _select_changed_since(self, since: datetime) -> list[tuple[str, datetime | None]]:
        query = sa.union_all(
            sa.select(jobs.c.id, jobs.c.updated_at).where(jobs.c.updated_at >= since),
            sa.select(providers.c.job_id, sa.func.max(providers.c.updated_at))
            .where(providers.c.updated_at >= since)
            .group_by(providers.c.job_id),
        )
        rows = await self._run(query, "all")
        return [(job_id, utc(updated)) for job_id, updated in rows]

    async def _patch_provider(
        self,
        provider_id: int,
        values: dict[str, Any],
        *,
        only_if_status_in: list[str] | None = None,
        only_if_queued: bool = False,
    ) -> dict[str, Any] | None:
        statement = providers.update().where(providers.c.id == provider_id)
        if only_if_status_in is not None:
            statement = statement.where(providers.c.call_status.in_(only_if_status_in))
        if only_if_queued:
            statement = statement.where(providers.c.queued_at.is_not(None))
        statement = statement.values(values).returning(*providers.c)
        result = await self._run(statement, "first")
        return row_dict(result) if result is not None else None

    async def _patch_providers_where(
        self, values: dict[str, Any], where: Where
    ) -> list[dict[str, Any]]:
        statement = providers.update()
        column = providers.c
        if where.job_id is not None:
            statement = statement.where(column.job_id == where.job_id)
        if where.provider_id is not None:
            statement = statement.where(column.id == where.provider_id)
        if where.attempt is not None:
            statement = statement.where(column.attempt == where.attempt)
        if where.statuses is not None:
            statement = statement.where(column.call_status.in_(where.statuses))
        if where.queued is not None:
            queued = column.queued_at
            statement = statement.where(queued.is_not(None) if where.queued else queued.is_(None))
        if where.claimed_by is not None:
            statement = statement.where(column.claimed_by == where.claimed_by)
        if where.lease_before is not None:
            statement = statement.where(column.lease_expires_at < where.lease_before)
        statement = statement.values(values).returning(*providers.c)
        rows = [row_dict(item) for item in await self._run(statement, "all")]
        return sorted(rows, key=lambda row: row["id"])

    async def _insert_attempt(self, row: dict[str, Any]) -> bool:
        insert = sqlite_insert if self.is_sqlite else postgres_insert
        statement = (
            insert(call_attempts)
            .values(row)
            .on_conflict_do_nothing(index_elements=[call_attempts.c.id])
            .returning(call_attempts.c.id)
        )
        return bool(await self._run(statement, "all"))

    async def _select_attempts(self, job_id: str) -> list[dict[str, Any]]:
        query = (
            sa.select(call_attempts)
            .where(call_attempts.c.job_id == job_id)
            .order_by(call_attempts.c.provider_id, call_attempts.c.attempt)
        )
        return [row_dict(item) for item in await self._run(query, "all")]

    async def _select_due(self, now: datetime) -> list[dict[str, Any]]:
        query = (
            sa.select(providers)
            .where(
                providers.c.next_attempt_at <= now,
                providers.c.call_status.in_(["completed", "failed"]),
            )
            .order_by(providers.c.id)
        )
        return [row_dict(item) for item in await self._run(query, "all")]

    async def _select_costs(self, since: datetime) -> list[dict[str, Any]]:
        query = sa.union_all(
            *(
                sa.select(table.c.job_id, table.c.cost).where(
                    table.c.ended_at >= since, table.c.cost.is_not(None)
                )
                for table in (providers, call_attempts)
            )
        )
        return [row_dict(item) for item in await self._run(query, "all")]

    async def _insert_row(self, table: str, row: dict[str, Any]) -> dict[str, Any] | None:
        try:
            result = await self._run(
                metadata.tables[table].insert().values(row).returning(*metadata.tables[table].c),
                "one",
                conflicts=True,
            )
        except IntegrityError:
            return None
        return row_dict(result)

    async def _select_rows(self, table: str, where: dict[str, Any]) -> list[dict[str, Any]]:
        source = metadata.tables[table]
        query = sa.select(source).where(*_conditions(source, where))
        return [row_dict(item) for item in await self._run(query, "all")]

    async def _update_rows(
        self, table: str, where: dict[str, Any], values: dict[str, Any]
    ) -> list[dict[str, Any]]:
        source = metadata.tables[table]
        statement = (
            source.update().where(*_conditions(source, where)).values(values).returning(*source.c)
        )
        return [row_dict(item) for item in await self._run(statement, "all")]

    async def _delete_rows(self, table: str, where: dict[str, Any]) -> int:
        source = metadata.tables[table]
        statement = source.delete().where(*_conditions(source, where)).returning(source.c[0])
        return len(await self._run(statement, "all"))

    async def _count_dials(self, account_id: str | None, since: datetime) -> int:
        column = providers.c
        owner = (
            column.account_id.is_(None) if account_id is None else column.account_id == account_id
        )
        placed = column.dialed_at >= since
        waiting = sa.and_(column.call_status == "pending", column.queued_at.is_not(None))
        latest = sa.select(sa.func.count()).where(owner, sa.or_(placed, waiting))
        # A provider called again keeps its earlier calls in `call_attempts`: each counts too.
        earlier = (
            sa.select(sa.func.count())
            .select_from(call_attempts.join(providers, call_attempts.c.provider_id == column.id))
            .where(owner, call_attempts.c.dialed_at >= since)
        )
        query = sa.select(latest.scalar_subquery() + earlier.scalar_subquery())
        return int(await self._run(query, "scalar"))

    async def _run(self, statement: Any, fetch: str, *, conflicts: bool = False) -> Any:
        """Run one statement in its own transaction and fetch its result.

        A caller cancelled meanwhile (a call's live-transcript writer when the call ends) does
        not cut the statement short: it runs to its commit in a task of its own. Cut between
        the driver's execute and its fetch, SQLAlchemy closes the connection with the statement
        still open; in one CI run the write lock then stayed held and every other write waited,
        then failed (and the cut write itself was lost)."""
        if self._file is not None:
            self._file.check()  # never a write into a deleted or replaced file
        task = asyncio.ensure_future(self._statement(statement, fetch, conflicts))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            task.add_done_callback(_unawaited)
            raise

    async def _statement(self, statement: Any, fetch: str, conflicts: bool) -> Any:
        try:
            async with self.engine.begin() as connection:
                result = await connection.execute(statement)
                if fetch == "scalar":
                    return result.scalar()
                if fetch == "one":
                    return result.one()
                if fetch == "first":
                    return result.first()
                return result.all()
        except IntegrityError as error:
            if conflicts:
                raise  # the caller turns a unique-key collision into an answer
            raise StoreError(f"database error: {_reason(error)}") from error
        except SQLAlchemyError as error:
            raise StoreError(f"database error: {_reason(error)}") from error
        except OSError as error:
            raise StoreError(f"database unreachable: {_reason(error)}") from error


def _unawaited(task: asyncio.Future[Any]) -> None:
    """The end of a statement whose caller was cancelled: its error, if any, is only logged."""
    if not task.cancelled() and task.exception() is not None:
        logger.warning("a statement whose caller had gone failed: %s", task.exception())


def _conditions(table: sa.Table, where: dict[str, Any]) -> list[Any]:
    """`column = value` (or `IN (...)` for a list) for each entry."""
    return [
        table.c[name].in_(value) if isinstance(value, list) else table.c[name] == value
        for name, value in where.items()
    ]


def _reason(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    return str(original).splitlines()[0] if str(original) else type(original).__name__
