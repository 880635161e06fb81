"""What of the agent's speech the provider has actually heard.

The bridge sends agent audio to Twilio in chunks, each followed by a named mark; Twilio echoes
a mark once the audio before it has played. `PlaybackTracker` keeps that account, per agent
item: the marks still out, the bytes played, and the items a barge-in cut short, so that an
interruption can tell the agent how much of its item was heard.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from voice_backend.audio import mulaw_ms


@dataclass(frozen=True)
class Interruption:
    """A barge-in: the item that was playing (if known) and how much of it was heard."""

    item_id: str | None
    played_ms: int


@dataclass
class _PendingMark:
    name: str
    item_id: str | None
    nbytes: int


class PlaybackTracker:
    """Played-audio accounting for one call's agent speech (μ-law 8 kHz)."""

    def __init__(self) -> None:
        self._marks: deque[_PendingMark] = deque()
        self._played_bytes: dict[str, int] = {}
        self._interrupted: set[str] = set()
        #: How many chunks have been sent so far (one mark each).
        self.marks_sent = 0

    def on_sent(self, item_id: str | None, nbytes: int) -> str:
        """`nbytes` of `item_id` went to Twilio; returns the name of the mark to send after."""
        self.marks_sent += 1
        name = f"m{self.marks_sent}"
        self._marks.append(_PendingMark(name, item_id, nbytes))
        return name

    def on_mark(self, name: str) -> None:
        """Twilio echoed mark `name`: the audio before it has played.

        Marks come back in order, so every mark sent before `name` has played too.
        """
        while self._marks:
            mark = self._marks.popleft()
            item = mark.item_id or ""
            self._played_bytes[item] = self._played_bytes.get(item, 0) + mark.nbytes
            if mark.name == name:
                break

    @property
    def playing(self) -> bool:
        """Whether audio was sent whose mark has not come back yet."""
        return bool(self._marks)

    def played_ms(self, item_id: str | None) -> int:
        """How much of `item_id` has played, in whole milliseconds."""
        return int(mulaw_ms(self._played_bytes.get(item_id or "", 0)))

    def is_stale(self, item_id: str | None) -> bool:
        """Whether `item_id` was cut short by a barge-in (its late audio must not play)."""
        return item_id is not None and item_id in self._interrupted

    def on_interrupted(self) -> Interruption | None:
        """The provider cut in: None if nothing of ours was playing.

        Otherwise every item still out is marked stale, the marks still out are forgotten
        (the ones Twilio echoes for its cleared buffer did not play), and the item playing
        now is returned with how much of it was heard.
        """
        if not self._marks:
            return None
        item = self._marks[0].item_id  # the item playing now; later ones never started
        self._interrupted.update(mark.item_id for mark in self._marks if mark.item_id)
        self._marks.clear()
        return Interruption(item, self.played_ms(item) if item is not None else 0)

    def forget_pending(self) -> None:
        """Stop waiting for the marks still out (they may never come back)."""
        self._marks.clear()
