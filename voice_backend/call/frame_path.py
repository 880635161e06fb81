"""The bridge's per-frame work, both ways, mixed into `CallBridge`.

Twilio's media frames and the agent's audio, up to fifty times a second each per call, and
the echoes of our marks (one per 100 ms of agent audio: `PlaybackTracker`). On the voice
service's own WebSocket protocol with an agent that can (`DirectAudio`), they are handled in
the sockets' callbacks while the bridge's loops wait, with no task switch and the media and
its mark, when one is due, in one write; otherwise the loops handle them as any other event.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from shared import metrics
from voice_backend.agents.base import Agent, AgentAudio, DirectAudio
from voice_backend.call.ending import Ending
from voice_backend.call.outcome import EndReason
from voice_backend.call.playback import PlaybackTracker
from voice_backend.call.services import CallServices
from voice_backend.call.transcript import Transcript
from voice_backend.call.twilio_socket import TwilioSocket
from voice_backend.twilio import media as wire
from voice_backend.twilio import media_peek

logger = logging.getLogger("voice_backend.call.bridge")

#: The first frame each way, then one in this many, has its pass-through time observed.
FRAME_SAMPLE_EVERY = 50
_TO_AGENT = metrics.FRAME_LATENCY.labels("to_agent")
_TO_TWILIO = metrics.FRAME_LATENCY.labels("to_twilio")


class FramePath:
    """Media in, audio out, marks back: the part of a call that runs per frame."""

    _socket: TwilioSocket
    _services: CallServices
    _agent: Agent | None
    _playback: PlaybackTracker
    _ending: Ending
    _messages: wire.StreamMessages
    _transcript: Transcript
    _ended: asyncio.Event
    _end: tuple[EndReason, str | None] | None
    _first_audio_at: float | None
    _current_item: str | None
    _frames_in: int
    _direct_audio: DirectAudio | None
    #: Writes a media message and its mark (if any) to Twilio now: `TwilioSocket.writer`.
    _write_now: Callable[[str, str | None], None]

    #: Ends the call: `CallBridge.end`.
    end: Callable[[EndReason, str | None], None]

    def _direct_agent(self) -> DirectAudio | None:
        """The agent, when it and the socket can move audio without a task switch."""
        agent = self._agent
        return agent if self._socket.direct and isinstance(agent, DirectAudio) else None

    def _direct_sink(self) -> Callable[[str, int, str | None, str | None], None]:
        """The agent's audio sink on the direct path (`_play_now`), its writer bound."""
        self._write_now = self._socket.writer()
        return self._play_now

    def _take_twilio(self, text: str) -> bool:
        """A frame in the socket's callback, while `_read_twilio` waits: media and marks are
        handled here; anything else (or a mark that may end the call) is left to it."""
        peeked = media_peek.peek(text)
        if peeked is None:
            return False  # anything else, malformed frames too: the loop reads it
        kind, value = peeked
        agent = self._direct_audio
        assert agent is not None
        try:
            if kind == "media":
                self._frames_in += 1
                if self._frames_in % FRAME_SAMPLE_EVERY != 1:
                    agent.send_audio_b64_now(value)
                else:
                    began = time.perf_counter()
                    agent.send_audio_b64_now(value)
                    _TO_AGENT.observe(time.perf_counter() - began)
                return True
            if not self._ending.hang_up_pending:  # a mark
                self._playback.on_mark(value)
                return True
        except Exception as error:  # as a loop's bug in the task group: end the call
            self._loop_failed(error)
            return True
        return False

    def _loop_failed(self, error: BaseException) -> None:
        logger.error("call loop failed", exc_info=error)
        self.end(EndReason.AGENT_FAILED, f"internal error: {error!r}")

    async def _play(self, audio: AgentAudio) -> None:
        texts = self._to_play(audio.b64, audio.nbytes, audio.item_id, audio.response_id)
        if texts is None:
            return
        sampled = self._playback.chunks_sent % FRAME_SAMPLE_EVERY == 1
        began = time.perf_counter() if sampled else 0.0
        await self._socket.send(*texts)
        if sampled:
            _TO_TWILIO.observe(time.perf_counter() - began)

    def _play_now(
        self, b64: str, nbytes: int, item_id: str | None, response_id: str | None
    ) -> None:
        """The agent's audio in its socket's callback, while `_from_agent` waits (an
        `AudioSink`): as `_play`, written to Twilio at once."""
        if self._end is not None:  # ended: `end` sets it first
            return
        try:
            texts = self._to_play(b64, nbytes, item_id, response_id)
            if texts is None:
                return
            if self._playback.chunks_sent % FRAME_SAMPLE_EVERY != 1:
                self._write_now(*texts)
            else:
                began = time.perf_counter()
                self._write_now(*texts)
                _TO_TWILIO.observe(time.perf_counter() - began)
        except Exception as error:  # as a loop's bug in the task group: end the call
            self._loop_failed(error)

    def _to_play(
        self, b64: str, nbytes: int, item_id: str | None, response_id: str | None
    ) -> tuple[str, str | None] | None:
        """The media message that plays `nbytes` of μ-law (`b64`) of `item_id` and the mark
        after it, if one is due (accounted as sent), or `None`."""
        if not nbytes or self._playback.is_stale(item_id):
            return None  # nothing, or stale audio of a response the provider interrupted
        now = time.monotonic()
        self._ending.agent_spoke(now)
        if item_id != self._current_item or self._first_audio_at is None:
            self._audio_began(now, item_id, response_id)
        name = self._playback.on_sent(item_id, nbytes)
        return self._messages.media(b64), None if name is None else self._messages.mark(name)

    def _audio_began(self, now: float, item_id: str | None, response_id: str | None) -> None:
        """The call's first agent audio (timed), or the first of another item (a new turn in
        the transcript)."""
        if self._first_audio_at is None:
            self._first_audio_at = now
            self._services.observe_first_audio(now - self._ending.started_at)
        if item_id != self._current_item:
            self._current_item = item_id
            self._transcript.agent_started(response_id or item_id)

    async def _mark_the_rest(self) -> None:
        """The agent's audio paused (or the watchdog ticked): a mark for the chunks sent since
        the last one, so that Twilio says when they have played."""
        name = self._playback.flush()
        if name is not None:
            await self._socket.send(self._messages.mark(name))
