"""`GET /api/analytics`, computed once per caller's view and served from memory until the
store changes or the figure grows a minute old.

An entry is keyed by the caller's scope, account and `limit` (an account never sees another
account's figures). The live hub's change feed invalidates every entry on any write; the
spend of the last 24 hours moves with time alone, so an entry is also recomputed once it is
`MAX_AGE_SECONDS` old. Concurrent requests for a figure not cached yet share one
computation; a computation overtaken by a change answers its own callers but is not kept.
"""

from __future__ import annotations

import asyncio
import time

from api.analytics import Analytics, Spend, summarize
from api.auth.principal import Principal
from shared.costs import SPEND_WINDOW
from shared.models import utcnow
from shared.storage import Store

#: The oldest a cached figure is served (the spend window slides even when nothing changes).
MAX_AGE_SECONDS = 60.0

#: (scope, account id, limit): whose figures, over how many jobs.
Key = tuple[str | None, str | None, int]


class AnalyticsCache:
    """The serialized analytics per caller view, valid until the next change or a minute."""

    def __init__(self, store: Store, daily_cap: float | None) -> None:
        self._store = store
        self._daily_cap = daily_cap
        self._generation = 0
        self._entries: dict[Key, tuple[float, bytes]] = {}
        self._running: dict[tuple[Key, int], asyncio.Task[bytes]] = {}

    def invalidate(self, _job_ids: frozenset[str] | None = None) -> None:
        """Something changed: forget every entry (a change-feed listener)."""
        self._generation += 1
        self._entries.clear()

    async def get(self, principal: Principal, limit: int) -> bytes:
        """The analytics of the caller's newest `limit` jobs, as JSON."""
        key: Key = (principal.scope, principal.account_id, limit)
        cached = self._entries.get(key)
        if cached is not None and time.monotonic() - cached[0] < MAX_AGE_SECONDS:
            return cached[1]
        running = (key, self._generation)
        task = self._running.get(running)
        if task is None:
            task = asyncio.create_task(self._compute(key, self._generation))
            self._running[running] = task
            task.add_done_callback(lambda _task: self._running.pop(running, None))
        return await asyncio.shield(task)

    async def _compute(self, key: Key, generation: int) -> bytes:
        began = time.monotonic()
        scope, account_id, limit = key
        figures = await compute_analytics(self._store, scope, account_id, limit, self._daily_cap)
        body = figures.model_dump_json().encode()
        if generation == self._generation:
            self._entries[key] = (began, body)
        return body


async def compute_analytics(
    store: Store, scope: str | None, account_id: str | None, limit: int, daily_cap: float | None
) -> Analytics:
    """The analytics of the newest `limit` jobs in `scope` (`None`: every job), with the
    account's spend of the last 24 hours: a few aggregate rows from the store."""
    figures = await store.figures(limit, scope)
    spend = Spend(
        account_id=account_id,
        last_24_hours=await store.account_spend(account_id, utcnow() - SPEND_WINDOW),
        daily_cap=daily_cap,
    )
    return summarize(figures, spend)
