"""The Grok Realtime agent: one xAI Voice Agent session (one WebSocket) per call.

`GrokAgent` speaks the bridge's `Agent` protocol on one side and xAI's realtime events on the
other. Wire events are parsed in `grok_events` and translated here into domain events; the
session is opened and checked in `grok_session`, the words assembled in `grok_transcripts`, and
the agent's audio counted and converted in `grok_speech`.

What it takes care of, so the bridge does not have to:

* configuring the session in xAI's shape and refusing to greet when the server did not take the
  audio format (xAI silently ignores unknown fields and falls back to 24 kHz PCM, which sounds
  like static on a phone line);
* converting audio when the session runs `pcm24k` (one stateful resampler per direction);
* assembling the agent's words per response from transcript deltas (`.done` may lack the text);
* the caller's transcripts: xAI streams partials on the `.completed` event with
  `status: "in_progress"`, so only finals are reported, once per item and text;
* barge-in: truncation clamped to the audio the model actually sent for the item, and no stale
  audio of a truncated item afterwards;
* the `end_call` tool, answered with a `function_call_output` and no new response.
"""

from __future__ import annotations

import binascii
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Any

from shared.settings import AudioFormat
from voice_backend.agents import grok_client_events as client
from voice_backend.agents import grok_events as wire
from voice_backend.agents import grok_peek
from voice_backend.agents.base import (
    AgentError,
    AgentEvent,
    AgentFailed,
    AudioSink,
    HangUpRequested,
    ProviderStartedSpeaking,
    ProviderStoppedSpeaking,
    ResponseDone,
    WrapUp,
)
from voice_backend.agents.grok_errors import ErrorWatch
from voice_backend.agents.grok_notes import END_CALL_OUTPUT, goodbye_note, hang_up_kind
from voice_backend.agents.grok_session import (
    WIRE_FORMATS,
    await_confirmation,
    check_formats,
    close_description,
    open_connection,
)
from voice_backend.agents.grok_socket import GrokSocket, GrokSocketClosed
from voice_backend.agents.grok_speech import GrokSpeech
from voice_backend.agents.grok_transcripts import GrokTranscripts
from voice_backend.audio import AudioConverter, converters_for, mulaw_ms, pcm24k_ms

logger = logging.getLogger(__name__)


class GrokAgent:
    """One Grok Realtime session for one call; implements `voice_backend.agents.base.Agent`.

    `url` is the full realtime URL including `?model=…`; `api_key` goes in the Bearer header
    only (it is never logged). `connect_timeout` bounds the WebSocket handshake and
    `session_timeout` the wait for `session.updated`. `label` tags this session's log lines
    (a provider id, say). Only fields xAI documents are sent.
    """

    def __init__(
        self,
        url: str,
        api_key: str,
        voice: str,
        instructions: str,
        audio_format: AudioFormat = AudioFormat.PCMU,
        connect_timeout: float = 10.0,
        session_timeout: float = 10.0,
        *,
        label: str = "grok",
    ) -> None:
        self._url = url
        self._api_key = api_key
        self._voice = voice
        self._instructions = instructions
        self._format = WIRE_FORMATS[AudioFormat(audio_format)]
        # μ-law both ways: base64 audio passes between Twilio and Grok as it came.
        self._passthrough = self._format == wire.PCMU
        self._connect_timeout = connect_timeout
        self._session_timeout = session_timeout
        self._label = label

        self._to_grok: AudioConverter
        self._to_grok, from_grok = converters_for(AudioFormat(audio_format).value)

        self._ws: GrokSocket | None = None
        self._ready = False  # session confirmed: caller audio may flow
        self._closing = False  # we are ending the session: a closed socket is expected
        self._failure: str | None = None
        self._errors = ErrorWatch(label)
        self._iterating = False
        self._audio_sink: AudioSink | None = None
        self._pending: list[AgentEvent] = []  # domain events seen during the handshake

        self._words = GrokTranscripts(label)
        wire_ms = mulaw_ms if self._passthrough else pcm24k_ms
        self._speech = GrokSpeech(from_grok, self._passthrough, wire_ms)
        self._hangup_requested = False
        self._goodbye_requested = False
        # Grok runs one response at a time: asking while one runs is refused, so we defer.
        self._response_active = False
        self._respond_after_done = False

    # --- Agent protocol -----------------------------------------------------------------------

    async def start(self) -> None:
        """Connect, configure the session, check it took, and ask the model to greet.

        Raises `AgentError` when Grok cannot be reached, refuses the key, does not confirm the
        session in time, or ignored the audio format.
        """
        if self._ws is not None or self._closing:
            raise AgentError("a GrokAgent can be started only once")
        self._ws = await open_connection(self._url, self._api_key, self._connect_timeout)
        self.set_audio_sink(self._audio_sink)
        try:
            await self._configure(self._ws)
            self._ready = True
            await self._request_response()
        except BaseException:
            await self.close()
            raise
        logger.info("[%s] Grok session ready (%s)", self._label, self._format.describe())

    async def send_audio(self, mulaw: bytes) -> None:
        """Forward caller audio (μ-law 8 kHz); dropped before the session is ready or after it."""
        self._append(mulaw)

    async def send_audio_b64(self, mulaw_b64: str) -> None:
        """Forward caller audio as Twilio sent it (μ-law 8 kHz, base64): with `pcmu` the text
        goes to Grok as it came, otherwise it is decoded and converted as in `send_audio`."""
        self.send_audio_b64_now(mulaw_b64)

    def send_audio_b64_now(self, mulaw_b64: str) -> None:
        """`send_audio_b64`, done before returning (the socket is written synchronously)."""
        if not self._passthrough:
            self._append(binascii.a2b_base64(mulaw_b64))
        elif self._ready and not self._closing and mulaw_b64:
            self._send_now(client.audio_append_b64(mulaw_b64), "input_audio_buffer.append")

    def set_audio_sink(self, sink: AudioSink | None) -> None:
        """Hand the agent's audio to `sink` as it arrives, in the socket's callback, whenever
        the reader of `events()` is waiting for its next event (so the order of events is
        kept); otherwise, and with no sink, audio comes through `events()` as usual."""
        self._audio_sink = sink
        if self._ws is not None:
            self._ws.sink = self._take_audio if sink is not None else None

    def _append(self, mulaw: bytes) -> None:
        if not self._ready or self._closing or not mulaw:
            return
        audio = self._to_grok.convert(mulaw)
        if audio:  # the pcm24k resampler returns nothing while its filter fills
            self._send_now(client.audio_append(audio), "input_audio_buffer.append")

    def _take_audio(self, frame: str) -> bool:
        """The socket's sink: an audio delta goes to the audio sink now; anything else is left
        for `events()` (False)."""
        sink = self._audio_sink
        if sink is None:
            return False
        delta = grok_peek.peek_audio_delta(frame)
        if delta is None:
            return False
        b64, item, response = delta
        if self._passthrough:
            nbytes = self._speech.passed(b64, item, response)
            if nbytes:
                sink(b64, nbytes, item, response)
            return True
        audio = self._speech.audio(wire.AudioDelta(item_id=item, response_id=response, b64=b64))
        if audio is not None:
            sink(audio.b64, audio.nbytes, item, response)
        return True

    async def events(self) -> AsyncIterator[AgentEvent]:
        """Domain events until the session ends; a failure is reported as `AgentFailed` last."""
        ws = self._ws
        if ws is None:
            raise RuntimeError("start() the agent before reading its events")
        if self._iterating:
            raise RuntimeError("events() is already being read")
        self._iterating = True
        try:
            while self._pending:
                yield self._pending.pop(0)
            # aclosing: a consumer that stops early must not leave the reader suspended.
            async with aclosing(self._read(ws)) as stream:
                async for event in stream:
                    yield event
        finally:
            self._iterating = False

    async def truncate(self, item_id: str, audio_end_ms: int) -> None:
        """Tell Grok the caller heard only the first `audio_end_ms` of `item_id`.

        The end is clamped to the audio Grok actually sent for the item: asking for more is
        refused ("already shorter than") and would leave the model believing it said it all.
        """
        if not self._ready or self._closing:
            return
        end_ms = self._speech.truncate(item_id, audio_end_ms)
        if end_ms is None:
            logger.debug("[%s] no audio of item %s to truncate", self._label, item_id)
            return
        # Not among xAI's documented client events: an error answering it never ends the call.
        self._errors.optional_sent()
        await self._send(client.truncate(item_id, end_ms))

    async def request_goodbye(self, reason: WrapUp) -> None:
        """Have the agent close the call now: a short goodbye, then its `end_call` tool.

        Why (time limit, silence) reaches the model as a bracketed note, in the prompt's
        words for `reason` (`WRAP_UP_TIME`, `WRAP_UP_SILENCE`). The response is asked for once
        the current one is over, since Grok runs one at a time. Only the first request counts.
        """
        if not self._ready or self._closing or self._goodbye_requested or self._hangup_requested:
            return
        self._goodbye_requested = True
        await self._send(client.user_text(goodbye_note(reason)))
        if self._response_active:
            self._respond_after_done = True
        else:
            await self._request_response()

    async def hear_out(self, within: float) -> list[AgentEvent]:
        """The line closed: the caller's utterances that never got a final transcription keep
        their latest partial (Grok is not waited for: its session ends with the call)."""
        return self._words.flush_partials()

    async def close(self) -> None:
        """End the session; safe to call any number of times, from any task."""
        self._closing = True
        self._ready = False
        if self._ws is not None:
            await self._ws.close()

    # --- Start-up -----------------------------------------------------------------------------

    async def _configure(self, ws: GrokSocket) -> None:
        await self._send(
            client.session_update(
                voice=self._voice,
                instructions=self._instructions,
                audio_format=self._format,
            )
        )
        confirmed = await await_confirmation(ws, self._session_timeout, self._hold)
        if not check_formats(self._format, confirmed):
            logger.info(
                "[%s] session.updated did not name both audio formats; going on with %s",
                self._label,
                self._format.describe(),
            )

    async def _hold(self, event: wire.ServerEvent) -> None:
        """An event that came before the session was confirmed: kept for `events()`."""
        self._pending.extend(await self._translate(event))

    # --- Reading ------------------------------------------------------------------------------

    async def _read(self, ws: GrokSocket) -> AsyncGenerator[AgentEvent, None]:
        try:
            while True:
                frame = await ws.recv()
                if isinstance(frame, bytes):
                    logger.warning("[%s] ignoring a binary frame from Grok", self._label)
                    continue
                parsed = wire.parse_server_event(frame)
                if type(parsed) is wire.AudioDelta:  # the frame path: no list, no match
                    audio = self._speech.audio(parsed)
                    if audio is not None:
                        yield audio
                    continue
                for event in await self._translate(parsed):
                    yield event
                if self._failure is not None:
                    break
        except GrokSocketClosed:
            pass  # reported below, unless we closed it ourselves
        for event in self._words.flush_partials():
            yield event
        failure = self._failure
        if failure is None and not self._closing:
            failure = f"Grok closed the connection unexpectedly ({close_description(ws)})"
            logger.warning("[%s] %s", self._label, failure)
        if failure is not None:
            # Close before yielding: a consumer that stops at AgentFailed never resumes us.
            await self.close()
            yield AgentFailed(failure)

    async def _translate(self, event: wire.ServerEvent) -> list[AgentEvent]:
        match event:
            case wire.AudioDelta():
                audio = self._speech.audio(event)
                return [audio] if audio is not None else []
            case wire.TranscriptDelta():
                self._words.agent_delta(event)
            case wire.TranscriptDone():
                return self._words.agent_done(event)
            case wire.InputTranscription():
                return self._words.caller(event)
            case wire.SpeechStarted():
                # A new utterance: a previous one that never got its final keeps its partial.
                partials = self._words.flush_partials(keep=event.item_id)
                return [*partials, ProviderStartedSpeaking(event.item_id)]
            case wire.SpeechStopped():
                return [ProviderStoppedSpeaking(event.item_id)]
            case wire.ResponseCreated():
                self._response_active = True
            case wire.ResponseDone():
                return await self._on_response_done(event)
            case wire.FunctionCall():
                return await self._on_function_call(event)
            case wire.ServerError():
                self._failure = self._errors.failure(event) or self._failure
            case wire.Truncated():
                self._errors.optional_answered()
            case wire.Malformed():
                logger.warning(
                    "[%s] unreadable Grok event %s: %s", self._label, event.type, event.reason
                )
        return []  # lifecycle chatter, pings and unknown types need nothing

    async def _on_response_done(self, event: wire.ResponseDone) -> list[AgentEvent]:
        events: list[AgentEvent] = []
        tail = self._speech.response_over()  # pcm24k: the filter's last few ms end this turn
        if tail is not None:
            events.append(tail)
        events.extend(self._words.response_over(event.response_id))
        events.append(ResponseDone(event.response_id))
        self._response_active = False
        if self._respond_after_done:
            self._respond_after_done = False
            if not self._hangup_requested:  # never a new turn once the agent has hung up
                await self._request_response()
        return events

    async def _on_function_call(self, event: wire.FunctionCall) -> list[AgentEvent]:
        if event.name != wire.END_CALL_TOOL_NAME:
            logger.warning("[%s] Grok called an unknown tool %r", self._label, event.name)
            output = json.dumps({"error": f"there is no tool named {event.name!r}"})
            await self._send(client.function_call_output(event.call_id, output))
            # Let the model carry on, once its current response is over (one at a time).
            self._respond_after_done = True
            return []
        # The model needs its tool result, but no new response: the goodbye has been said and
        # another turn would talk over the hang-up.
        await self._send(client.function_call_output(event.call_id, END_CALL_OUTPUT))
        if self._hangup_requested:
            return []
        self._hangup_requested = True
        reason = event.argument("reason")
        logger.info("[%s] Grok asked to end the call", self._label)
        return [HangUpRequested(event.call_id, reason, hang_up_kind(reason))]

    # --- Writing ------------------------------------------------------------------------------

    async def _request_response(self) -> None:
        # Marked active as soon as it is asked for: `response.created` comes a round trip later,
        # and a second request in between would be refused.
        self._response_active = True
        await self._send(client.response_create())

    async def _send(self, event: dict[str, Any]) -> None:
        await self._send_text(client.encode(event), event["type"])

    async def _send_text(self, text: str, kind: str) -> None:
        self._send_now(text, kind)

    def _send_now(self, text: str, kind: str) -> None:
        ws = self._ws
        if ws is None:
            return
        try:
            ws.send(text)
        except GrokSocketClosed:
            # The reader reports the lost session (AgentFailed); writers just stop.
            logger.debug("[%s] dropped %s: connection closed", self._label, kind)
