"""Grok Realtime (xAI Voice Agent API) wire events, parsed once at the edge.

Server events arrive as JSON text frames; `parse_server_event` turns each into one small frozen
dataclass (audio checked as base64 but kept as text until someone needs its bytes), `Unknown`
for types we do not use and `Malformed` for frames we cannot read, so the agent never indexes
into raw dictionaries. The client events we send are built in `grok_client_events`.

xAI's session shape differs from OpenAI's: `voice`, `instructions` and `turn_detection` sit at
the top level of `session`, while the audio formats are nested under `audio.input.format` and
`audio.output.format`. Flat OpenAI fields (`input_audio_format`) are ignored silently, which is
why the agent checks the formats echoed back in `session.updated`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import orjson

from voice_backend.wire_audio import ItemAudio, is_base64

#: `audio/pcm` without a `rate` means 24 kHz (xAI's documented default).
DEFAULT_PCM_RATE: Final = 24000

#: The one tool the agent has: it calls it once it has said goodbye.
END_CALL_TOOL_NAME: Final = "end_call"


@dataclass(frozen=True)
class WireFormat:
    """An audio format as Grok names it: `audio/pcmu`, `audio/pcma`, or `audio/pcm` at `rate`."""

    type: str
    rate: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The `format` object of `session.audio.input` / `.output`."""
        return {"type": self.type} if self.rate is None else {"type": self.type, "rate": self.rate}

    def matches(self, other: WireFormat | None) -> bool:
        """Whether `other` (what the server confirmed) is this format."""
        if other is None or other.type != self.type:
            return False
        if self.type != "audio/pcm":
            return True  # G.711 formats are always 8 kHz
        return (self.rate or DEFAULT_PCM_RATE) == (other.rate or DEFAULT_PCM_RATE)

    def describe(self) -> str:
        """Human-readable, for error messages: `audio/pcm 24000 Hz`."""
        return self.type if self.rate is None else f"{self.type} {self.rate} Hz"


#: μ-law 8 kHz both ways: Twilio's own format, no conversion at all.
PCMU: Final = WireFormat("audio/pcmu")
#: 16-bit little-endian PCM at 24 kHz (the original's format).
PCM24K: Final = WireFormat("audio/pcm", DEFAULT_PCM_RATE)


# --- Server events -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionCreated:
    """`session.created`: the server opened the session."""


@dataclass(frozen=True)
class ConversationCreated:
    """`conversation.created`: xAI's first message on a new connection."""


@dataclass(frozen=True)
class SessionUpdated:
    """`session.updated`: the configuration the server actually applied."""

    input_format: WireFormat | None
    output_format: WireFormat | None
    voice: str | None = None


@dataclass(frozen=True)
class ResponseCreated:
    """`response.created`: the model started a turn."""

    response_id: str | None


class AudioDelta(ItemAudio):
    """`response.output_audio.delta` (older name `response.audio.delta`): the delta as sent
    (`b64`), and its bytes (`audio`) decoded on first use."""

    __slots__ = ()

    @property
    def audio(self) -> bytes:
        """The audio bytes, in the session's output format."""
        return self.payload


@dataclass(frozen=True)
class AudioDone:
    """`response.output_audio.done`: all audio of an item has been sent."""

    item_id: str | None
    response_id: str | None


@dataclass(frozen=True)
class TranscriptDelta:
    """`response.output_audio_transcript.delta`: a piece of what the agent is saying."""

    delta: str
    item_id: str | None
    response_id: str | None


@dataclass(frozen=True)
class TranscriptDone:
    """`response.output_audio_transcript.done`; `transcript` may be missing or empty."""

    transcript: str | None
    item_id: str | None
    response_id: str | None


@dataclass(frozen=True)
class InputTranscription:
    """What the caller said in item `item_id`.

    xAI streams partials through `conversation.item.input_audio_transcription.completed` with
    `status: "in_progress"` (and `.updated` when a transcription model is set); only a
    `completed` status (or none at all) is final.
    """

    item_id: str
    transcript: str
    final: bool


@dataclass(frozen=True)
class SpeechStarted:
    """`input_audio_buffer.speech_started`: server VAD heard the caller begin to speak."""

    item_id: str | None
    audio_start_ms: int | None = None


@dataclass(frozen=True)
class SpeechStopped:
    """`input_audio_buffer.speech_stopped`: the caller paused long enough to end a turn."""

    item_id: str | None
    audio_end_ms: int | None = None


@dataclass(frozen=True)
class FunctionCall:
    """`response.function_call_arguments.done`: the model called a tool."""

    call_id: str
    name: str
    arguments: str
    item_id: str | None = None
    response_id: str | None = None

    def argument(self, key: str) -> str | None:
        """One string argument, or None when absent or the arguments are not a JSON object."""
        try:
            parsed = json.loads(self.arguments) if self.arguments else {}
        except ValueError:
            return None
        value = parsed.get(key) if isinstance(parsed, dict) else None
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class ResponseDone:
    """`response.done`: the turn ended (`status` completed, cancelled, failed, …)."""

    response_id: str | None
    status: str | None


@dataclass(frozen=True)
class ServerError:
    """`error`: `{error: {type, code, message}}`."""

    type: str | None
    code: str | None
    message: str
    event_id: str | None = None

    def describe(self) -> str:
        """One line for logs and failure messages (never includes our own payloads)."""
        label = "/".join(part for part in (self.type, self.code) if part) or "error"
        return f"{label}: {self.message}"


@dataclass(frozen=True)
class Truncated:
    """`conversation.item.truncated`: the server accepted a truncation (OpenAI-style; xAI does
    not document it)."""

    item_id: str | None


@dataclass(frozen=True)
class Ping:
    """`ping`: xAI's keep-alive; nothing to do."""


@dataclass(frozen=True)
class Unknown:
    """A well-formed event of a type we do not use (lifecycle chatter, new features)."""

    type: str


@dataclass(frozen=True)
class Malformed:
    """A frame we could not read; `reason` says why (without echoing the payload)."""

    type: str | None
    reason: str


ServerEvent = (
    SessionCreated
    | ConversationCreated
    | SessionUpdated
    | ResponseCreated
    | AudioDelta
    | AudioDone
    | TranscriptDelta
    | TranscriptDone
    | InputTranscription
    | SpeechStarted
    | SpeechStopped
    | FunctionCall
    | ResponseDone
    | ServerError
    | Truncated
    | Ping
    | Unknown
    | Malformed
)


class _BadEvent(ValueError):
    """Raised inside the parsers; becomes `Malformed`."""


def _str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _required_str(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise _BadEvent(f"missing string field {key!r}")
    return value


def _int(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dict(data: dict[str, Any] | None, key: str) -> dict[str, Any]:
    value = data.get(key) if data is not None else None
    return value if isinstance(value, dict) else {}


def _wire_format(direction: dict[str, Any]) -> WireFormat | None:
    fmt = direction.get("format")
    if isinstance(fmt, dict) and isinstance(fmt.get("type"), str):
        return WireFormat(fmt["type"], _int(fmt, "rate"))
    return None


def _session_updated(data: dict[str, Any]) -> SessionUpdated:
    session = _dict(data, "session")
    audio = _dict(session, "audio")
    return SessionUpdated(
        input_format=_wire_format(_dict(audio, "input")),
        output_format=_wire_format(_dict(audio, "output")),
        voice=_str(session, "voice"),
    )


def _audio_delta(data: dict[str, Any]) -> AudioDelta:
    encoded = _required_str(data, "delta")
    if not is_base64(encoded):
        raise _BadEvent("audio delta is not valid base64")
    return AudioDelta(
        item_id=_str(data, "item_id"), response_id=_str(data, "response_id"), b64=encoded
    )


def _input_transcription(data: dict[str, Any]) -> InputTranscription:
    # A missing status counts as final: OpenAI-style servers send `.completed` only once.
    final = data["type"].endswith(".completed") and _str(data, "status") in (None, "completed")
    return InputTranscription(
        item_id=_required_str(data, "item_id"),
        transcript=_str(data, "transcript") or "",
        final=final,
    )


def _server_error(data: dict[str, Any]) -> ServerError:
    error = _dict(data, "error")
    return ServerError(
        type=_str(error, "type"),
        code=_str(error, "code"),
        message=_str(error, "message") or "no message",
        event_id=_str(error, "event_id") or _str(data, "event_id"),
    )


def _function_call(data: dict[str, Any]) -> FunctionCall:
    return FunctionCall(
        call_id=_required_str(data, "call_id"),
        name=_required_str(data, "name"),
        arguments=_str(data, "arguments") or "",
        item_id=_str(data, "item_id"),
        response_id=_str(data, "response_id"),
    )


def _response_id(data: dict[str, Any]) -> str | None:
    return _str(_dict(data, "response"), "id") or _str(data, "response_id")


def _ids(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """`(item_id, response_id)`, the order the per-item events take them in."""
    return _str(data, "item_id"), _str(data, "response_id")


def _transcript_delta(data: dict[str, Any]) -> TranscriptDelta:
    return TranscriptDelta(_str(data, "delta") or "", *_ids(data))


def _transcript_done(data: dict[str, Any]) -> TranscriptDone:
    return TranscriptDone(_str(data, "transcript"), *_ids(data))


# Older event names (`response.audio.*`) are still accepted: some deployments send them.
_PARSERS: Final[dict[str, Callable[[dict[str, Any]], ServerEvent]]] = {
    "session.created": lambda d: SessionCreated(),
    "conversation.created": lambda d: ConversationCreated(),
    "session.updated": _session_updated,
    "response.created": lambda d: ResponseCreated(_response_id(d)),
    "response.output_audio.delta": _audio_delta,
    "response.audio.delta": _audio_delta,
    "response.output_audio.done": lambda d: AudioDone(*_ids(d)),
    "response.audio.done": lambda d: AudioDone(*_ids(d)),
    "response.output_audio_transcript.delta": _transcript_delta,
    "response.audio_transcript.delta": _transcript_delta,
    "response.output_audio_transcript.done": _transcript_done,
    "response.audio_transcript.done": _transcript_done,
    "conversation.item.input_audio_transcription.completed": _input_transcription,
    "conversation.item.input_audio_transcription.updated": _input_transcription,
    "input_audio_buffer.speech_started": lambda d: SpeechStarted(
        _str(d, "item_id"), _int(d, "audio_start_ms")
    ),
    "input_audio_buffer.speech_stopped": lambda d: SpeechStopped(
        _str(d, "item_id"), _int(d, "audio_end_ms")
    ),
    "response.function_call_arguments.done": _function_call,
    "response.done": lambda d: ResponseDone(_response_id(d), _str(_dict(d, "response"), "status")),
    "error": _server_error,
    "conversation.item.truncated": lambda d: Truncated(_str(d, "item_id")),
    "ping": lambda d: Ping(),
}


def parse_server_event(frame: str | bytes) -> ServerEvent:
    """Parse one text frame from Grok; never raises."""
    try:
        data = orjson.loads(frame)
    except orjson.JSONDecodeError:
        return Malformed(None, "not JSON")
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        return Malformed(None, "no event type")
    kind: str = data["type"]
    parser = _PARSERS.get(kind)
    if parser is None:
        return Unknown(kind)
    try:
        event: ServerEvent = parser(data)
    except _BadEvent as error:
        return Malformed(kind, str(error))
    return event
