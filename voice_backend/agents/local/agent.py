"""The local voice agent: the whole Grok Realtime session's job, on this machine, offline.

`LocalAgent` speaks the bridge's `Agent` protocol like `GrokAgent` does, so the bridge cannot
tell them apart. Inside: WebRTC voice activity detection finds the provider's utterances in the
call audio, Whisper hears them, the `NegotiationPolicy` decides what to say, and Piper's voice
says it as μ-law 8 kHz audio. The events are the same: `AgentAudio` with an item id,
`AgentSaid`, `ProviderStartedSpeaking` / `ProviderStoppedSpeaking` / `ProviderSaid` with the
utterance's item id, `ResponseDone`, and `HangUpRequested` after the closing line.

Time is line time: the bridge forwards a 20 ms frame from Twilio every 20 ms (silence
included), and the agent counts them. Its pauses (listening for a greeting before it opens, the
nudge after a silence, the wait on a voicemail) are counted in frames, so a simulated call run
faster than real time ages the agent just as fast.

Turn-taking: a reply is decided only once the provider has finished (the detector's hangover);
if they start again while the agent is still working out its answer, what they said is kept
and answered together with what follows.
"""

from __future__ import annotations

import asyncio
import binascii
import itertools
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from functools import partial
from typing import Final

from shared.models import Outcome, Provider
from voice_backend.agents.base import (
    Agent,
    AgentAudio,
    AgentEvent,
    AgentFactory,
    AgentFailed,
    AgentSaid,
    HangUpKind,
    HangUpRequested,
    ProviderSaid,
    ProviderStartedSpeaking,
    ProviderStoppedSpeaking,
    ResponseDone,
    WrapUp,
)
from voice_backend.agents.local.policy import NegotiationPolicy
from voice_backend.agents.local.state import AgentTurn
from voice_backend.audio import TWILIO_RATE
from voice_backend.speech import Recognizer, get_recognizer
from voice_backend.speech.tts import SpeechSynthesizer, Voice, get_synthesizer
from voice_backend.speech.vad import SpeechEnded, SpeechStarted, UtteranceDetector

__all__ = ["AGENT_VOICE", "LocalAgent", "LocalAgentTiming", "local_agent_factory"]

logger = logging.getLogger(__name__)

#: The agent's voice (its eSpeak NG name for the eSpeak engine: the Klatt voices are what
#: PocketSphinx hears best; with Piper, its speed and pitch).
AGENT_VOICE: Final = Voice("en-us+klatt6", 165, 45)
#: Audio goes to the bridge in pieces this long, so a barge-in can cut it finely.
_CHUNK_BYTES: Final = TWILIO_RATE // 10


@dataclass(frozen=True)
class LocalAgentTiming:
    """The agent's pauses, in seconds of line time."""

    #: At the start, how long it listens for the provider's greeting before it opens.
    listen_first: float = 1.0
    #: After its own audio has played, how long a silence lasts before it nudges.
    silence: float = 6.0
    #: On a voicemail, how long it stays on the line (for the carrier's answering-machine
    #: verdict) before it hangs up without leaving a message.
    voicemail_wait: float = 4.0


class LocalAgent:
    """One offline agent session for one call; implements `voice_backend.agents.base.Agent`."""

    def __init__(
        self,
        policy: NegotiationPolicy,
        *,
        synthesizer: SpeechSynthesizer | None = None,
        recognizer: Recognizer | None = None,
        voice: Voice = AGENT_VOICE,
        timing: LocalAgentTiming | None = None,
        label: str = "local",
    ) -> None:
        self.policy = policy
        self._tts = synthesizer or get_synthesizer()
        self._asr = recognizer or get_recognizer()
        self._voice = voice
        self._timing = timing or LocalAgentTiming()
        self._label = label
        self._detector = UtteranceDetector()
        self._events: asyncio.Queue[AgentEvent | None] = asyncio.Queue()
        self._utterances: asyncio.Queue[tuple[str, SpeechEnded]] = asyncio.Queue()
        self._speak_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._responses = itertools.count(1)
        self._provider_items = itertools.count(1)
        self._item: str | None = None  # the provider utterance under way
        self._unanswered: list[str] = []  # heard, not yet replied to
        self._started = False
        self._closed = False
        self._opened = False  # said its opening (or is about to)
        self._finished = False  # said its last line: deaf from now on
        self._heard_anything = False
        self._busy = 0  # turns being worked out or spoken
        self._recognising = False  # an utterance is being recognised
        self._heard_all = asyncio.Event()  # after the hang-up: nothing left to recognise
        self._audio_until = 0.0  # line time when our queued audio will have played
        self._quiet_since = 0.0
        self._voice_at = 0.0  # line time the provider's voice was last heard
        self._hang_up_at: float | None = None
        #: (line seconds, text) of each utterance heard, for measurements.
        self.heard: list[tuple[float, str]] = []
        #: (line seconds its audio starts playing, text) of each thing it said.
        self.said: list[tuple[float, str]] = []

    # --- Agent protocol -----------------------------------------------------------------------

    async def start(self) -> None:
        """Load the recogniser and the voice, synthesise the opening, and start listening;
        the opening follows the provider's greeting, or a short silence."""
        if self._started:
            raise RuntimeError("a LocalAgent can be started only once")
        self._started = True
        loop = asyncio.get_running_loop()
        from voice_backend.speech import speech_executor

        await loop.run_in_executor(speech_executor(), self._asr.warm_up)
        # The opening is known: its audio is made now (and cached), not when the line is live.
        await self._tts.speak(self.policy.opening_line, self._voice)
        # The names it will hear back ("Ace Plumbing, this is Joe") may be new to the model.
        provider = self.policy.provider
        await self._asr.learn_async(f"{provider.service_provider} {provider.problem or ''}")
        self._spawn(self._listen(), "listen")
        logger.info("[%s] local agent ready", self._label)

    async def send_audio_b64(self, mulaw_b64: str) -> None:
        """Provider audio in base64, as Twilio sent it: decoded, then as `send_audio`."""
        await self.send_audio(binascii.a2b_base64(mulaw_b64))

    async def send_audio(self, mulaw: bytes) -> None:
        """Provider audio: finds utterances, and keeps the agent's clock."""
        if not self._started or self._closed or not mulaw:
            return
        for event in self._detector.feed(mulaw):
            if self._finished:
                continue
            if isinstance(event, SpeechStarted):
                self._heard_anything = True
                self._item = f"local_in_{next(self._provider_items)}"
                await self._emit(ProviderStartedSpeaking(self._item))
            else:
                item = self._item or f"local_in_{next(self._provider_items)}"
                self._item = None
                self._quiet_since = self._detector.seconds
                await self._emit(ProviderStoppedSpeaking(item))
                self._utterances.put_nowait((item, event))
        if self._detector.speaking:
            self._voice_at = self._detector.seconds
        self._on_clock()

    async def events(self) -> AsyncIterator[AgentEvent]:
        """The agent's events until `close()`."""
        while True:
            event = await self._events.get()
            if event is None:
                return
            yield event

    async def truncate(self, item_id: str, audio_end_ms: int) -> None:
        """The provider cut in: the rest of `item_id` was never heard (the bridge dropped it)."""
        logger.debug("[%s] interrupted after %d ms of %s", self._label, audio_end_ms, item_id)
        self._audio_until = self._detector.seconds

    async def request_goodbye(self, reason: WrapUp) -> None:
        """Close the call now: the policy's closing line (as `reason` has it), then a hang-up."""
        if self._finished or self._closed:
            return
        self._spawn(self._turn(lambda: self.policy.wrap_up(reason)), "goodbye")

    async def hear_out(self, within: float) -> list[AgentEvent]:
        """The line closed: recognise the utterance the hang-up cut and those still queued
        (a busy machine decodes behind the line), without answering; give back their words
        and whatever else for the transcript `events()` had not delivered."""
        if not self._started or self._closed:
            return []
        self._finished = True  # deaf and mute from now on: nothing more is answered
        cut = self._detector.flush()
        if cut is not None:
            item = self._item or f"local_in_{next(self._provider_items)}"
            self._item = None
            self._utterances.put_nowait((item, cut))
        if self._utterances.empty() and not self._recognising:
            self._heard_all.set()
        try:
            await asyncio.wait_for(self._heard_all.wait(), within)
        except TimeoutError:
            logger.warning(
                "[%s] the provider's last words not recognised within %.0f s of the hang-up",
                self._label,
                within,
            )
        left: list[AgentEvent] = []
        while not self._events.empty():
            event = self._events.get_nowait()
            if isinstance(event, (AgentSaid, ProviderSaid, ProviderStartedSpeaking)):
                left.append(event)
        return left

    async def close(self) -> None:
        """End the session (idempotent)."""
        if self._closed:
            return
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        self._events.put_nowait(None)

    # --- Listening ----------------------------------------------------------------------------

    def _on_clock(self) -> None:
        """Line time moved on: the pauses that start a turn or end the call."""
        now = self._detector.seconds
        if self._hang_up_at is not None and now >= self._hang_up_at:
            self._hang_up_at = None
            self._events.put_nowait(HangUpRequested(None, "voicemail", HangUpKind.VOICEMAIL))
            return
        if self._finished or self._busy or self._detector.speaking:
            return
        if not self._utterances.empty():
            return
        quiet = now - max(self._audio_until, self._quiet_since, self._voice_at)
        if not self._opened:
            # Nobody said hello, or what we heard was too short to be words: open anyway.
            if now >= self._timing.listen_first and (
                not self._heard_anything or quiet >= self._timing.listen_first
            ):
                self._opened = True
                self._spawn(self._turn(self.policy.opening), "opening")
            return
        if quiet >= self._timing.silence:
            self._quiet_since = now  # one nudge per silence
            self._spawn(self._turn(self.policy.on_silence), "silence")

    async def _listen(self) -> None:
        """Hear each utterance, then answer whatever has been heard once the provider stops."""
        while True:
            item, utterance = await self._utterances.get()
            self._busy += 1
            self._recognising = True
            try:
                text = await self._asr.recognize(utterance.pcm, self.policy.expecting)
                self._recognising = False
                if text:
                    self.heard.append((utterance.started_at, text))
                    logger.debug("[%s] heard: %s", self._label, text)
                    await self._emit(ProviderSaid(text, item))
                    self._unanswered.append(text)
                if self._finished or self._detector.speaking or not self._utterances.empty():
                    continue  # they are still talking: answer it all together
                if not self._unanswered:
                    continue
                heard = " ".join(self._unanswered)
                self._unanswered.clear()
                self._opened = True
                await self._turn(partial(self.policy.reply, heard))
            finally:
                self._busy -= 1
                self._recognising = False
                if self._finished and self._utterances.empty():
                    self._heard_all.set()

    # --- Speaking -----------------------------------------------------------------------------

    async def _turn(self, decide: Callable[[], AgentTurn | None]) -> None:
        """Ask the policy for a turn and say it (one turn at a time)."""
        self._busy += 1
        try:
            async with self._speak_lock:
                if self._finished or self._closed:
                    return
                turn = decide()
                if turn is None:
                    return
                await self._say(turn)
        finally:
            self._busy -= 1

    async def _say(self, turn: AgentTurn) -> None:
        response = f"local_resp_{next(self._responses)}"
        item = f"local_out_{response.rsplit('_', 1)[1]}"
        text = turn.text.strip()
        if turn.hang_up:
            self._finished = True
        if text:
            audio = await self._tts.speak(text, self._voice)
            for start in range(0, len(audio), _CHUNK_BYTES):
                await self._emit(AgentAudio(audio[start : start + _CHUNK_BYTES], item, response))
            now = self._detector.seconds
            self.said.append((max(now, self._audio_until), text))
            self._audio_until = max(now, self._audio_until) + len(audio) / TWILIO_RATE
            logger.debug("[%s] says: %s", self._label, text)
            await self._emit(AgentSaid(text, item, response))
        await self._emit(ResponseDone(response))
        if not turn.hang_up:
            return
        if self.policy.outcome is Outcome.VOICEMAIL:
            # Stay on the line a moment: the carrier's answering-machine verdict is what
            # records the call as a voicemail.
            self._hang_up_at = self._detector.seconds + self._timing.voicemail_wait
            return
        await self._emit(HangUpRequested(None, _reason(self.policy)))

    # --- plumbing -----------------------------------------------------------------------------

    async def _emit(self, event: AgentEvent) -> None:
        if not self._closed:
            self._events.put_nowait(event)

    def _spawn(self, work: Coroutine[object, object, None], name: str) -> None:
        async def guarded() -> None:
            try:
                await work
            except asyncio.CancelledError:
                raise
            except Exception as error:
                logger.exception("[%s] local agent failed", self._label)
                await self._emit(AgentFailed(f"local agent error: {error!r}"))
                self._finished = True

        task = asyncio.get_running_loop().create_task(guarded(), name=f"{self._label}-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _reason(policy: NegotiationPolicy) -> str:
    outcome = policy.outcome
    return outcome.value if outcome is not None else "goodbye"


def local_agent_factory(
    *,
    synthesizer: SpeechSynthesizer | None = None,
    recognizer: Recognizer | None = None,
    timing: LocalAgentTiming | None = None,
) -> AgentFactory:
    """An `AgentFactory` building one `LocalAgent` (with its own policy) per provider call."""

    def build(provider: Provider) -> Agent:
        return LocalAgent(
            NegotiationPolicy(provider),
            synthesizer=synthesizer,
            recognizer=recognizer,
            timing=timing,
            label=f"provider {provider.id}",
        )

    return build
