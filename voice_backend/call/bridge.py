"""The call bridge: one per call, between Twilio's media stream and the agent.

States: `waiting` (socket open, no `start` yet) → `starting` (token checked, agent session
opening) → `active` → `ending` (goodbye playing, hang-up pending) → `ended`.
Three tasks run under one task group while active: Twilio → agent, agent → Twilio, and a
watchdog for the call's time and silence limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from enum import StrEnum

from starlette.websockets import WebSocket, WebSocketDisconnect

from shared import metrics
from shared.logs import bind
from shared.models import Provider, utcnow
from voice_backend.agents.base import (
    Agent,
    AgentAudio,
    AgentError,
    AgentEvent,
    AgentFailed,
    AgentSaid,
    DirectAudio,
    HangUpKind,
    HangUpRequested,
    ProviderSaid,
    ProviderStartedSpeaking,
    ProviderStoppedSpeaking,
    ResponseDone,
    WrapUp,
)
from voice_backend.call import admission
from voice_backend.call.admission import StreamRefused
from voice_backend.call.ending import WATCHDOG_SECONDS, Ending, WatchdogStep
from voice_backend.call.frame_path import _TO_AGENT, FRAME_SAMPLE_EVERY, FramePath
from voice_backend.call.live import LiveTranscript
from voice_backend.call.outcome import EndReason, agent_error_kind, final_update
from voice_backend.call.playback import PlaybackTracker
from voice_backend.call.services import CallServices
from voice_backend.call.transcript import Transcript
from voice_backend.call.twilio_socket import TwilioSocket
from voice_backend.twilio import media as wire

logger = logging.getLogger(__name__)

#: How long to wait for Twilio's `start` after the socket opens.
START_TIMEOUT_SECONDS = 10.0
#: After hanging up, how long to wait for Twilio's `stop`.
STOP_TIMEOUT_SECONDS = 5.0
#: After the line closes, how long the provider's last words may take to be transcribed.
HEAR_OUT_SECONDS = 5.0


class CallState(StrEnum):
    """Where a bridge is in its call."""

    WAITING = "waiting"
    STARTING = "starting"
    ACTIVE = "active"
    ENDING = "ending"
    ENDED = "ended"


class CallBridge(FramePath):
    """Bridges one Twilio media stream to one agent session."""

    def __init__(self, websocket: WebSocket, services: CallServices) -> None:
        self._socket = TwilioSocket(websocket)
        self._services = services
        self._settings = services.settings
        self.state = CallState.WAITING
        self.provider: Provider | None = None
        self.call_sid: str | None = None
        self._stream_sid = ""
        self._messages = wire.StreamMessages("")
        self._agent: Agent | None = None
        self._transcript = Transcript()
        self._live: LiveTranscript | None = None
        self._playback = PlaybackTracker()
        self._current_item: str | None = None
        self._ending = Ending(
            self._settings.call_time_limit_seconds, self._settings.silence_limit_seconds
        )
        self._first_audio_at: float | None = None
        self._end: tuple[EndReason, str | None] | None = None
        self._ended = asyncio.Event()
        self._hung_up = False
        self._agent_start: asyncio.Task[None] | None = None
        self._frames_in = 0  # media frames from Twilio
        self._direct_audio: DirectAudio | None = None  # the agent, on the direct frame path

    # -- entry point -----------------------------------------------------------------------

    async def run(self) -> None:
        """Serve the stream until the call ends, then write its result."""
        try:
            start = await self._await_start()
            await self._authorise(start)
        except StreamRefused as refused:
            logger.warning("media stream refused: %s", refused)
            await self._discard_agent()
            await self._socket.close(code=1008)
            return
        except (WebSocketDisconnect, TimeoutError):
            await self._discard_agent()
            await self._socket.close()
            return
        except BaseException:  # the store failed, or we are cancelled: no session left behind
            await self._discard_agent()
            raise
        assert self.provider is not None and self.call_sid is not None
        self._services.registry.add(self.call_sid, self)
        try:
            await self._converse()
        finally:
            try:
                await self._finalise()
            finally:
                # Only now: a status callback arriving meanwhile leaves the result to us.
                self._services.registry.remove(self.call_sid, self)

    def end(self, reason: EndReason, detail: str | None = None) -> None:
        """End the call (from outside too: a voicemail detected by Twilio, a shutdown)."""
        if self._end is None:
            self._end = (reason, detail)
        self._ended.set()

    # -- start and authorisation -----------------------------------------------------------

    async def _await_start(self) -> wire.Start:
        async with asyncio.timeout(START_TIMEOUT_SECONDS):
            while True:
                try:
                    event = wire.parse(await self._socket.receive())
                except wire.MalformedMessage as error:
                    raise StreamRefused(f"malformed message before start: {error}") from None
                if isinstance(event, wire.Start):
                    return event
                if isinstance(event, wire.Media | wire.Mark | wire.Dtmf):
                    raise StreamRefused("media before start")
                if isinstance(event, wire.Stop):
                    raise WebSocketDisconnect(1000)

    async def _authorise(self, start: wire.Start) -> None:
        provider = await admission.check(start, self._services)
        # The token and provider check out: the model session opens (and its greeting is asked
        # for) while the store moves the call to its stream; a refusal closes it again.
        self._ending.begin(time.monotonic())
        self._agent_start = asyncio.create_task(self._open_agent(provider), name="agent-start")
        moved = await admission.begin_stream(start, provider, self._services)
        self.provider, self.call_sid, self._stream_sid = moved, start.call_sid, start.stream_sid
        self._messages = wire.StreamMessages(start.stream_sid)
        self._live = LiveTranscript(self._services.store, moved.id)
        bind(job_id=moved.job_id, provider_id=moved.id, call_sid=start.call_sid)
        logger.info(
            "media stream started",
            extra={"provider_id": moved.id, "call_sid": start.call_sid, "job_id": moved.job_id},
        )

    async def _open_agent(self, provider: Provider) -> None:
        self._agent = self._services.agent_factory(provider)
        await self._agent.start()

    # -- the conversation ------------------------------------------------------------------

    async def _converse(self) -> None:
        assert self._agent_start is not None
        self.state = CallState.STARTING
        try:
            await self._agent_start
            assert self._agent is not None
        except AgentError as error:
            self.end(EndReason.AGENT_START_FAILED, str(error))
            return
        self.state = CallState.ACTIVE
        try:
            async with asyncio.TaskGroup() as group:
                loops = [
                    group.create_task(self._from_twilio(), name="twilio-to-agent"),
                    group.create_task(self._from_agent(), name="agent-to-twilio"),
                    group.create_task(self._watchdog(), name="call-watchdog"),
                ]
                await self._ended.wait()
                for task in loops:
                    task.cancel()
        except* Exception as errors:  # a loop's bug must still end the call
            for failure in errors.exceptions[1:]:
                logger.error("call loop failed", exc_info=failure)
            self._loop_failed(errors.exceptions[0])

    async def _discard_agent(self) -> None:
        """A refused stream: stop the model session opened for it."""
        if self._agent_start is not None:
            self._agent_start.cancel()
            with contextlib.suppress(BaseException):
                await self._agent_start
        if self._agent is not None:
            with contextlib.suppress(Exception):
                await self._agent.close()

    async def _from_twilio(self) -> None:
        direct = self._direct_agent()
        if direct is None:
            await self._read_twilio()
            return
        self._direct_audio = direct
        self._socket.listen(self._take_twilio)
        try:
            await self._read_twilio()
        finally:
            self._socket.listen(None)

    async def _read_twilio(self) -> None:
        assert self._agent is not None
        agent = self._agent
        while True:
            try:
                event = wire.parse(await self._socket.receive())
            except WebSocketDisconnect:
                self.end(EndReason.PROVIDER_HUNG_UP)
                return
            except wire.MalformedMessage as error:
                # One bad frame must not end a live negotiation: skip it, say so, count it.
                metrics.TWILIO_BAD_FRAMES.inc()
                logger.warning("skipped a malformed frame from Twilio: %s", error)
                continue
            if type(event) is wire.Media:
                self._frames_in += 1
                if self._frames_in % FRAME_SAMPLE_EVERY != 1:
                    await agent.send_audio_b64(event.b64)
                else:
                    began = time.perf_counter()
                    await agent.send_audio_b64(event.b64)
                    _TO_AGENT.observe(time.perf_counter() - began)
            elif isinstance(event, wire.Mark):
                await self._on_mark(event.name)
            elif isinstance(event, wire.Stop):
                self.end(EndReason.PROVIDER_HUNG_UP)
                return
            # connected, dtmf, a second start and unknown events change nothing

    async def _from_agent(self) -> None:
        assert self._agent is not None
        direct = self._direct_agent()
        if direct is not None:
            direct.set_audio_sink(self._direct_sink())
        try:
            async for event in self._agent.events():
                if type(event) is not AgentAudio:  # its audio paused: mark what went out
                    await self._mark_the_rest()
                await self._on_agent_event(event)
                if self._ended.is_set():
                    return
        finally:
            if direct is not None:
                direct.set_audio_sink(None)
        self.end(EndReason.AGENT_FAILED, "the agent's session closed")

    async def _on_agent_event(self, event: AgentEvent) -> None:
        if isinstance(event, AgentAudio):
            await self._play(event)
        elif isinstance(event, AgentSaid):
            self._transcript.agent_said(event.response_id, event.text)
            self._turn_ended()
            logger.debug("agent said: %s", event.text)
        elif isinstance(event, ProviderStartedSpeaking):
            self._ending.heard(time.monotonic())
            self._transcript.provider_started(event.item_id)
            await self._barge_in()
        elif isinstance(event, ProviderSaid):
            self._ending.heard(time.monotonic())
            self._transcript.provider_said(event.item_id, event.text)
            self._turn_ended()
            logger.debug("provider said: %s", event.text)
        elif isinstance(event, ProviderStoppedSpeaking):
            self._ending.heard(time.monotonic())
        elif isinstance(event, HangUpRequested):
            voicemail = event.kind is HangUpKind.VOICEMAIL
            if self._ending.hang_up_requested(time.monotonic(), voicemail=voicemail):
                self.state = CallState.ENDING
            await self._maybe_hang_up()
        elif isinstance(event, ResponseDone):
            self._ending.response_done()
            await self._maybe_hang_up()
        elif isinstance(event, AgentFailed):
            self.end(EndReason.AGENT_FAILED, event.message)

    def _turn_ended(self) -> None:
        """Keep the transcript so far on the provider's row (written in the background)."""
        if self._live is not None:
            self._live.turn_ended(self._transcript.turns())

    async def _on_mark(self, name: str) -> None:
        self._playback.on_mark(name)
        await self._maybe_hang_up()

    async def _barge_in(self) -> None:
        cut = self._playback.on_interrupted()
        if cut is None:
            return  # nothing of ours is playing
        # Drop what Twilio has buffered; the marks it echoes for it did not play.
        await self._socket.send(self._messages.clear())
        if cut.item_id is not None and self._agent is not None:
            await self._agent.truncate(cut.item_id, cut.played_ms)
            logger.info(
                "provider interrupted the agent",
                extra={"call_sid": self.call_sid, "played_ms": cut.played_ms},
            )
        if self._ending.hang_up_pending:
            await self._maybe_hang_up()

    async def _maybe_hang_up(self) -> None:
        """Hang up once the goodbye has played: its response is over (or no audio came for a
        while) and every mark sent after its audio has been echoed."""
        if self._hung_up or not self._ending.hang_up_pending:
            return  # the usual case, on every mark echo: nothing to wait for
        if not self._ending.goodbye_played(time.monotonic(), playing=self._playback.playing):
            return
        await self._hang_up()
        self.end(self._ending.hang_up_reason)

    async def _hang_up(self) -> None:
        if self._hung_up or self.call_sid is None:
            return
        self._hung_up = True
        try:
            await self._services.telephony.hang_up(self.call_sid)
        except Exception as error:  # the call ends on our side regardless
            logger.warning("hang-up failed: %s", error, extra={"call_sid": self.call_sid})

    async def _watchdog(self) -> None:
        loop, chunks = asyncio.get_running_loop(), -1
        while not self._ended.is_set():  # ticks on the loop clock: one wake-up for all calls
            await asyncio.sleep(WATCHDOG_SECONDS - loop.time() % WATCHDOG_SECONDS)
            if self._playback.chunks_sent == chunks:  # audio paused with no event to mark it
                await self._mark_the_rest()
            chunks = self._playback.chunks_sent
            step = self._ending.tick(time.monotonic(), playing=self._playback.playing)
            if step is WatchdogStep.GOODBYE_OVERDUE:
                self._playback.forget_pending()
            if step in (WatchdogStep.CHECK_GOODBYE, WatchdogStep.GOODBYE_OVERDUE):
                await self._maybe_hang_up()
            elif step is WatchdogStep.WRAP_UP_OVERDUE:
                await self._hang_up()
                self.end(self._ending.wrap_up_reason)
            elif step is WatchdogStep.WRAP_UP_TIME:
                await self._wrap_up(EndReason.TIME_LIMIT, WrapUp.TIME)
            elif step is WatchdogStep.WRAP_UP_SILENCE:
                await self._wrap_up(EndReason.SILENCE, WrapUp.SILENCE)

    async def _wrap_up(self, reason: EndReason, instruction: WrapUp) -> None:
        assert self._agent is not None
        self._ending.wrap_up_requested(time.monotonic(), reason)
        logger.info(
            "asking the agent to close: %s", reason.value, extra={"call_sid": self.call_sid}
        )
        await self._agent.request_goodbye(instruction)

    async def _hear_out(self, agent: Agent) -> None:
        """The provider's last words (often the deciding ones: "fine, one twenty, bye") may
        still be in transcription when the line closes: into the transcript with the rest."""
        try:
            self._transcript.record(await agent.hear_out(HEAR_OUT_SECONDS))
        except Exception:
            logger.warning("the provider's last words were lost", exc_info=True)

    async def _finalise(self) -> None:
        self.state = CallState.ENDED
        reason, detail = self._end or (EndReason.SHUTDOWN, None)
        if self._agent is not None:
            await self._hear_out(self._agent)
            with contextlib.suppress(Exception):
                await self._agent.close()
        if reason is not EndReason.PROVIDER_HUNG_UP:
            await self._hang_up()
        await self._socket.close()
        if self._live is not None:
            await self._live.close()
        assert self.provider is not None
        turns = self._transcript.turns()
        update = await self._services.result_for(self.provider, turns)
        update = final_update(update, turns, reason, detail, ended_at=utcnow())
        await self._services.results.write(self.provider.id, update)
        self._services.call_finished(self.provider.id)
        metrics.CALLS.labels(update.outcome.value if update.outcome else "unknown").inc()
        kind = agent_error_kind(reason)
        if kind is not None:
            metrics.AGENT_ERRORS.labels(self._settings.agent or "unknown", kind).inc()
        logger.info(
            "call ended: %s (%s)",
            update.outcome,
            reason.value,
            extra={"provider_id": self.provider.id, "call_sid": self.call_sid},
        )
