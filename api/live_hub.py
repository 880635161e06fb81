"""The live picture of each watched job, kept once per process and shared by every open
stream of that job.

The change feed says which jobs changed; the hub re-reads each such job once (however many
dashboards watch it), keeps its latest picture as ready-to-send JSON, and wakes that job's
streams, which send only what changed for them. Nothing is read while nothing changes.

Fan-out is keyed by job id. `subscribe` hands every change (the job ids) to other listeners
too: the analytics cache, and an account-level fan-out that maps jobs to their account.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from api.schemas import JobOut, ProviderStatusOut
from shared.storage import Store, StoreError
from shared.storage.changes import ChangeFeed, Listener

logger = logging.getLogger(__name__)

#: After a failed read of a changed job, when to try again.
RETRY_SECONDS = 1.0


@dataclass(frozen=True)
class Picture:
    """One job as its streams send it: `job` is `None` once the job is gone."""

    version: int
    job: str | None
    providers: dict[int, str] = field(default_factory=dict)


class JobChannel:
    """One watched job: its latest picture and the streams waiting for the next one."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self.watchers = 0
        self.picture: Picture | None = None
        self._changed = asyncio.Event()
        #: A change arrived that the picture does not show yet.
        self.dirty = True
        #: The task re-reading the job, while one runs (the hub's).
        self.reader: asyncio.Task[None] | None = None

    async def next_picture(self, after: int, wait: float) -> Picture | None:
        """The picture newer than version `after`, waiting up to `wait` seconds for one;
        `None` if none came."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait):
                while self.picture is None or self.picture.version <= after:
                    changed = self._changed
                    await changed.wait()
        picture = self.picture
        return picture if picture is not None and picture.version > after else None

    def publish(self, picture: Picture) -> None:
        """Make `picture` current and wake every waiting stream."""
        self.picture = picture
        woken, self._changed = self._changed, asyncio.Event()
        woken.set()


class LiveHub:
    """Keeps the pictures of the jobs being watched, re-reading a job once per change."""

    def __init__(self, store: Store, feed: ChangeFeed) -> None:
        self._store = store
        self._feed = feed
        self._channels: dict[str, JobChannel] = {}
        self._unsubscribe: Callable[[], None] | None = None
        self._closed = False

    @property
    def feed(self) -> ChangeFeed:
        """The change feed the hub follows."""
        return self._feed

    async def start(self) -> None:
        """Follow the change feed."""
        self._unsubscribe = self._feed.subscribe(self._on_change)
        await self._feed.start()

    async def stop(self) -> None:
        """Stop following the feed and reading."""
        self._closed = True
        if self._unsubscribe is not None:
            self._unsubscribe()
        await self._feed.stop()
        readers = [c.reader for c in self._channels.values() if c.reader is not None]
        for reader in readers:
            reader.cancel()
        for reader in readers:
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Hand every change to `listener` as well (job ids, or `None` for any job)."""
        return self._feed.subscribe(listener)

    def streams(self, job_id: str) -> int:
        """How many streams watch the job now."""
        channel = self._channels.get(job_id)
        return channel.watchers if channel is not None else 0

    @contextlib.asynccontextmanager
    async def watch(self, job_id: str) -> AsyncIterator[JobChannel]:
        """The job's channel, for as long as the caller streams it."""
        channel = self._channels.get(job_id)
        if channel is None:
            channel = self._channels[job_id] = JobChannel(job_id)
            self._refresh(channel)
        channel.watchers += 1
        try:
            yield channel
        finally:
            channel.watchers -= 1
            if channel.watchers == 0 and self._channels.get(job_id) is channel:
                del self._channels[job_id]
                if channel.reader is not None:
                    channel.reader.cancel()

    def _on_change(self, job_ids: frozenset[str] | None) -> None:
        if job_ids is None:
            targets = list(self._channels.values())
        else:
            targets = [c for job in job_ids if (c := self._channels.get(job)) is not None]
        for channel in targets:
            self._refresh(channel)

    def _refresh(self, channel: JobChannel) -> None:
        """Re-read the job soon; changes arriving during a read cause one more read."""
        channel.dirty = True
        if self._closed or (channel.reader is not None and not channel.reader.done()):
            return
        channel.reader = asyncio.create_task(self._read(channel), name="live-hub-read")

    async def _read(self, channel: JobChannel) -> None:
        while channel.dirty and self._channels.get(channel.job_id) is channel:
            channel.dirty = False
            try:
                picture = await self._picture(channel)
            except StoreError as error:
                logger.warning("live hub could not read job %s: %s", channel.job_id, error)
                channel.dirty = True
                await asyncio.sleep(RETRY_SECONDS)
                continue
            if picture is not None:
                channel.publish(picture)

    async def _picture(self, channel: JobChannel) -> Picture | None:
        """The job's picture now, or `None` when nothing in it changed."""
        job = await self._store.get_job(channel.job_id)
        rows = await self._store.list_providers(channel.job_id) if job is not None else []
        job_json = JobOut.of(job).model_dump_json() if job is not None else None
        providers = {row.id: ProviderStatusOut.of(row).model_dump_json() for row in rows}
        old = channel.picture
        if old is not None and old.job == job_json and old.providers == providers:
            return None
        version = old.version + 1 if old is not None else 1
        return Picture(version=version, job=job_json, providers=providers)
