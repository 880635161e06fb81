"""Finding utterances in a phone line's audio: WebRTC's voice activity detector plus a little
state machine with a start trigger, some audio kept from before the start, and a hangover.

`UtteranceDetector` takes μ-law 8 kHz audio in any chunk size, one 20 ms frame at a time
inside, and reports `SpeechStarted` when someone starts talking and `SpeechEnded` (with the
utterance's audio, as 16-bit PCM at 8 kHz) once they have been quiet for `hangover_seconds`.
Time is counted in frames of audio, not on a clock: a line that sends a frame every 20 ms, as
Twilio does (silence included), keeps the detector's time, and a test can run it faster.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Final

import webrtcvad

from voice_backend.audio import TWILIO_FRAME_BYTES, TWILIO_RATE, mulaw_to_pcm16

__all__ = ["FRAME_SECONDS", "SpeechEnded", "SpeechStarted", "UtteranceDetector", "VadEvent"]

#: One detector frame: 20 ms, the size of a Twilio media frame.
FRAME_SECONDS: Final = TWILIO_FRAME_BYTES / TWILIO_RATE


@dataclass(frozen=True)
class SpeechStarted:
    """Someone started talking; `at_seconds` is line time since the detector began."""

    at_seconds: float


@dataclass(frozen=True)
class SpeechEnded:
    """An utterance is over: its audio (16-bit PCM, 8 kHz, with a little lead-in) and times."""

    pcm: bytes
    started_at: float
    ended_at: float

    @property
    def seconds(self) -> float:
        """How long the utterance lasted, lead-in excluded."""
        return self.ended_at - self.started_at


VadEvent = SpeechStarted | SpeechEnded


class UtteranceDetector:
    """Splits a line's audio into utterances.

    Speech starts when `start_frames` of the last `start_window` frames are voiced; it ends
    after `hangover_seconds` without a voiced frame, or after `max_utterance_seconds`.
    Utterances with less than `min_voiced_seconds` of voiced audio (a click, a breath) are
    dropped without a `SpeechEnded` (their `SpeechStarted` was already reported). `aggressiveness`
    is WebRTC's, 0 (lenient) to 3 (strict).
    """

    def __init__(
        self,
        *,
        aggressiveness: int = 2,
        start_frames: int = 3,
        start_window: int = 5,
        hangover_seconds: float = 0.6,
        lead_in_seconds: float = 0.2,
        min_voiced_seconds: float = 0.12,
        max_utterance_seconds: float = 20.0,
    ) -> None:
        self._vad = webrtcvad.Vad(aggressiveness)
        self._start_frames = start_frames
        self._window: deque[bool] = deque(maxlen=start_window)
        self._hangover = max(1, round(hangover_seconds / FRAME_SECONDS))
        lead_in = max(start_window, round(lead_in_seconds / FRAME_SECONDS))
        self._lead_in: deque[bytes] = deque(maxlen=lead_in)
        self._min_voiced = max(1, round(min_voiced_seconds / FRAME_SECONDS))
        self._max_frames = round(max_utterance_seconds / FRAME_SECONDS)
        self._pending = b""
        self.frames = 0
        self._speaking = False
        self._audio: list[bytes] = []
        self._voiced = 0
        self._quiet = 0
        self._started_frame = 0

    @property
    def speaking(self) -> bool:
        """Whether an utterance is under way."""
        return self._speaking

    @property
    def seconds(self) -> float:
        """Line time seen so far."""
        return self.frames * FRAME_SECONDS

    def feed(self, mulaw: bytes) -> list[VadEvent]:
        """Take μ-law audio (any length); return what started or ended within it."""
        data = self._pending + mulaw
        whole = len(data) - len(data) % TWILIO_FRAME_BYTES
        self._pending = data[whole:]
        events: list[VadEvent] = []
        for start in range(0, whole, TWILIO_FRAME_BYTES):
            event = self._frame(mulaw_to_pcm16(data[start : start + TWILIO_FRAME_BYTES]))
            if event is not None:
                events.append(event)
        return events

    def flush(self) -> SpeechEnded | None:
        """End the utterance under way now (the line closed), if it has enough speech."""
        if not self._speaking:
            return None
        return self._finish()

    def reset(self) -> None:
        """Forget any utterance under way (time keeps counting)."""
        self._speaking = False
        self._audio = []
        self._window.clear()
        self._lead_in.clear()

    def _frame(self, pcm: bytes) -> VadEvent | None:
        self.frames += 1
        voiced = self._vad.is_speech(pcm, TWILIO_RATE)
        if not self._speaking:
            self._window.append(voiced)
            self._lead_in.append(pcm)
            if sum(self._window) < self._start_frames:
                return None
            self._speaking = True
            self._audio = list(self._lead_in)
            self._voiced = sum(self._window)
            self._quiet = 0
            # The utterance began at the first voiced frame of the trigger window.
            first = list(self._window).index(True)
            self._started_frame = self.frames - len(self._window) + first
            self._window.clear()
            self._lead_in.clear()
            return SpeechStarted(self._started_frame * FRAME_SECONDS)
        self._audio.append(pcm)
        if voiced:
            self._voiced += 1
            self._quiet = 0
        else:
            self._quiet += 1
        if self._quiet >= self._hangover or len(self._audio) >= self._max_frames:
            return self._finish()
        return None

    def _finish(self) -> SpeechEnded | None:
        self._speaking = False
        # Keep a little of the trailing quiet: recognisers like to hear the end of a word.
        tail = max(0, self._quiet - round(0.2 / FRAME_SECONDS))
        audio = self._audio[: len(self._audio) - tail] if tail else self._audio
        voiced, self._audio = self._voiced, []
        ended = (self.frames - self._quiet) * FRAME_SECONDS
        if voiced < self._min_voiced:
            return None
        return SpeechEnded(b"".join(audio), self._started_frame * FRAME_SECONDS, ended)
