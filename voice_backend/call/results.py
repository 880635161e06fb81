"""Writing a call's result: to the store, or to local disk until the store is back.

No transcript is ever lost: when the store cannot be reached at the end of a call, the update
is written to a spool folder (one JSON file per update, written atomically) and replayed, in
order, as soon as the store answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
import uuid
from pathlib import Path

from shared.models import CallUpdate
from shared.storage import Store, StoreError

logger = logging.getLogger(__name__)


class ResultWriter:
    """Applies call updates to the store, spooling them to disk when it is unreachable."""

    def __init__(self, store: Store, spool_dir: Path, retry_seconds: float = 5.0) -> None:
        self._store = store
        self._spool = spool_dir
        self._retry_seconds = retry_seconds
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def write(self, provider_id: int, update: CallUpdate) -> bool:
        """Apply `update`; `True` if it reached the store, `False` if it was spooled."""
        if not self._spooled():
            try:
                await self._store.update_call(provider_id, update)
                return True
            except StoreError as error:
                logger.warning(
                    "store unreachable; result kept on disk",
                    extra={"provider_id": provider_id, "error": str(error)},
                )
        await asyncio.to_thread(self._save, provider_id, update)
        return False

    def pending(self) -> int:
        """How many updates wait on disk."""
        return len(self._spooled())

    async def flush(self) -> int:
        """Replay spooled updates in order; stop at the first failure. Returns how many left."""
        async with self._lock:
            for path in self._spooled():
                try:
                    record = json.loads(await asyncio.to_thread(path.read_text))
                    update = CallUpdate.model_validate(record["update"])
                    provider_id = int(record["provider_id"])
                except (OSError, ValueError, KeyError) as error:
                    # A file we cannot read is set aside, not retried forever.
                    logger.error("unreadable spooled result %s: %s", path.name, error)
                    path.rename(path.with_suffix(".bad"))
                    continue
                try:
                    await self._store.update_call(provider_id, update)
                except StoreError:
                    break
                path.unlink(missing_ok=True)
                logger.info("spooled result written", extra={"provider_id": provider_id})
            return len(self._spooled())

    def start(self) -> None:
        """Retry the spool in the background until `stop`."""
        if self._task is None:
            self._task = asyncio.create_task(self._retry_loop(), name="result-spool")

    async def stop(self) -> None:
        """Stop retrying (what is left stays on disk for the next start)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _retry_loop(self) -> None:
        while True:
            if self._spooled():
                await self.flush()
            await asyncio.sleep(self._retry_seconds)

    def _spooled(self) -> list[Path]:
        if not self._spool.is_dir():
            return []
        return sorted(self._spool.glob("*.json"))

    def _save(self, provider_id: int, update: CallUpdate) -> None:
        self._spool.mkdir(parents=True, exist_ok=True)
        # Names sort in write order, so replay keeps each call's updates in sequence.
        name = f"{time.time_ns():020d}-{provider_id}-{uuid.uuid4().hex[:8]}.json"
        record = {"provider_id": provider_id, "update": update.model_dump(mode="json")}
        temporary = self._spool / (name + ".tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            json.dump(record, handle)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.rename(self._spool / name)
