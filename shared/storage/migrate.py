"""Bring an SQL database's schema to the newest Alembic revision, once, whoever comes first.

Both services open the same database, often at the same moment. The upgrade therefore runs
under a lock every process honours: a lock file beside an SQLite database, a session advisory
lock on Postgres. A database already at the newest revision is left alone without taking the
lock (a read-only database opens as well, and its `ping` says what is wrong).

An SQLite file is also switched to WAL mode there, once (a property of the file).

A database made before Alembic managed the schema (tables present, no `alembic_version`) is
stamped with the baseline revision, then upgraded like any other.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from filelock import FileLock
from filelock import Timeout as LockTimeout
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.storage.errors import StoreError

logger = logging.getLogger(__name__)
# Alembic says which dialect it uses every time it looks at a database; our own line says when
# it changed something.
logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: The revision a database made before Alembic holds (see `versions/0001_baseline.py`).
BASELINE = "0001"
#: Postgres advisory lock key of schema upgrades (any constant every process agrees on).
_ADVISORY_KEY = 0x68616767  # "hagg"
#: How long a process waits for another's upgrade before giving up.
LOCK_TIMEOUT_SECONDS = 120.0


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """Alembic's configuration for the shipped revisions, on `connection` when given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def head_revisions() -> frozenset[str]:
    """The newest revision of each branch of the shipped history."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(connection: sa.Connection) -> set[str]:
    """The revisions the database is stamped with (empty: new, or made before Alembic)."""
    return set(MigrationContext.configure(connection).get_current_heads())


async def upgrade(engine: AsyncEngine, lock_file: Path | None) -> None:
    """Upgrade the schema to the newest revisions; `lock_file` guards SQLite (else Postgres'
    advisory lock is used). Raises `StoreError` when another process holds the lock too long."""
    heads, sqlite_file = head_revisions(), lock_file is not None
    async with engine.connect() as connection:
        if await connection.run_sync(_is_ready, heads, sqlite_file):
            return
    async with _file_lock(lock_file), engine.connect() as connection:
        await connection.run_sync(_upgrade, sqlite_file)


def _is_ready(connection: sa.Connection, heads: frozenset[str], sqlite_file: bool) -> bool:
    if sqlite_file and connection.exec_driver_sql("PRAGMA journal_mode").scalar() != "wal":
        return False
    return current_revisions(connection) == heads


@contextlib.asynccontextmanager
async def _file_lock(path: Path | None) -> AsyncIterator[None]:
    if path is None:
        yield
        return
    # Not tied to a thread: acquired in a worker thread, released from the event loop's.
    lock = FileLock(path, thread_local=False)
    try:
        await asyncio.to_thread(lock.acquire, timeout=LOCK_TIMEOUT_SECONDS)
    except LockTimeout:
        raise StoreError(
            f"another process has held the schema upgrade lock {path} for over "
            f"{LOCK_TIMEOUT_SECONDS:g} s"
        ) from None
    try:
        yield
    finally:
        lock.release()


def _pre_alembic_revision(connection: sa.Connection) -> str:
    """The revision a database made without Alembic holds: the SQL files for Supabase and
    hand-run Postgres add what the revisions do (`002_security.sql` and `003_attempts.sql`:
    0002; `005_prices.sql`: 0003; `006_fleet.sql`, run after it: 0004); without their tables,
    the database is the baseline."""
    inspector = sa.inspect(connection)
    if not (inspector.has_table("users") and inspector.has_table("call_attempts")):
        return BASELINE
    columns = {column["name"] for column in inspector.get_columns("providers")}
    if "price_confidence" not in columns:
        return "0002"
    if inspector.has_table("fleet_buckets") and inspector.has_table("fleet_dials"):
        return "0004"
    return "0003"


def _upgrade(connection: sa.Connection, sqlite_file: bool) -> None:
    """Stamp a pre-Alembic database, then upgrade; on Postgres under an advisory lock."""
    postgres = connection.dialect.name == "postgresql"
    if sqlite_file:
        # WAL lets both services (two processes) read while one writes.
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")
    if postgres:
        connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": _ADVISORY_KEY})
        connection.commit()
    try:
        config = alembic_config(connection)
        before = current_revisions(connection)
        if not before and sa.inspect(connection).has_table("jobs"):
            stamp = _pre_alembic_revision(connection)
            logger.info("database made before schema revisions: stamped %s", stamp)
            command.stamp(config, stamp)
        command.upgrade(config, "heads")
        after = current_revisions(connection)
        connection.commit()
        if after != before:
            logger.info(
                "database schema upgraded from %s to %s",
                ", ".join(sorted(before)) or "nothing",
                ", ".join(sorted(after)),
            )
    finally:
        connection.rollback()
        if postgres:
            connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": _ADVISORY_KEY})
            connection.commit()
