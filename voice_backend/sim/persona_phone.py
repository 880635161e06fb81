"""The simulated provider's phone: a persona that speaks, listens and hangs up, over real audio.

`PersonaPhone` is the `PhoneSide` the simulated Twilio drives, one 20 ms frame at a time. What
plays on the line (the agent's voice) goes through voice activity detection and Whisper;
the persona's mind (`PersonaMind`) decides the answer from those words; Piper's voice says it, and
the phone sends it frame by frame. A voicemail plays its greeting and a beep, then records
silence. Nobody here sees the agent's text: the persona knows only what it heard.

Time is line time, counted in frames, like the agent's: `TwilioPeer(speed=…)` runs the whole
conversation faster without changing it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Final

from voice_backend.audio import TWILIO_FRAME_BYTES, TWILIO_RATE
from voice_backend.sim.persona import Persona, PersonaKind
from voice_backend.sim.persona_mind import PersonaMind, PersonaTurn
from voice_backend.sim.phone import FRAME_SECONDS, SILENT_FRAME, tone
from voice_backend.speech import Recognizer, get_recognizer
from voice_backend.speech.tts import SpeechSynthesizer, Voice, get_synthesizer
from voice_backend.speech.vad import SpeechEnded, UtteranceDetector

__all__ = ["Line", "PersonaPhone", "PhoneTiming"]

logger = logging.getLogger(__name__)

_BEEP: Final = tone(1000, 0.5, 0.5)
#: After the line goes dead, how long (wall time) the persona may take to hear the last words.
_HEAR_OUT_SECONDS: Final = 30.0


@dataclass(frozen=True)
class PhoneTiming:
    """The persona's pauses, in seconds of line time."""

    #: After picking up, how long it waits before its greeting (it skips the greeting when
    #: the caller speaks first).
    answer: float = 0.4
    #: Between hearing the end of the agent's turn and starting its own.
    reply: float = 0.3
    #: After its last words, before it hangs up (people pause; the agent hears the end).
    hang_up: float = 1.5
    #: A voicemail records this long after the beep, then ends the call.
    record: float = 20.0


@dataclass
class Line:
    """One thing said on the call, with its line times (seconds since the stream started)."""

    text: str
    started_at: float
    ended_at: float | None = None


@dataclass
class _Outgoing:
    """Audio queued to send, and the line it says."""

    frames: deque[bytes]
    line: Line | None = field(default=None)


class PersonaPhone:
    """A persona on the phone; implements `voice_backend.sim.phone.PhoneSide`. `job` is what
    it was called about (its questions name the thing to fix).

    `said` is what it said and `understood` what it made of the agent, each with line times, for
    measurements.
    """

    def __init__(
        self,
        persona: Persona,
        *,
        job: str | None = None,
        synthesizer: SpeechSynthesizer | None = None,
        recognizer: Recognizer | None = None,
        timing: PhoneTiming | None = None,
    ) -> None:
        self.persona = persona
        self.mind = PersonaMind(persona, job=job)
        self._tts = synthesizer or get_synthesizer()
        self._asr = recognizer or get_recognizer()
        self._timing = timing or PhoneTiming()
        self._voice = Voice(persona.voice, persona.speaking_rate, persona.pitch)
        self._detector = UtteranceDetector()
        self._queue: deque[_Outgoing] = deque()
        self._tick_audio = bytearray()
        self._frames = 0
        self._hung_up = False
        self._hanging_up = False
        self._hang_up_at: float | None = None
        self._greeting_audio = b""
        self._greeted = False
        self._caller_spoke = False
        self._utterances: asyncio.Queue[SpeechEnded] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._line_dead = False
        self.said: list[Line] = []
        self.understood: list[Line] = []
        self.errors: list[str] = []

    @property
    def seconds(self) -> float:
        """Line time since the stream started."""
        return self._frames * FRAME_SECONDS

    @property
    def greeting_seconds(self) -> float:
        """How long its greeting lasts (a voicemail's includes the beep); after `prepare`."""
        beep = len(_BEEP) if self.persona.kind is PersonaKind.VOICEMAIL else 0
        return (len(self._greeting_audio) + beep) / TWILIO_RATE

    async def prepare(self) -> None:
        """Synthesise the greeting before the call is answered, so picking up costs nothing."""
        # Its own name comes back to it ("Hi, is this Ace Plumbing?"): words it knows.
        await self._asr.learn_async(f"{self.persona.name} {self.persona.contact or ''}")
        text = self.mind.greeting()
        if text:
            self._greeting_audio = await self._tts.speak(text, self._voice)

    # --- PhoneSide ----------------------------------------------------------------------------

    def next_frame(self) -> bytes:
        """The next 20 ms to send; also where the phone's clock ticks."""
        self._listen(bytes(self._tick_audio) if self._tick_audio else SILENT_FRAME)
        self._tick_audio.clear()
        self._frames += 1
        now = self.seconds
        if not self._greeted and now >= self._timing.answer:
            self._greet()
        frame = self._pop_frame(now)
        if self._hanging_up and not self._queue:
            # Counted from its last words, not from when it decided to go.
            if self._hang_up_at is None:
                self._hang_up_at = now + self._timing.hang_up
            elif now >= self._hang_up_at:
                self._hung_up = True
        return frame

    def heard(self, mulaw: bytes) -> None:
        """Audio that played on the line this tick (heard at the next tick)."""
        self._tick_audio += mulaw

    @property
    def hung_up(self) -> bool:
        """Whether the persona has hung up (or its voicemail stopped recording)."""
        return self._hung_up

    async def hear_out(self) -> None:
        """The line went dead: make sense of the agent's last words (a goodbye cut short by
        the hang-up still tells the persona whether a deal was struck), then stop listening."""
        last = self._detector.flush()
        if last is not None:
            self._utterances.put_nowait(last)
            if self._worker is None:
                self._worker = asyncio.get_running_loop().create_task(self._answer())
        self._line_dead = True
        # Generous: on a loaded machine the last decode can take seconds, and without it a
        # deal closed on the line is not the persona's.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(_HEAR_OUT_SECONDS):
                await self._utterances.join()
        self.close()

    def close(self) -> None:
        """Stop its listening task (the call is over)."""
        if self._worker is not None:
            self._worker.cancel()

    # --- speaking -----------------------------------------------------------------------------

    def _greet(self) -> None:
        self._greeted = True
        if self.persona.kind is PersonaKind.VOICEMAIL:
            self._enqueue(self._greeting_audio + _BEEP, self.persona.greeting_text)
            # It records for a while after the beep, then the call ends.
            self._enqueue(b"", None, pause=self._timing.record)
            self._hanging_up = True
            return
        if self._caller_spoke or not self._greeting_audio:
            return  # the caller spoke first: answer them instead
        self._enqueue(self._greeting_audio, self.persona.greeting_text)

    def _enqueue(self, audio: bytes, text: str | None, pause: float = 0.0) -> None:
        frames: deque[bytes] = deque([SILENT_FRAME] * round(pause / FRAME_SECONDS))
        for start in range(0, len(audio), TWILIO_FRAME_BYTES):
            frames.append(
                audio[start : start + TWILIO_FRAME_BYTES].ljust(TWILIO_FRAME_BYTES, b"\xff")
            )
        line = Line(text, started_at=-1.0) if text else None
        self._queue.append(_Outgoing(frames, line))

    def _pop_frame(self, now: float) -> bytes:
        while self._queue:
            head = self._queue[0]
            if not head.frames:
                if head.line is not None:
                    head.line.ended_at = now
                self._queue.popleft()
                continue
            frame = head.frames.popleft()
            if head.line is not None and head.line.started_at < 0 and frame != SILENT_FRAME:
                head.line.started_at = now - FRAME_SECONDS
                self.said.append(head.line)
            return frame
        return SILENT_FRAME

    def _speak(self, audio: bytes, turn: PersonaTurn) -> None:
        if audio:
            self._enqueue(audio, turn.text, pause=self._timing.reply)
        if turn.hang_up:
            self._hanging_up = True

    # --- listening ----------------------------------------------------------------------------

    def _listen(self, mulaw: bytes) -> None:
        if self._hung_up:
            return
        for event in self._detector.feed(mulaw):
            if isinstance(event, SpeechEnded):
                self._utterances.put_nowait(event)
                if self._worker is None:
                    self._worker = asyncio.get_running_loop().create_task(
                        self._answer(), name=f"persona-{self.persona.name}"
                    )
            else:
                self._caller_spoke = True

    async def _answer(self) -> None:
        """Hear each of the agent's turns, and say the mind's answer."""
        while True:
            utterance = await self._utterances.get()
            try:
                text = await self._asr.recognize(utterance.pcm, self.mind.expecting)
                self.understood.append(Line(text, utterance.started_at, utterance.ended_at))
                if self._hanging_up or self._hung_up:
                    continue
                turn = self.mind.reply(text)
                if self._line_dead:
                    continue  # heard, but there is nobody left to answer
                audio = await self._tts.speak(turn.text, self._voice) if turn.text else b""
                self._speak(audio, turn)
            except Exception as error:  # a broken phone hangs up rather than hang the call
                logger.exception("simulated provider %s failed", self.persona.name)
                self.errors.append(repr(error))
                self._hanging_up = True
            finally:
                self._utterances.task_done()
