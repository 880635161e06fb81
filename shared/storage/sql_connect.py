"""Connecting to SQLite or Postgres: the driver URL for a `DATABASE_URL`, SQLite's settings on
each connection, and the write probe a readiness check runs."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa

__all__ = ["async_url", "asyncpg_dsn", "probe_sqlite_write", "set_sqlite_pragmas"]

# Per connection. WAL mode (both services read while one writes) is a property of the file,
# set once under the migration lock: two processes switching a fresh file at once can fail.
_SQLITE_PRAGMAS = (
    # Wait for the other process's write lock instead of failing at once.
    "PRAGMA busy_timeout=10000",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
)


def async_url(database_url: str) -> tuple[str, dict[str, Any]]:
    """The SQLAlchemy async URL for a `DATABASE_URL`, and the driver's connect arguments."""
    parts = urlsplit(database_url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme == "sqlite":
        # urlunsplit would drop the empty host of `sqlite:///path`.
        return "sqlite+aiosqlite:" + database_url.split(":", 1)[1], {}
    if scheme in {"postgresql", "postgres"}:
        # asyncpg takes `ssl`, not libpq's `sslmode` (which Supabase's URLs carry).
        query = dict(parse_qsl(parts.query))
        connect_args: dict[str, Any] = {}
        sslmode = query.pop("sslmode", None)
        if sslmode and sslmode != "disable":
            connect_args["ssl"] = sslmode
        url = urlunsplit(parts._replace(scheme="postgresql+asyncpg", query=urlencode(query)))
        return url, connect_args
    raise ValueError(f"unsupported DATABASE_URL scheme {parts.scheme!r}")


def asyncpg_dsn(database_url: str) -> tuple[str, dict[str, Any]]:
    """A Postgres `DATABASE_URL` as a plain DSN for `asyncpg.connect`, and its arguments."""
    url, connect_args = async_url(database_url)
    return "postgresql:" + url.split(":", 1)[1], connect_args


async def probe_sqlite_write(connection: Any) -> None:
    """A write that changes nothing, rolled back: SQLite refuses it on a read-only file.

    IMMEDIATE takes the write lock first, waiting out another writer (busy_timeout); a read
    transaction upgraded to a write one would fail at once instead."""
    await connection.exec_driver_sql("BEGIN IMMEDIATE")
    version = await connection.scalar(sa.text("PRAGMA user_version"))
    await connection.exec_driver_sql(f"PRAGMA user_version = {int(version or 0)}")
    await connection.rollback()


def set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Apply SQLite's per-connection settings (the engine's `connect` event)."""
    cursor = dbapi_connection.cursor()
    for pragma in _SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()
