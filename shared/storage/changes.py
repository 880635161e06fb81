"""A change feed: which jobs changed in the store, pushed to whoever listens in this process.

Both services write the same store, so a process learns of the other's writes from the store
itself, once per process (never once per reader):

* Postgres: a trigger the schema creates (`haggle_notify_change`) sends `NOTIFY
  haggle_changes, '<job id>'` on every write to `jobs` or `providers`, and `PostgresFeed`
  listens on one dedicated connection;
* SQLite: `PollingFeed` asks a dedicated connection for `PRAGMA data_version` (it moves when
  any other connection, of any process, commits) every `interval` seconds, and only when it
  moved asks which jobs changed since the last look (their `updated_at`);
* Supabase: `PollingFeed` without the cheap detector, every couple of seconds.

Writes made through this process's own `Store` are published at once, whatever the backend.
A listener receives the ids of the jobs that changed, or `None` when anything may have changed
(the feed reconnected and may have missed notifications).
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from shared.models import utcnow
from shared.storage.base import Store, StoreError

logger = logging.getLogger(__name__)

#: The Postgres channel the trigger notifies on.
CHANNEL = "haggle_changes"

Listener = Callable[[frozenset[str] | None], None]


class ChangeFeed(abc.ABC):
    """Pushes the ids of changed jobs to its listeners until stopped."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` on every change from now on; returns the unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def publish(self, job_ids: frozenset[str] | None) -> None:
        """Tell every listener that these jobs (`None`: any job) changed."""
        if job_ids is not None and not job_ids:
            return
        for listener in list(self._listeners):
            try:
                listener(job_ids)
            except Exception:  # one broken listener must not starve the others
                logger.exception("change listener failed")

    @abc.abstractmethod
    async def start(self) -> None:
        """Begin watching the store."""

    @abc.abstractmethod
    async def stop(self) -> None:
        """Stop watching and release the connection."""


class PollingFeed(ChangeFeed):
    """Asks the store which jobs changed, every `interval` seconds, when `detector` (if any)
    says something was committed since the last look; and publishes this process's own
    writes to `store` at once."""

    #: How far back each look reaches, so a write committed a little after the time it
    #: stamped (or stamped by a slightly late clock) is still seen.
    OVERLAP = timedelta(seconds=5)

    def __init__(
        self,
        store: Store,
        *,
        interval: float,
        detector: Callable[[], Awaitable[bool]] | None = None,
        close_detector: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__()
        self._store = store
        self._interval = interval
        self._detector = detector
        self._close_detector = close_detector
        self._task: asyncio.Task[None] | None = None
        self._unhook: Callable[[], None] | None = None
        #: Each recently changed job and the newest `updated_at` already published.
        self._seen: dict[str, datetime] = {}
        self._since = utcnow() - self.OVERLAP

    async def start(self) -> None:
        """Publish own writes, and start looking for the other processes' writes."""
        self._unhook = self._store.add_write_listener(self.publish)
        self._task = asyncio.create_task(self._watch(), name="change-feed")

    async def stop(self) -> None:
        """Stop looking."""
        if self._unhook is not None:
            self._unhook()
            self._unhook = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._close_detector is not None:
            await self._close_detector()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                if self._detector is None or await self._detector():
                    self.publish(await self._look())
            except (StoreError, OSError) as error:
                logger.warning("change feed cannot read the store: %s", error)
            except Exception:
                logger.exception("change feed failed; retrying")

    async def _look(self) -> frozenset[str]:
        """The jobs whose rows moved past what was last published."""
        now = utcnow()
        changed: set[str] = set()
        for job_id, updated in (await self._store.changed_jobs(self._since)).items():
            if updated > self._seen.get(job_id, self._since):
                self._seen[job_id] = updated
                changed.add(job_id)
        self._since = now - self.OVERLAP
        self._seen = {job: at for job, at in self._seen.items() if at >= self._since}
        return frozenset(changed)


class PostgresFeed(ChangeFeed):
    """Listens to the trigger's notifications on one dedicated asyncpg connection, and
    reconnects (publishing `None`, since notifications may have been missed) when it drops."""

    def __init__(self, dsn: str, connect_args: dict[str, Any], *, retry: float = 1.0) -> None:
        super().__init__()
        self._dsn = dsn
        self._connect_args = connect_args
        self._retry = retry
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()

    async def start(self) -> None:
        """Connect and listen (waits for the first connection, a few seconds at most)."""
        self._task = asyncio.create_task(self._listen(), name="change-feed")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                await self._connected.wait()

    async def stop(self) -> None:
        """Stop listening and close the connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self.publish(frozenset((payload,)))

    async def _listen(self) -> None:
        import asyncpg

        first = True
        while True:
            connection = None
            try:
                connection = await asyncpg.connect(self._dsn, **self._connect_args)
                lost = asyncio.Event()
                connection.add_termination_listener(partial(_set, lost))
                await connection.add_listener(CHANNEL, self._notified)
                self._connected.set()
                if not first:
                    self.publish(None)  # whatever happened while disconnected
                first = False
                await lost.wait()
                logger.warning("change feed lost its Postgres connection; reconnecting")
            except (OSError, asyncpg.PostgresError) as error:
                logger.warning("change feed cannot listen on Postgres: %s", error)
            finally:
                if connection is not None and not connection.is_closed():
                    with contextlib.suppress(Exception):
                        await asyncio.shield(connection.close(timeout=2))
            await asyncio.sleep(self._retry)


def _set(event: asyncio.Event, *_args: Any) -> None:
    event.set()


class SQLiteVersion:
    """`PRAGMA data_version` on a dedicated connection: it changes when another connection
    commits to the file (the other process's writes, or this process's pool)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._connection: Any = None
        self._version: int | None = None

    async def changed(self) -> bool:
        """Whether anyone committed since the last call (`True` the first time)."""
        import aiosqlite

        try:
            if self._connection is None:
                self._connection = await aiosqlite.connect(self._path, uri=True)
            async with self._connection.execute("PRAGMA data_version") as cursor:
                row = await cursor.fetchone()
        except aiosqlite.Error as error:
            await self.close()
            raise StoreError(f"cannot read the database's version: {error}") from error
        version = int(row[0])
        moved = version != self._version
        self._version = version
        return moved

    async def close(self) -> None:
        """Close the dedicated connection."""
        if self._connection is not None:
            connection, self._connection = self._connection, None
            with contextlib.suppress(Exception):
                await connection.close()


#: How often an SQLite process checks the file's version (a cheap pragma): well under the
#: half second a change may take to reach the dashboards.
SQLITE_INTERVAL = 0.2
#: How often a Supabase process asks which jobs changed (two small REST reads).
SUPABASE_INTERVAL = 2.0


def make_change_feed(store: Store) -> ChangeFeed:
    """The change feed that fits the store's backend (not started)."""
    from shared.storage.sql import SQLStore
    from shared.storage.sql_connect import asyncpg_dsn
    from shared.storage.sqlite_file import SqliteFile, sqlite_path

    if isinstance(store, SQLStore):
        if store.is_sqlite:
            path = sqlite_path(store.url)
            if path is not None:
                version = SQLiteVersion(SqliteFile(path).existing_uri)
                return PollingFeed(
                    store,
                    interval=SQLITE_INTERVAL,
                    detector=version.changed,
                    close_detector=version.close,
                )
            # An in-memory database lives in this process: its own writes are all there is.
            return PollingFeed(store, interval=SUPABASE_INTERVAL)
        dsn, connect_args = asyncpg_dsn(store.url)
        return PostgresFeed(dsn, connect_args)
    return PollingFeed(store, interval=SUPABASE_INTERVAL)
