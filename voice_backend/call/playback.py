"""What of the agent's speech the provider has actually heard.

The bridge sends agent audio to Twilio in chunks, followed by named marks; Twilio echoes a
mark once the audio before it has played. `PlaybackTracker` keeps that account, per agent
item: the chunks not yet echoed, the bytes played, and the items a barge-in cut short, so that
an interruption can tell the agent how much of its item was heard.

A chunk gets a mark of its own once `MARK_EVERY_MS` of audio went out since the last mark;
until then it rides on the next mark (an echo covers every chunk before it, whatever its
item), and `flush` marks what is left when the agent's audio pauses. A model that streams
small chunks (20 ms) then costs a mark and its echo per 100 ms, not per chunk: what was heard
at an interruption is counted the same way either way (below).

Marks alone lag the phone by up to a whole chunk (a model chunk can be 750 ms or more), so
what played at an interruption is the audio whose marks came back plus the time since the
last echo (or since the item's audio was sent, when it started after that echo), capped at
the audio sent.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from voice_backend.audio import mulaw_ms

#: A mark goes out once this much audio was sent since the last one (and at `flush`).
MARK_EVERY_MS = 100
_MARK_EVERY_BYTES = MARK_EVERY_MS * 8  # μ-law 8 kHz: 8 bytes a millisecond


@dataclass(frozen=True)
class Interruption:
    """A barge-in: the item that was playing (if known) and how much of it was heard."""

    item_id: str | None
    played_ms: int


#: A chunk sent and not echoed yet: the name of the mark sent after it (None: it rides on the
#: next mark), its item and its bytes (a plain tuple: one is made per chunk of agent speech).
_PendingChunk = tuple[str | None, str | None, int]


class PlaybackTracker:
    """Played-audio accounting for one call's agent speech (μ-law 8 kHz); `clock` gives
    seconds (monotonic)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._marks: deque[_PendingChunk] = deque()
        self._unmarked_bytes = 0  # sent since the last mark
        self._pending_names: set[str] = set()
        self._played_bytes: dict[str, int] = {}
        self._first_sent_at: dict[str, float] = {}
        self._last_echo_at: float | None = None
        self._interrupted: set[str] = set()
        #: How many chunks have been sent so far, and how many marks.
        self.chunks_sent = 0
        self.marks_sent = 0

    def on_sent(self, item_id: str | None, nbytes: int) -> str | None:
        """`nbytes` of `item_id` went to Twilio; returns the name of the mark to send after it,
        or None when it rides on a later mark (less than `MARK_EVERY_MS` since the last)."""
        self.chunks_sent += 1
        key = item_id or ""
        if key not in self._first_sent_at:
            self._first_sent_at[key] = self._clock()
        unmarked = self._unmarked_bytes + nbytes
        if unmarked < _MARK_EVERY_BYTES:
            self._unmarked_bytes = unmarked
            self._marks.append((None, item_id, nbytes))
            return None
        self._unmarked_bytes = 0
        name = self._name()
        self._marks.append((name, item_id, nbytes))
        return name

    def flush(self) -> str | None:
        """The agent's audio paused: the name of a mark to send now for the chunks that have
        none yet, or None when there are none."""
        if not self._unmarked_bytes:
            return None
        self._unmarked_bytes = 0
        _, item_id, nbytes = self._marks.pop()
        name = self._name()
        self._marks.append((name, item_id, nbytes))
        return name

    def _name(self) -> str:
        self.marks_sent += 1
        name = f"m{self.marks_sent}"
        self._pending_names.add(name)
        return name

    def on_mark(self, name: str) -> None:
        """Twilio echoed mark `name`: the audio before it has played.

        Marks come back in order, so every chunk sent before `name` has played too. Echoes of
        marks already forgotten (those of a cleared buffer) change nothing.
        """
        if name not in self._pending_names:
            return
        self._last_echo_at = self._clock()
        self._pending_names.discard(name)
        while self._marks:
            sent, item_id, nbytes = self._marks.popleft()
            if sent is not None:
                self._pending_names.discard(sent)
            item = item_id or ""
            self._played_bytes[item] = self._played_bytes.get(item, 0) + nbytes
            if sent == name:
                break

    @property
    def playing(self) -> bool:
        """Whether audio was sent that no echoed mark has covered yet."""
        return bool(self._marks)

    def played_ms(self, item_id: str | None) -> int:
        """How much of `item_id` has played by now, in whole milliseconds: the audio whose
        marks came back, plus the time it has been playing since, capped at the audio sent."""
        key = item_id or ""
        echoed_ms = mulaw_ms(self._played_bytes.get(key, 0))
        unechoed = sum(nbytes for _, item, nbytes in self._marks if (item or "") == key)
        if not unechoed:
            return int(echoed_ms)
        # Playing resumed at the last echo, or when this item's audio was first sent if that
        # came later (the line was silent in between).
        started = self._first_sent_at.get(key)
        if self._last_echo_at is not None and (started is None or self._last_echo_at > started):
            started = self._last_echo_at
        if started is None:
            return int(echoed_ms)
        since_ms = max(0.0, round((self._clock() - started) * 1000, 3))
        return int(echoed_ms + min(since_ms, mulaw_ms(unechoed)))

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
        item = self._marks[0][1]  # the item playing now; later ones never started
        played = self.played_ms(item) if item is not None else 0
        self._interrupted.update(item_id for _, item_id, _ in self._marks if item_id)
        self.forget_pending()
        return Interruption(item, played)

    def forget_pending(self) -> None:
        """Stop waiting for the marks still out (they may never come back)."""
        self._marks.clear()
        self._pending_names.clear()
        self._unmarked_bytes = 0
