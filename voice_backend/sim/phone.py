"""The far end of a simulated call: what the provider's phone says, hears, and when it hangs up.

`PhoneSide` is what `TwilioPeer` drives, one 20 ms frame at a time. `ScriptedPhone` plays a
fixed script (μ-law audio, silences, waits on a condition), records what it heard, and hangs
up after a time or on a condition; tests and the offline demo build their phones from it.
Time here is call time, counted in frames, so a peer running faster than real time (its
`speed`) ages the phone just as fast.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Final, Protocol

import numpy as np

from voice_backend.audio import MULAW_SILENCE, TWILIO_FRAME_BYTES, TWILIO_RATE, pcm16_to_mulaw

__all__ = [
    "FRAME_SECONDS",
    "SILENT_FRAME",
    "PhoneSide",
    "ScriptItem",
    "ScriptedPhone",
    "Silence",
    "Until",
    "tone",
    "voice_like",
]

#: One Twilio media frame: 20 ms, 160 bytes of μ-law at 8 kHz.
FRAME_SECONDS: Final = TWILIO_FRAME_BYTES / TWILIO_RATE
SILENT_FRAME: Final = bytes([MULAW_SILENCE]) * TWILIO_FRAME_BYTES


class PhoneSide(Protocol):
    """The provider's phone as the simulated Twilio sees it."""

    def next_frame(self) -> bytes:
        """The next 20 ms the phone sends: 160 bytes of μ-law (silence is 0xFF)."""
        ...

    def heard(self, mulaw: bytes) -> None:
        """Audio the phone just played to its user (only real audio; gaps are not sent)."""
        ...

    @property
    def hung_up(self) -> bool:
        """Whether the phone's user has hung up."""
        ...


@dataclass(frozen=True)
class Silence:
    """A script step: say nothing for `seconds` (call time)."""

    seconds: float


@dataclass(frozen=True)
class Until:
    """A script step: stay silent until `condition(phone)` holds (or `timeout_seconds`)."""

    condition: Callable[[ScriptedPhone], bool]
    timeout_seconds: float | None = None


ScriptItem = bytes | Silence | Until


def tone(frequency_hz: float, seconds: float, amplitude: float = 0.3) -> bytes:
    """A sine tone as μ-law 8 kHz, e.g. a voicemail beep or a stand-in for speech."""
    if not 0 < amplitude <= 1:
        raise ValueError("amplitude must be in (0, 1]")
    samples = round(seconds * TWILIO_RATE)
    t = np.arange(samples) / TWILIO_RATE
    wave = amplitude * 32767 * np.sin(2 * math.pi * frequency_hz * t)
    return pcm16_to_mulaw(wave.astype("<i2").tobytes())


def _frames(audio: bytes) -> Iterator[bytes]:
    """Cut audio into 160-byte frames, padding the last with silence."""
    for start in range(0, len(audio), TWILIO_FRAME_BYTES):
        frame = audio[start : start + TWILIO_FRAME_BYTES]
        yield frame + bytes([MULAW_SILENCE]) * (TWILIO_FRAME_BYTES - len(frame))


class ScriptedPhone:
    """A phone that plays a script and records what it hears.

    Script steps run in order: `bytes` (μ-law audio, cut into frames), `Silence(seconds)`,
    `Until(condition)` (silence until `condition(phone)`). After the script, silence. The phone
    hangs up after `hang_up_after_seconds` of call time, as soon as `hang_up_when(phone)`
    holds, once the script is done if `hang_up_when_done`, or when `hang_up()` is called.
    """

    def __init__(
        self,
        script: Iterable[ScriptItem] = (),
        *,
        hang_up_after_seconds: float | None = None,
        hang_up_when: Callable[[ScriptedPhone], bool] | None = None,
        hang_up_when_done: bool = False,
    ) -> None:
        self._steps = self._run(list(script))
        self._hang_up_after = hang_up_after_seconds
        self._hang_up_when = hang_up_when
        self._hang_up_when_done = hang_up_when_done
        self._hung_up = False
        self._script_done = False
        self._heard = bytearray()
        self._sent = bytearray()
        self.frames_sent = 0
        self._changed = asyncio.Event()

    @classmethod
    def silent(cls, hang_up_after_seconds: float | None = None) -> ScriptedPhone:
        """A phone that never says anything."""
        return cls(hang_up_after_seconds=hang_up_after_seconds)

    @classmethod
    def voicemail(
        cls,
        greeting_seconds: float = 3.0,
        beep_seconds: float = 0.5,
        record_seconds: float = 30.0,
    ) -> ScriptedPhone:
        """An answering machine: a greeting, a 1 kHz beep, then it records silence and stops."""
        return cls(
            [voice_like(greeting_seconds), tone(1000, beep_seconds, 0.5)],
            hang_up_after_seconds=greeting_seconds + beep_seconds + record_seconds,
        )

    # --- PhoneSide --------------------------------------------------------------------

    def next_frame(self) -> bytes:
        """The next frame of the script (silence once it is done or the phone hung up)."""
        frame = SILENT_FRAME if self._hung_up else next(self._steps, None)
        if frame is None:
            self._script_done = True
            frame = SILENT_FRAME
        self.frames_sent += 1
        self._sent += frame
        self._check_hang_up()
        self._changed.set()
        return frame

    def heard(self, mulaw: bytes) -> None:
        """Record audio that played on this phone."""
        self._heard += mulaw
        self._changed.set()

    @property
    def hung_up(self) -> bool:
        """Whether this phone has hung up."""
        return self._hung_up

    # --- for tests --------------------------------------------------------------------

    def hang_up(self) -> None:
        """Hang up now (the peer notices at its next frame)."""
        self._hung_up = True
        self._changed.set()

    @property
    def elapsed_seconds(self) -> float:
        """Call time since the stream started, from the frames sent."""
        return self.frames_sent * FRAME_SECONDS

    @property
    def heard_audio(self) -> bytes:
        """Everything that played on this phone, in order."""
        return bytes(self._heard)

    @property
    def heard_seconds(self) -> float:
        """How much audio played on this phone."""
        return len(self._heard) / TWILIO_RATE

    @property
    def sent_audio(self) -> bytes:
        """Everything this phone sent, silence included."""
        return bytes(self._sent)

    @property
    def script_done(self) -> bool:
        """Whether the whole script has been sent."""
        return self._script_done

    async def wait_until(
        self, condition: Callable[[ScriptedPhone], bool], within_seconds: float = 10.0
    ) -> None:
        """Wait (real time) until `condition(phone)` holds, checked whenever the phone sends
        or hears audio; `TimeoutError` after `within_seconds`."""
        async with asyncio.timeout(within_seconds):
            while not condition(self):
                self._changed.clear()
                await self._changed.wait()

    # --- internals --------------------------------------------------------------------

    def _check_hang_up(self) -> None:
        if self._hung_up:
            return
        if (
            (self._hang_up_after is not None and self.elapsed_seconds >= self._hang_up_after)
            or (self._hang_up_when is not None and self._hang_up_when(self))
            or (self._hang_up_when_done and self._script_done)
        ):
            self._hung_up = True

    def _run(self, script: list[ScriptItem]) -> Iterator[bytes]:
        for step in script:
            if isinstance(step, bytes | bytearray):
                yield from _frames(bytes(step))
            elif isinstance(step, Silence):
                for _ in range(math.ceil(step.seconds / FRAME_SECONDS - 1e-9)):
                    yield SILENT_FRAME
            else:
                yield from self._wait(step)

    def _wait(self, step: Until) -> Iterator[bytes]:
        frames = 0
        limit = None if step.timeout_seconds is None else step.timeout_seconds / FRAME_SECONDS
        while not step.condition(self):
            if limit is not None and frames >= limit:
                return
            frames += 1
            yield SILENT_FRAME


def voice_like(seconds: float) -> bytes:
    """A stand-in for speech: syllable-long tones between 200 and 500 Hz, not silence."""
    syllable = 0.2
    pitches = (220.0, 330.0, 260.0, 440.0, 300.0)
    parts = [
        tone(pitches[index % len(pitches)], syllable, 0.25)
        for index in range(max(1, round(seconds / syllable)))
    ]
    return b"".join(parts)[: round(seconds * TWILIO_RATE)]
