"""The call bridge: one per call, between Twilio's media stream and the agent.

States: `waiting` (socket open, no `start` yet) → `starting` (token checked, agent session
opening) → `active` → `ending` (goodbye playing, hang-up pending) → `ended`.
Three tasks run under one task group while active: Twilio → agent, agent → Twilio, and a
watchdog for the call's time and silence limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import deque
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from pricing.intent import refine_outcome
from shared import metrics
from shared.logs import bind
from shared.models import (
    CallStatus,
    Outcome,
    Provider,
    format_transcript,
    utcnow,
)
from voice_backend.agents.base import (
    Agent,
    AgentAudio,
    AgentError,
    AgentEvent,
    AgentFailed,
    AgentSaid,
    HangUpRequested,
    ProviderSaid,
    ProviderStartedSpeaking,
    ProviderStoppedSpeaking,
    ResponseDone,
)
from voice_backend.call.services import CallServices
from voice_backend.call.transcript import Transcript
from voice_backend.prompt import WRAP_UP_SILENCE, WRAP_UP_TIME
from voice_backend.security import InvalidCallToken
from voice_backend.twilio import media as wire

logger = logging.getLogger(__name__)

#: How long to wait for Twilio's `start` after the socket opens.
START_TIMEOUT_SECONDS = 10.0
#: How long the goodbye may take to play before we hang up anyway.
GOODBYE_TIMEOUT_SECONDS = 15.0
#: With no end-of-response signal, how long without agent audio means the goodbye is over.
GOODBYE_QUIET_SECONDS = 1.0
#: After a polite wrap-up was asked for, how long before we hang up regardless.
WRAP_UP_GRACE_SECONDS = 20.0
#: After hanging up, how long to wait for Twilio's `stop`.
STOP_TIMEOUT_SECONDS = 5.0


class CallState(StrEnum):
    """Where a bridge is in its call."""

    WAITING = "waiting"
    STARTING = "starting"
    ACTIVE = "active"
    ENDING = "ending"
    ENDED = "ended"


class EndReason(StrEnum):
    """Why the conversation ended."""

    AGENT_HUNG_UP = "the agent said goodbye and hung up"
    PROVIDER_HUNG_UP = "the provider hung up"
    TIME_LIMIT = "the call reached its time limit"
    SILENCE = "the line stayed silent"
    VOICEMAIL = "a voicemail answered"
    AGENT_FAILED = "the agent's session failed"
    AGENT_START_FAILED = "the agent's session could not start"
    BAD_MESSAGE = "Twilio sent a malformed message"
    SHUTDOWN = "the voice service shut down"


_ERROR_ENDS = {
    EndReason.AGENT_FAILED,
    EndReason.AGENT_START_FAILED,
    EndReason.BAD_MESSAGE,
    EndReason.SHUTDOWN,
}


class StreamRefused(Exception):
    """The stream's `start` did not prove it belongs to a call we placed."""


@dataclass
class _PendingMark:
    name: str
    item_id: str | None
    nbytes: int


class CallBridge:
    """Bridges one Twilio media stream to one agent session."""

    def __init__(self, websocket: WebSocket, services: CallServices) -> None:
        self._ws = websocket
        self._services = services
        self._settings = services.settings
        self.state = CallState.WAITING
        self.provider: Provider | None = None
        self.call_sid: str | None = None
        self._stream_sid = ""
        self._agent: Agent | None = None
        self._transcript = Transcript()
        self._marks: deque[_PendingMark] = deque()
        self._mark_names = itertools.count(1)
        self._played_bytes: dict[str, int] = {}
        self._sent_bytes: dict[str, int] = {}
        self._truncated: set[str] = set()
        self._current_item: str | None = None
        self._hang_up_pending = False
        self._hang_up_since = 0.0
        self._goodbye_done = False
        self._reached_voicemail = False  # the agent hung up on an answering machine
        self._last_agent_audio = 0.0
        self._wrap_up_since: float | None = None
        self._wrap_up_reason: tuple[EndReason, str | None] = (EndReason.TIME_LIMIT, None)
        self._started_at = 0.0
        self._last_activity = 0.0
        self._first_audio_at: float | None = None
        self._end: tuple[EndReason, str | None] | None = None
        self._ended = asyncio.Event()
        self._send_lock = asyncio.Lock()
        self._hung_up = False

    # -- entry point -----------------------------------------------------------------------

    async def run(self) -> None:
        """Serve the stream until the call ends, then write its result."""
        try:
            start = await self._await_start()
            await self._authorise(start)
        except StreamRefused as refused:
            logger.warning("media stream refused: %s", refused)
            await self._close_socket(code=1008)
            return
        except (WebSocketDisconnect, TimeoutError):
            await self._close_socket()
            return
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
                    event = wire.parse(await self._receive())
                except wire.MalformedMessage as error:
                    raise StreamRefused(f"malformed message before start: {error}") from None
                if isinstance(event, wire.Start):
                    return event
                if isinstance(event, wire.Media | wire.Mark | wire.Dtmf):
                    raise StreamRefused("media before start")
                if isinstance(event, wire.Stop):
                    raise WebSocketDisconnect(1000)

    async def _authorise(self, start: wire.Start) -> None:
        parameters = start.custom_parameters
        raw_id, token = parameters.get("provider_id", ""), parameters.get("token", "")
        if not raw_id.isdigit() or not token:
            raise StreamRefused("start without provider_id and token")
        provider_id = int(raw_id)
        try:
            self._services.tokens.verify(token, provider_id, start.call_sid)
        except InvalidCallToken as error:
            raise StreamRefused(f"bad call token: {error}") from None
        if not self._services.registry.claim_token(token):
            raise StreamRefused("call token already used")
        provider = await self._services.store.get_provider(provider_id)
        if provider is None:
            raise StreamRefused(f"unknown provider {provider_id}")
        if provider.call_sid not in (None, start.call_sid):
            raise StreamRefused("stream for a call we did not place")
        # Compare-and-set in the store: one stream per call, whichever instance it reaches.
        moved = await self._services.store.begin_stream(
            provider_id,
            start.call_sid,
            self._settings.instance_id,
            utcnow() + timedelta(seconds=self._settings.lease_seconds),
        )
        if moved is None:
            raise StreamRefused(f"provider {provider_id}'s call is not waiting for a stream")
        self.provider, self.call_sid, self._stream_sid = moved, start.call_sid, start.stream_sid
        bind(job_id=moved.job_id, provider_id=provider_id, call_sid=start.call_sid)
        logger.info(
            "media stream started",
            extra={"provider_id": provider_id, "call_sid": start.call_sid, "job_id": moved.job_id},
        )

    # -- the conversation ------------------------------------------------------------------

    async def _converse(self) -> None:
        assert self.provider is not None
        self.state = CallState.STARTING
        self._started_at = self._last_activity = time.monotonic()
        try:
            self._agent = self._services.agent_factory(self.provider)
            await self._agent.start()
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
            for failure in errors.exceptions:
                logger.error("call loop failed", exc_info=failure)
            self.end(EndReason.AGENT_FAILED, f"internal error: {errors.exceptions[0]!r}")

    async def _from_twilio(self) -> None:
        assert self._agent is not None
        while True:
            try:
                event = wire.parse(await self._receive())
            except WebSocketDisconnect:
                self.end(EndReason.PROVIDER_HUNG_UP)
                return
            except wire.MalformedMessage as error:
                self.end(EndReason.BAD_MESSAGE, str(error))
                return
            if isinstance(event, wire.Media):
                began = time.perf_counter()
                await self._agent.send_audio(event.payload)
                metrics.FRAME_LATENCY.labels("to_agent").observe(time.perf_counter() - began)
            elif isinstance(event, wire.Mark):
                await self._on_mark(event.name)
            elif isinstance(event, wire.Stop):
                self.end(EndReason.PROVIDER_HUNG_UP)
                return
            # connected, dtmf, a second start and unknown events change nothing

    async def _from_agent(self) -> None:
        assert self._agent is not None
        async for event in self._agent.events():
            await self._on_agent_event(event)
            if self._ended.is_set():
                return
        self.end(EndReason.AGENT_FAILED, "the agent's session closed")

    async def _on_agent_event(self, event: AgentEvent) -> None:
        if isinstance(event, AgentAudio):
            await self._play(event)
        elif isinstance(event, AgentSaid):
            self._transcript.agent_said(event.response_id, event.text)
            logger.debug("agent said: %s", event.text)
        elif isinstance(event, ProviderStartedSpeaking):
            self._last_activity = time.monotonic()
            self._transcript.provider_started(event.item_id)
            await self._barge_in()
        elif isinstance(event, ProviderSaid):
            self._last_activity = time.monotonic()
            self._transcript.provider_said(event.item_id, event.text)
            logger.debug("provider said: %s", event.text)
        elif isinstance(event, ProviderStoppedSpeaking):
            self._last_activity = time.monotonic()
        elif isinstance(event, HangUpRequested):
            if event.reason and "voicemail" in event.reason.lower():
                self._reached_voicemail = True
            await self._begin_hang_up()
        elif isinstance(event, ResponseDone):
            if self._hang_up_pending:
                self._goodbye_done = True
            await self._maybe_hang_up()
        elif isinstance(event, AgentFailed):
            self.end(EndReason.AGENT_FAILED, event.message)

    async def _play(self, audio: AgentAudio) -> None:
        if audio.item_id is not None and audio.item_id in self._truncated:
            return  # stale audio of a response the provider interrupted
        if not audio.payload:
            return
        now = time.monotonic()
        self._last_activity = self._last_agent_audio = now
        if self._first_audio_at is None:
            self._first_audio_at = now
            self._services.observe_first_audio(now - self._started_at)
        if audio.item_id != self._current_item:
            self._current_item = audio.item_id
            self._transcript.agent_started(audio.response_id or audio.item_id)
        item = audio.item_id or ""
        self._sent_bytes[item] = self._sent_bytes.get(item, 0) + len(audio.payload)
        name = f"m{next(self._mark_names)}"
        self._marks.append(_PendingMark(name, audio.item_id, len(audio.payload)))
        began = time.perf_counter()
        await self._send(wire.media_message(self._stream_sid, audio.payload))
        await self._send(wire.mark_message(self._stream_sid, name))
        metrics.FRAME_LATENCY.labels("to_twilio").observe(time.perf_counter() - began)

    async def _on_mark(self, name: str) -> None:
        # Marks come back in order; anything before `name` has played too.
        while self._marks:
            mark = self._marks.popleft()
            item = mark.item_id or ""
            self._played_bytes[item] = self._played_bytes.get(item, 0) + mark.nbytes
            if mark.name == name:
                break
        await self._maybe_hang_up()

    async def _barge_in(self) -> None:
        if not self._marks:
            return  # nothing of ours is playing
        item = self._marks[0].item_id  # the item playing now; later ones never started
        self._truncated.update(mark.item_id for mark in self._marks if mark.item_id)
        # Drop what Twilio has buffered; the marks it echoes for it did not play.
        self._marks.clear()
        await self._send(wire.clear_message(self._stream_sid))
        if item is not None and self._agent is not None:
            played_ms = self._played_bytes.get(item, 0) // 8
            await self._agent.truncate(item, played_ms)
            logger.info(
                "provider interrupted the agent",
                extra={"call_sid": self.call_sid, "played_ms": played_ms},
            )
        if self._hang_up_pending:
            await self._maybe_hang_up()

    async def _begin_hang_up(self) -> None:
        if not self._hang_up_pending:
            self._hang_up_pending = True
            self._hang_up_since = time.monotonic()
            self.state = CallState.ENDING
        await self._maybe_hang_up()

    async def _maybe_hang_up(self) -> None:
        """Hang up once the goodbye has played: its response is over (or no audio came for a
        while) and every mark sent after its audio has been echoed."""
        if not self._hang_up_pending or self._marks or self._hung_up:
            return
        quiet = time.monotonic() - self._last_agent_audio > GOODBYE_QUIET_SECONDS
        if not (self._goodbye_done or quiet):
            return
        await self._hang_up()
        self.end(EndReason.VOICEMAIL if self._reached_voicemail else EndReason.AGENT_HUNG_UP)

    async def _hang_up(self) -> None:
        if self._hung_up or self.call_sid is None:
            return
        self._hung_up = True
        try:
            await self._services.telephony.hang_up(self.call_sid)
        except Exception as error:  # the call ends on our side regardless
            logger.warning("hang-up failed: %s", error, extra={"call_sid": self.call_sid})

    async def _watchdog(self) -> None:
        limit = self._settings.call_time_limit_seconds
        silence = self._settings.silence_limit_seconds
        while not self._ended.is_set():
            await asyncio.sleep(0.25)
            now = time.monotonic()
            if self._hang_up_pending:
                if now - self._hang_up_since > GOODBYE_TIMEOUT_SECONDS:
                    self._marks.clear()
                    self._goodbye_done = True
                await self._maybe_hang_up()
                continue
            if self._wrap_up_since is not None:
                if now - self._wrap_up_since > WRAP_UP_GRACE_SECONDS:
                    await self._hang_up()
                    self.end(*self._wrap_up_reason)
                continue
            if now - self._started_at > limit:
                await self._wrap_up(EndReason.TIME_LIMIT, WRAP_UP_TIME)
            elif now - self._last_activity > silence and not self._marks:
                await self._wrap_up(EndReason.SILENCE, WRAP_UP_SILENCE)

    async def _wrap_up(self, reason: EndReason, instruction: str) -> None:
        assert self._agent is not None
        self._wrap_up_since = time.monotonic()
        self._wrap_up_reason = (reason, None)
        logger.info(
            "asking the agent to close: %s", reason.value, extra={"call_sid": self.call_sid}
        )
        await self._agent.request_goodbye(instruction)

    async def _receive(self) -> str:
        """The next text frame; a binary frame is malformed (Media Streams sends text only)."""
        message = await self._ws.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        text = message.get("text")
        if text is None:
            raise wire.MalformedMessage("binary frame")
        return str(text)

    async def _send(self, text: str) -> None:
        if self._ws.application_state != WebSocketState.CONNECTED:
            return
        async with self._send_lock:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                await self._ws.send_text(text)

    # -- the end ---------------------------------------------------------------------------

    async def _finalise(self) -> None:
        self.state = CallState.ENDED
        reason, detail = self._end or (EndReason.SHUTDOWN, None)
        if self._agent is not None:
            with contextlib.suppress(Exception):
                await self._agent.close()
        if reason is not EndReason.PROVIDER_HUNG_UP:
            await self._hang_up()
        await self._close_socket()
        assert self.provider is not None
        turns = self._transcript.turns()
        update = await self._services.result_for(self.provider, turns)
        conversation = any(turn.role == "user" for turn in turns)
        agreed = update.negotiated_price is not None
        if reason is EndReason.VOICEMAIL:
            update.call_status, update.outcome = CallStatus.FAILED, Outcome.VOICEMAIL
        elif reason in _ERROR_ENDS and not agreed:
            update.call_status, update.outcome = CallStatus.FAILED, Outcome.ERROR
        else:
            update.call_status = CallStatus.COMPLETED
            update.outcome = Outcome.AGREED if agreed else Outcome.NO_AGREEMENT
            refine_outcome(update, turns)  # declined, or asked to be called back
        note = f"{reason.value}: {detail}" if detail else reason.value
        if reason in _ERROR_ENDS or reason is EndReason.VOICEMAIL or not conversation:
            update.failure_reason = (
                f"{update.failure_reason}; {note}" if update.failure_reason else note
            )
        update.ended_at = utcnow()
        update.transcript_turns = turns
        update.call_transcript = format_transcript(turns)
        await self._services.results.write(self.provider.id, update)
        self._services.call_finished(self.provider.id)
        metrics.CALLS.labels(update.outcome.value if update.outcome else "unknown").inc()
        if reason in (EndReason.AGENT_FAILED, EndReason.AGENT_START_FAILED):
            kind = "start" if reason is EndReason.AGENT_START_FAILED else "session"
            metrics.AGENT_ERRORS.labels(self._settings.agent or "unknown", kind).inc()
        logger.info(
            "call ended: %s (%s)",
            update.outcome,
            reason.value,
            extra={"provider_id": self.provider.id, "call_sid": self.call_sid},
        )

    async def _close_socket(self, code: int = 1000) -> None:
        if self._ws.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await self._ws.close(code=code)
