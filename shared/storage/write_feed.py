"""Which jobs a store's writes touched: told at once to listeners in this process.

`WriteFeed` is the part of the `Store` interface the live updates read. Every write method of
the store reports the ids of the jobs it changed through `_wrote`; the change feed
(`changes.py`) listens, so this process's own writes reach open dashboards without a poll.
`changed_jobs` answers the slow poll that covers writes made by other processes.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from datetime import datetime

#: Called with the ids of the jobs one write touched.
WriteListener = Callable[[frozenset[str]], None]


class WriteFeed(abc.ABC):
    """Write listeners, and the jobs changed since a time."""

    def add_write_listener(self, listener: WriteListener) -> Callable[[], None]:
        """Call `listener` with the ids of the jobs each write through this store touched;
        returns the function that removes it. The change feed uses it to publish this
        process's own writes at once."""
        listeners: list[WriteListener] = self.__dict__.setdefault("_write_listeners", [])
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    def announce_write(self, *job_ids: str) -> None:
        """Tell the write listeners these jobs changed (for writes made by a helper of the
        store, such as the fleet's claims, rather than by its own methods)."""
        self._wrote(*job_ids)

    def _wrote(self, *job_ids: str) -> None:
        """Tell every write listener that these jobs changed (nothing when none did)."""
        if not job_ids:
            return
        touched = frozenset(job_ids)
        for listener in list(self.__dict__.get("_write_listeners", ())):
            listener(touched)

    async def changed_jobs(self, since: datetime) -> dict[str, datetime]:
        """Every job whose row, or one of whose providers' rows, was updated at or after
        `since`, with the newest such `updated_at`."""
        changed: dict[str, datetime] = {}
        for job_id, updated in await self._select_changed_since(since):
            if updated is not None and (job_id not in changed or updated > changed[job_id]):
                changed[job_id] = updated
        return changed

    @abc.abstractmethod
    async def _select_changed_since(self, since: datetime) -> list[tuple[str, datetime | None]]:
        """(job id, updated_at) of the job rows and provider rows updated at or after
        `since` (several per job allowed)."""
