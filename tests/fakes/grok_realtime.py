"""A scripted fake of xAI's Grok Realtime server: a real WebSocket server on loopback.

It speaks the wire protocol the real one does (see `voice_backend.agents.grok_events`): it
checks `Authorization: Bearer <key>` and `?model=`, answers `session.update` with
`session.updated`, streams responses as audio deltas in the session's format with transcript
deltas, reports caller speech through VAD events and transcriptions (partials first, with
`status: "in_progress"`, as xAI does), cancels a response when the caller barges in, and
refuses truncations beyond the audio it sent. Every connection is its own `FakeSession`, so one
fake serves many concurrent calls.

Scripting, from a test::

    async with FakeGrok() as fake:
        fake.on_response(say="Hi, is this Ace Plumbing?", audio_ms=1200)   # the greeting
        fake.on_response(say="Great, thanks. Goodbye!", end_call="agreed")  # after a reply
        agent = GrokAgent(fake.url, fake.api_key, "Rex", "…")
        await agent.start()
        session = await fake.wait_session()
        await session.provider_says("we charge two hundred")  # VAD, transcripts, then reply
        ...
        assert session.function_outputs[0]["call_id"] == "call_1"

`on_response` queues the answers every session gives, in order, to each `response.create` or
end of caller speech; `on_speech` queues the transcripts for utterances the fake's own VAD
detects in loud input audio (a scripted phone playing a tone). `echo=True` sends input audio
straight back as output audio (the benchmark).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import copy
import itertools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

import numpy as np
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from shared.settings import GROK_REALTIME_MODEL
from tests.fakes.grok_replay import load_recording, replay
from voice_backend.agents.grok_events import PCM24K, WireFormat
from voice_backend.audio import mulaw_to_pcm16, pcm16_to_mulaw

DEFAULT_API_KEY: Final = "xai-test-key"
_VOICED_RMS: Final = 500.0  # 16-bit PCM RMS above which a chunk counts as speech
_SPEECH_START_MS: Final = 60.0
#: Client events xAI does not list among its documented ones.
_UNDOCUMENTED: Final = frozenset({"conversation.item.truncate", "response.cancel"})
_QUIET_EVENTS: Final = frozenset(
    {"input_audio_buffer.append", "response.output_audio.delta", "response.audio.delta"}
)


@dataclass(frozen=True)
class ScriptedResponse:
    """One model turn: speech (`say`, `audio_ms` of tone), then optionally `end_call`.

    `audio_ms` None gives 300 ms per word. `transcript_in_done=False` leaves the text out of
    `response.output_audio_transcript.done`, as xAI sometimes does.
    """

    say: str = ""
    audio_ms: int | None = None
    end_call: str | None = None
    transcript_in_done: bool = True

    @property
    def duration_ms(self) -> int:
        """How much audio the turn carries."""
        return self.audio_ms if self.audio_ms is not None else 300 * len(self.say.split())


class _Signal:
    """Wakes waiters whenever recorded state changes, so tests wait on events, not on sleeps."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Something changed: re-check every waiter's predicate."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait_until(self, predicate: Callable[[], bool], what: str, within: float) -> None:
        """Return once `predicate()` holds; `TimeoutError` naming `what` after `within` s."""
        try:
            async with asyncio.timeout(within):
                while not predicate():
                    await self._event.wait()
        except TimeoutError:
            raise TimeoutError(f"timed out after {within:g} s waiting for {what}") from None


@dataclass
class _Vad:
    """The fake's server VAD: loud chunks start an utterance, enough quiet ends it."""

    voiced_ms: float = 0.0
    quiet_ms: float = 0.0
    item_id: str | None = None


@dataclass
class _Script:
    """Scripted answers and utterance transcripts shared by every session (each has a cursor)."""

    responses: list[ScriptedResponse] = field(default_factory=list)
    utterances: list[str] = field(default_factory=list)


def _bytes_per_ms(fmt: WireFormat) -> int:
    return 48 if fmt.type == "audio/pcm" else 8


def _tone(fmt: WireFormat, ms: int) -> bytes:
    """`ms` of a 440 Hz tone in `fmt` (what the "model" says)."""
    rate = 24000 if fmt.type == "audio/pcm" else 8000
    t = np.arange(rate * ms // 1000) / rate
    pcm = (np.sin(2 * math.pi * 440 * t) * 8000).astype("<i2").tobytes()
    return pcm if fmt.type == "audio/pcm" else pcm16_to_mulaw(pcm)


def _rms(fmt: WireFormat, audio: bytes) -> float:
    pcm = audio if fmt.type == "audio/pcm" else mulaw_to_pcm16(audio)
    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float64)
    return float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0


def _format_of(session: dict[str, Any], direction: str) -> WireFormat:
    # Like xAI: only the nested format counts; anything else leaves the 24 kHz PCM default.
    fmt = session.get("audio", {}).get(direction, {}).get("format")
    if isinstance(fmt, dict) and fmt.get("type") in ("audio/pcmu", "audio/pcma"):
        return WireFormat(fmt["type"])
    if isinstance(fmt, dict) and fmt.get("type") == "audio/pcm":
        return WireFormat("audio/pcm", int(fmt.get("rate", 24000)))
    return PCM24K


class FakeSession:
    """One client connection (one call): what it sent, and commands to script the server side."""

    def __init__(self, fake: FakeGrok, connection: ServerConnection, number: int) -> None:
        self._fake = fake
        self._ws = connection
        self.id = f"sess_{number}"
        self._ids = itertools.count(1)
        self._cursor = itertools.count()  # position in the fake's shared response script
        self._utterance_cursor = itertools.count()
        self._own_responses: list[ScriptedResponse] = []
        self._response_task: asyncio.Task[None] | None = None
        self._active: tuple[str, str] | None = None  # (response id, item id) being streamed
        self._vad = _Vad()
        self._echo_item = f"item_echo_{number}"
        self.input_format: WireFormat = PCM24K
        self.output_format: WireFormat = PCM24K
        #: The `session` object of the last `session.update`.
        self.config: dict[str, Any] | None = None
        #: Every client event except audio appends, in order.
        self.events: list[dict[str, Any]] = []
        #: ("in" | "out", type) for every event but audio, both directions, in order.
        self.timeline: list[tuple[str, str]] = []
        self.audio_in = bytearray()
        self.appends = 0
        #: Output audio sent per item, in the session's output format, and its length in ms.
        self.audio_out: dict[str, bytearray] = {}
        self.audio_out_ms: dict[str, float] = {}
        self.truncations: list[dict[str, Any]] = []
        self.function_outputs: list[dict[str, Any]] = []
        self.messages: list[str] = []
        self.errors_sent: list[dict[str, Any]] = []
        self.closed = asyncio.Event()
        self._changed = _Signal()

    # --- What the client sent -----------------------------------------------------------------

    def received(self, kind: str) -> list[dict[str, Any]]:
        """The client events of type `kind`, in order."""
        return [event for event in self.events if event["type"] == kind]

    async def wait_for(self, kind: str, count: int = 1, *, within: float = 5.0) -> dict[str, Any]:
        """Wait until `count` client events of type `kind` arrived; return the last of them."""
        await self.wait_until(
            lambda: len(self.received(kind)) >= count, f"{count} x {kind}", within=within
        )
        return self.received(kind)[count - 1]

    async def wait_for_audio(self, nbytes: int, *, within: float = 5.0) -> None:
        """Wait until at least `nbytes` of input audio arrived."""
        await self.wait_until(
            lambda: len(self.audio_in) >= nbytes, f"{nbytes} audio bytes", within=within
        )

    async def wait_until(
        self, predicate: Callable[[], bool], what: str = "condition", *, within: float = 5.0
    ) -> None:
        """Wait until `predicate()` holds (re-checked on every client event and audio chunk)."""
        await self._changed.wait_until(predicate, what, within)

    # --- Script -------------------------------------------------------------------------------

    def on_response(self, say: str = "", audio_ms: int | None = None, **options: Any) -> None:
        """Queue an answer for this session only (before the fake's shared ones)."""
        self._own_responses.append(ScriptedResponse(say, audio_ms, **options))

    async def respond(self, say: str = "", audio_ms: int | None = None, **options: Any) -> None:
        """Stream a response now and wait until it has been sent (or cancelled)."""
        self._start_response(ScriptedResponse(say, audio_ms, **options))
        if self._response_task is not None:
            await asyncio.shield(self._response_task)

    async def provider_says(
        self, text: str, item_id: str | None = None, *, respond: bool = True
    ) -> str:
        """The caller says `text`: VAD events, a partial then a final transcript, a reply.

        Interrupts (cancels) a response being streamed, as server VAD does. The reply is the
        next scripted response, if any. Returns the utterance's item id.
        """
        item_id = item_id or self._new_id("item")
        await self._speech_started(item_id)
        await self._speech_stopped(item_id, text, respond=respond)
        return item_id

    async def request_end_call(self, reason: str = "done", call_id: str | None = None) -> str:
        """The model calls `end_call` (in a response of its own); returns the call id."""
        call_id = call_id or self._new_id("call")
        response_id, item_id = self._new_id("resp"), self._new_id("item")
        await self.send({"type": "response.created", "response": {"id": response_id}})
        await self._send_end_call(response_id, item_id, call_id, reason)
        await self.send(_response_done(response_id, "completed"))
        return call_id

    async def send_error(
        self, code: str, message: str = "scripted error", error_type: str = "server_error"
    ) -> None:
        """Send an `error` event."""
        error = {"type": error_type, "code": code, "message": message}
        self.errors_sent.append(error)
        await self.send({"type": "error", "event_id": self._new_id("event"), "error": error})

    async def send(self, event: dict[str, Any]) -> None:
        """Send any server event as is."""
        if event["type"] not in _QUIET_EVENTS:
            self.timeline.append(("out", event["type"]))
        with contextlib.suppress(ConnectionClosed):
            await self._ws.send(json.dumps(event))

    async def drop(self) -> None:
        """Cut the TCP connection without a closing handshake (a network failure)."""
        self._cancel_streaming()
        transport = self._ws.transport
        if transport is not None:
            transport.abort()
        await self.closed.wait()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the WebSocket cleanly from the server side."""
        self._cancel_streaming()
        await self._ws.close(code, reason)

    # --- Serving ------------------------------------------------------------------------------

    async def run(self) -> None:
        """Serve the connection until it closes."""
        player: asyncio.Task[None] | None = None
        try:
            if self._fake.replay is not None:
                player = asyncio.create_task(self._replay(self._fake.replay))
            else:
                await self.send(
                    {"type": "conversation.created", "conversation": {"id": f"conv_{self.id}"}}
                )
            async for frame in self._ws:
                await self._on_frame(frame)
        except ConnectionClosed:
            pass
        finally:
            if player is not None:
                player.cancel()
            self._cancel_streaming()
            self.closed.set()
            self._changed.notify()

    async def _on_frame(self, frame: str | bytes) -> None:
        try:
            event = json.loads(frame)
            kind = event["type"]
        except (ValueError, KeyError, TypeError):
            await self.send_error(
                "invalid_json", "could not parse the event", "invalid_request_error"
            )
            return
        if kind == "input_audio_buffer.append":
            await self._on_append(event)
            return
        self.events.append(event)
        self.timeline.append(("in", kind))
        self._changed.notify()
        if self._fake.replay is not None:
            return  # the recording answers, not the script
        if kind in _UNDOCUMENTED and self._fake.undocumented_error is not None:
            if kind == "conversation.item.truncate":
                self.truncations.append(event)
            # The message names nothing of ours: only its timing ties it to the event.
            await self.send_error(
                "unknown_event", "Unknown event type", self._fake.undocumented_error
            )
            return
        handler = self._handlers().get(kind)
        if handler is None:
            await self.send_error("unknown_event", f"unknown event {kind}", "invalid_request_error")
        else:
            await handler(event)

    def _handlers(self) -> dict[str, Callable[[dict[str, Any]], Any]]:
        return {
            "session.update": self._on_session_update,
            "response.create": self._on_response_create,
            "response.cancel": self._on_response_cancel,
            "conversation.item.truncate": self._on_truncate,
            "conversation.item.create": self._on_item_create,
            "input_audio_buffer.commit": _ignore,
            "input_audio_buffer.clear": _ignore,
        }

    async def _on_session_update(self, event: dict[str, Any]) -> None:
        requested = event.get("session") or {}
        self.config = requested
        self._fake.changed.notify()
        if self._fake.ignore_formats:
            self.input_format = self.output_format = PCM24K
        else:
            self.input_format = _format_of(requested, "input")
            self.output_format = _format_of(requested, "output")
        if not self._fake.answer_session_update:
            return
        if self._fake.session_updated_delay:
            await asyncio.sleep(self._fake.session_updated_delay)
        applied = copy.deepcopy(requested)
        applied.pop("input_audio_format", None)  # flat OpenAI fields: silently dropped
        applied.pop("output_audio_format", None)
        audio = applied.setdefault("audio", {})
        audio.setdefault("input", {})["format"] = self.input_format.to_json()
        audio.setdefault("output", {})["format"] = self.output_format.to_json()
        applied["id"] = self.id
        if not self._fake.echo_formats:
            applied.pop("audio", None)
        await self.send({"type": "session.updated", "session": applied})

    async def _on_response_create(self, event: dict[str, Any]) -> None:
        if self._active is not None:
            await self.send_error(
                "conversation_already_has_active_response",
                f"Conversation already has an active response in progress: {self._active[0]}",
                "invalid_request_error",
            )
            return
        self._start_response(self._next_response() or ScriptedResponse())

    async def _on_response_cancel(self, event: dict[str, Any]) -> None:
        if self._active is None:
            await self.send_error(
                "response_cancel_not_active",
                "Cancellation failed: no active response found",
                "invalid_request_error",
            )
            return
        await self._interrupt()

    async def _on_truncate(self, event: dict[str, Any]) -> None:
        self.truncations.append(event)
        item_id, end_ms = event.get("item_id"), event.get("audio_end_ms")
        sent_ms = self.audio_out_ms.get(item_id) if isinstance(item_id, str) else None
        if sent_ms is None:
            await self.send_error("item_not_found", f"no item {item_id}", "invalid_request_error")
        elif not isinstance(end_ms, int) or end_ms < 0 or end_ms > sent_ms:
            await self.send_error(
                "invalid_value",
                f"Audio content of {sent_ms:.0f}ms is already shorter than {end_ms}ms",
                "invalid_request_error",
            )
        else:
            await self.send({**event, "type": "conversation.item.truncated"})

    async def _on_item_create(self, event: dict[str, Any]) -> None:
        item = event.get("item") or {}
        if item.get("type") == "function_call_output":
            self.function_outputs.append(item)
        elif item.get("type") == "message":
            self.messages.extend(
                part.get("text", "") for part in item.get("content", []) if isinstance(part, dict)
            )
        await self.send({"type": "conversation.item.added", "item": item})

    async def _on_append(self, event: dict[str, Any]) -> None:
        try:
            audio = base64.b64decode(event.get("audio", ""), validate=True)
        except (binascii.Error, ValueError):
            await self.send_error("invalid_audio", "audio is not base64", "invalid_request_error")
            return
        self.appends += 1
        if self._fake.record_audio:
            self.audio_in += audio
        self._changed.notify()
        if self._fake.echo:
            await self.send(self._audio_delta("resp_echo", self._echo_item, audio))
        elif self._fake.vad:
            await self._detect_speech(audio)

    # --- Caller speech (server VAD) -----------------------------------------------------------

    async def _detect_speech(self, audio: bytes) -> None:
        ms = len(audio) / _bytes_per_ms(self.input_format)
        vad = self._vad
        if _rms(self.input_format, audio) >= _VOICED_RMS:
            vad.voiced_ms += ms
            vad.quiet_ms = 0.0
            if vad.item_id is None and vad.voiced_ms >= _SPEECH_START_MS:
                vad.item_id = self._new_id("item")
                await self._speech_started(vad.item_id)
        elif vad.item_id is not None:
            vad.quiet_ms += ms
            if vad.quiet_ms >= self._fake.vad_silence_ms:
                item_id, vad.item_id, vad.voiced_ms = vad.item_id, None, 0.0
                await self._speech_stopped(item_id, self._next_utterance())
        else:
            vad.voiced_ms = 0.0

    async def _speech_started(self, item_id: str) -> None:
        await self.send({"type": "input_audio_buffer.speech_started", "item_id": item_id})
        if self._active is not None:
            await self._interrupt()  # server VAD interrupts the model when the caller talks

    async def _speech_stopped(self, item_id: str, text: str, *, respond: bool = True) -> None:
        await self.send({"type": "input_audio_buffer.speech_stopped", "item_id": item_id})
        await self.send({"type": "input_audio_buffer.committed", "item_id": item_id})
        words = text.split()
        kind = "conversation.item.input_audio_transcription.completed"
        if len(words) > 1:  # xAI's partials use the `.completed` event with in_progress status
            partial = " ".join(words[: len(words) // 2])
            await self.send(
                {"type": kind, "item_id": item_id, "transcript": partial, "status": "in_progress"}
            )
        await self.send(
            {"type": kind, "item_id": item_id, "transcript": text, "status": "completed"}
        )
        scripted = self._next_response() if respond else None
        if scripted is not None and self._active is None:
            self._start_response(scripted)

    def _next_utterance(self) -> str:
        utterances = self._fake.script.utterances
        index = next(self._utterance_cursor)
        return utterances[index] if index < len(utterances) else "(unscripted speech)"

    # --- Model responses ----------------------------------------------------------------------

    def _next_response(self) -> ScriptedResponse | None:
        if self._own_responses:
            return self._own_responses.pop(0)
        shared = self._fake.script.responses
        index = next(self._cursor)
        if index < len(shared):
            return shared[index]
        self._cursor = itertools.count(index)  # stay put until more are scripted
        return None

    def _start_response(self, scripted: ScriptedResponse) -> None:
        response_id, item_id = self._new_id("resp"), self._new_id("item")
        self._active = (response_id, item_id)
        self._response_task = asyncio.create_task(self._stream(scripted, response_id, item_id))

    async def _stream(self, scripted: ScriptedResponse, response_id: str, item_id: str) -> None:
        await self.send({"type": "response.created", "response": {"id": response_id}})
        ids = {"response_id": response_id, "item_id": item_id}
        await self.send(
            {
                "type": "response.output_item.added",
                "response_id": response_id,
                "item": {"id": item_id},
            }
        )
        audio = _tone(self.output_format, scripted.duration_ms)
        size = self._fake.chunk_bytes or self._fake.chunk_ms * _bytes_per_ms(self.output_format)
        chunks = [audio[start : start + size] for start in range(0, len(audio), size)] or [b""]
        words = scripted.say.split()
        for index, chunk in enumerate(chunks):
            if chunk:
                await self.send(self._audio_delta(response_id, item_id, chunk))
                self.audio_out.setdefault(item_id, bytearray()).extend(chunk)
                sent_ms = len(chunk) / _bytes_per_ms(self.output_format)
                self.audio_out_ms[item_id] = self.audio_out_ms.get(item_id, 0.0) + sent_ms
            first, spoken = _share(words, index, len(chunks))
            if spoken:
                text = " ".join(spoken) if first == 0 else " " + " ".join(spoken)
                await self.send(
                    {"type": "response.output_audio_transcript.delta", **ids, "delta": text}
                )
            await asyncio.sleep(self._fake.chunk_ms / 1000 * self._fake.pace)
        await self.send({"type": "response.output_audio.done", **ids})
        done: dict[str, Any] = {"type": "response.output_audio_transcript.done", **ids}
        if scripted.transcript_in_done:
            done["transcript"] = scripted.say
        await self.send(done)
        await self.send({"type": "response.output_item.done", **ids})
        if scripted.end_call is not None:
            await self._send_end_call(response_id, self._new_id("item"), None, scripted.end_call)
        self._active = None
        await self.send(_response_done(response_id, "completed"))

    async def _send_end_call(
        self, response_id: str, item_id: str, call_id: str | None, reason: str
    ) -> None:
        await self.send(
            {
                "type": "response.function_call_arguments.done",
                "response_id": response_id,
                "item_id": item_id,
                "call_id": call_id or self._new_id("call"),
                "name": "end_call",
                "arguments": json.dumps({"reason": reason}),
            }
        )

    async def _interrupt(self) -> None:
        """Cancel the response being streamed and report it cancelled."""
        active, task = self._active, self._response_task
        self._active = None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if active is not None:
            await self.send(_response_done(active[0], "cancelled"))

    def _cancel_streaming(self) -> None:
        if self._response_task is not None and not self._response_task.done():
            self._response_task.cancel()

    def _audio_delta(self, response_id: str, item_id: str, audio: bytes) -> dict[str, Any]:
        return {
            "type": self._fake.audio_event,
            "response_id": response_id,
            "item_id": item_id,
            "output_index": 0,
            "content_index": 0,
            "delta": base64.b64encode(audio).decode("ascii"),
        }

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids)}"

    async def _replay(self, events: list[dict[str, Any]]) -> None:
        async def client_sent(kind: str, count: int) -> None:
            await self.wait_until(
                lambda: len(self.received(kind)) >= count, f"{kind} to replay", within=30.0
            )

        await replay(events, self.send, client_sent, gap=self._fake.replay_gap)


async def _ignore(event: dict[str, Any]) -> None:
    return None


def _share(words: list[str], index: int, parts: int) -> tuple[int, list[str]]:
    """The words spoken during chunk `index` of `parts` (spread evenly, all by the end),
    with the position of the first of them."""
    start, end = len(words) * index // parts, len(words) * (index + 1) // parts
    return start, words[start:end]


def _response_done(response_id: str, status: str) -> dict[str, Any]:
    return {
        "type": "response.done",
        "response": {"id": response_id, "object": "realtime.response", "status": status},
    }


class FakeGrok:
    """The fake server. Use as `async with FakeGrok(...) as fake:`; connect to `fake.url`.

    Options: `api_key` and `model` the handshake must carry; `ignore_formats` answers every
    `session.update` with 24 kHz PCM (the real API's reaction to formats it did not take);
    `answer_session_update=False` never confirms a session; `session_updated_delay` seconds
    before confirming; `echo` returns input audio as output audio; `vad` turns loud input audio
    into caller utterances; `vad_silence_ms` of quiet end one; `chunk_ms` / `chunk_bytes` size
    the audio deltas; `pace` 1.0 streams them in real time (0: as fast as possible);
    `audio_event` names the delta event (`response.audio.delta` is the older name);
    `record_audio=False` keeps no input audio (long benchmarks); `echo_formats=False` confirms a
    session without naming its audio formats (xAI does not document that it names them);
    `undocumented_error` answers the client events xAI does not document (truncate, cancel)
    with an `error` of that type instead of acting on them; `replay` (a recording's file name
    in `tests/fakes/sessions/`, a path, or a list of events) plays a recorded session instead
    of the script, `replay_gap` seconds between its events (see `grok_replay`).
    """

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        model: str = GROK_REALTIME_MODEL,
        ignore_formats: bool = False,
        answer_session_update: bool = True,
        session_updated_delay: float = 0.0,
        echo: bool = False,
        vad: bool = True,
        vad_silence_ms: float = 400.0,
        chunk_ms: int = 100,
        chunk_bytes: int | None = None,
        pace: float = 0.0,
        audio_event: str = "response.output_audio.delta",
        record_audio: bool = True,
        echo_formats: bool = True,
        undocumented_error: str | None = None,
        replay: str | Path | list[dict[str, Any]] | None = None,
        replay_gap: float = 0.0,
    ) -> None:
        self.api_key = api_key
        self.model = model
        self.ignore_formats = ignore_formats
        self.answer_session_update = answer_session_update
        self.session_updated_delay = session_updated_delay
        self.echo = echo
        self.vad = vad
        self.vad_silence_ms = vad_silence_ms
        self.chunk_ms = chunk_ms
        self.chunk_bytes = chunk_bytes
        self.pace = pace
        self.audio_event = audio_event
        self.record_audio = record_audio
        self.echo_formats = echo_formats
        self.undocumented_error = undocumented_error
        self.replay = load_recording(replay) if isinstance(replay, str | Path) else replay
        self.replay_gap = replay_gap
        self.script = _Script()
        self.sessions: list[FakeSession] = []
        #: Why handshakes were refused ("bad key", "bad model …", "bad path …").
        self.rejected: list[str] = []
        self._server: Server | None = None
        self._numbers = itertools.count(1)
        #: Notified when a session connects or is configured.
        self.changed = _Signal()

    async def __aenter__(self) -> FakeGrok:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Listen on a free loopback port."""
        self._server = await serve(
            self._handle,
            "127.0.0.1",
            0,
            process_request=self._check_handshake,
            compression=None,
            max_size=16 * 1024 * 1024,
        )

    async def stop(self) -> None:
        """Close every session and stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    @property
    def port(self) -> int:
        """The port listened on."""
        if self._server is None:
            raise RuntimeError("the fake is not running")
        return int(next(iter(self._server.sockets)).getsockname()[1])

    @property
    def base_url(self) -> str:
        """`ws://127.0.0.1:PORT/v1/realtime` without the model."""
        return f"ws://127.0.0.1:{self.port}/v1/realtime"

    @property
    def url(self) -> str:
        """The realtime URL to hand the agent (with `?model=`)."""
        return f"{self.base_url}?model={self.model}"

    # --- Script -------------------------------------------------------------------------------

    def on_response(
        self,
        say: str = "",
        audio_ms: int | None = None,
        *,
        end_call: str | None = None,
        transcript_in_done: bool = True,
    ) -> None:
        """Queue the next answer every session gives (greeting first, then after each turn)."""
        self.script.responses.append(ScriptedResponse(say, audio_ms, end_call, transcript_in_done))

    def on_speech(self, *transcripts: str) -> None:
        """Queue what the caller says in the utterances the fake's VAD detects, in order."""
        self.script.utterances.extend(transcripts)

    @property
    def session(self) -> FakeSession:
        """The latest session (the only one, in single-call tests)."""
        if not self.sessions:
            raise LookupError("no client has connected")
        return self.sessions[-1]

    async def wait_session(self, index: int = 0, *, within: float = 5.0) -> FakeSession:
        """Wait until session number `index` (from 0) has connected and sent its config."""
        await self.changed.wait_until(
            lambda: len(self.sessions) > index and self.sessions[index].config is not None,
            f"session {index}",
            within,
        )
        return self.sessions[index]

    # Shortcuts on the latest session, for single-call tests.

    async def provider_says(self, text: str, item_id: str | None = None, **kw: Any) -> str:
        """`FakeSession.provider_says` on the latest session."""
        return await self.session.provider_says(text, item_id, **kw)

    async def request_end_call(self, reason: str = "done", call_id: str | None = None) -> str:
        """`FakeSession.request_end_call` on the latest session."""
        return await self.session.request_end_call(reason, call_id)

    async def send_error(self, code: str, message: str = "scripted error", **kw: Any) -> None:
        """`FakeSession.send_error` on the latest session."""
        await self.session.send_error(code, message, **kw)

    async def drop(self) -> None:
        """`FakeSession.drop` on the latest session."""
        await self.session.drop()

    # --- Serving ------------------------------------------------------------------------------

    def _check_handshake(self, connection: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            self.rejected.append("bad key")
            return connection.respond(HTTPStatus.UNAUTHORIZED, "Incorrect API key provided\n")
        if parts.path != "/v1/realtime":
            self.rejected.append(f"bad path {parts.path}")
            return connection.respond(HTTPStatus.NOT_FOUND, "Not found\n")
        models = parse_qs(parts.query).get("model")
        if models != [self.model]:
            self.rejected.append(f"bad model {models}")
            return connection.respond(HTTPStatus.BAD_REQUEST, "Unknown or missing model\n")
        return None

    async def _handle(self, connection: ServerConnection) -> None:
        session = FakeSession(self, connection, next(self._numbers))
        self.sessions.append(session)
        self.changed.notify()
        await session.run()
