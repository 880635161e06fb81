"""`GET /api/analytics`, computed once and served from memory until the store changes.

The live hub's change feed invalidates every entry on any write (the analytics span all
jobs). Concurrent requests for a figure not cached yet share one computation; a computation
overtaken by a change answers its own callers but is not kept.
"""

from __future__ import annotations

import asyncio

from api.analytics import Analytics, summarize, summarize_figures
from shared.storage import Store


class AnalyticsCache:
    """The serialized analytics per `limit`, valid until the next change."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._generation = 0
        self._entries: dict[int, bytes] = {}
        self._running: dict[tuple[int, int], asyncio.Task[bytes]] = {}

    def invalidate(self, _job_ids: frozenset[str] | None = None) -> None:
        """Something changed: forget every entry (a change-feed listener)."""
        self._generation += 1
        self._entries.clear()

    async def get(self, limit: int) -> bytes:
        """The analytics of the newest `limit` jobs, as JSON."""
        cached = self._entries.get(limit)
        if cached is not None:
            return cached
        key = (limit, self._generation)
        task = self._running.get(key)
        if task is None:
            task = asyncio.create_task(self._compute(limit, self._generation))
            self._running[key] = task
            task.add_done_callback(lambda _task: self._running.pop(key, None))
        return await asyncio.shield(task)

    async def _compute(self, limit: int, generation: int) -> bytes:
        body = (await compute_analytics(self._store, limit)).model_dump_json().encode()
        if generation == self._generation:
            self._entries[limit] = body
        return body


async def compute_analytics(store: Store, limit: int) -> Analytics:
    """The analytics, aggregated by the database where the backend can, else from the rows."""
    figures = await store.job_figures(limit)
    if figures is not None:
        return summarize_figures(figures)
    jobs = await store.list_jobs(limit)
    return summarize([(job, await store.list_providers(job.id)) for job in jobs])
