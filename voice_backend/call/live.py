"""A running call's transcript, written to the store as each turn ends.

The final result is written when the call ends; until then, the transcript so far (and the
provider's first quote, as soon as it is heard) is kept on the provider's row, so the
dashboard and `haggle call` show the call while it runs, and a crash of the voice service
(`kill -9`) loses nothing that was said before it: the call is then closed out as failed with
every turn kept.

Writes never hold up the call: the bridge hands over a snapshot and returns; one background
task per call writes the latest snapshot, coalescing turns that end while a write is in
flight, and retries after a store error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Final

from pricing.offline import OfflinePriceExtractor
from shared.models import TranscriptTurn
from shared.storage import Store, StoreError

logger = logging.getLogger(__name__)

#: After a failed write, how long before trying again (with the turns as they are then).
RETRY_SECONDS: Final = 1.0


class LiveTranscript:
    """Keeps one call's transcript so far on its provider's row."""

    def __init__(self, store: Store, provider_id: int) -> None:
        self._store = store
        self._provider_id = provider_id
        self._latest: list[TranscriptTurn] | None = None
        self._written: list[TranscriptTurn] = []
        self._first_quote: float | None = None
        self._reader = OfflinePriceExtractor()
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def turn_ended(self, turns: list[TranscriptTurn]) -> None:
        """A turn ended: `turns` is the whole transcript so far (written soon, not now)."""
        self._latest = list(turns)
        self._changed.set()
        if self._task is None:
            self._task = asyncio.create_task(
                self._run(), name=f"live-transcript-{self._provider_id}"
            )

    @property
    def first_quote(self) -> float | None:
        """The first price the provider named, once heard."""
        return self._first_quote

    async def close(self) -> None:
        """Stop writing (the call's final result takes over)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            turns = self._latest
            if turns is None or turns == self._written:
                continue
            if self._first_quote is None and any(turn.role == "user" for turn in turns):
                # off the event loop: a reading may load the reader's dictionary
                reading = await asyncio.to_thread(self._reader.read, turns)
                self._first_quote = reading.first_quote
            try:
                saved = await self._store.save_live_transcript(
                    self._provider_id, turns, self._first_quote
                )
            except StoreError as error:
                logger.warning(
                    "could not save the live transcript: %s",
                    error,
                    extra={"provider_id": self._provider_id},
                )
                await asyncio.sleep(RETRY_SECONDS)
                self._changed.set()
                continue
            self._written = turns
            if saved is None:
                return  # the call is no longer in progress: its final result rules
