"""Twilio Media Streams messages, both directions, written once.

Twilio → service: `connected`, `start`, `media`, `mark`, `dtmf`, `stop` (JSON text frames):
`parse` reads them into small typed objects for the service; `connected_message`,
`start_message`, `inbound_media_message`, `mark_echo_message` and `stop_message` build them for
whoever plays Twilio (the simulator, the test stand-ins, the bridge benchmark).

Service → Twilio: `media`, `mark`, `clear`: `media_message`, `mark_message` and `clear_message`
build them for the service; `parse_command` reads them for whoever plays Twilio, and
`peek_command` is its lean form for a load generator that trusts the service's JSON.

Every message Twilio sends after `connected` carries the stream's next `sequenceNumber` and
its `streamSid`, in Twilio's key order: event, sequenceNumber, body, streamSid. Stream SIDs
are Twilio's `MZ` + 32 hex digits, so the builders on the per-frame path put them into the JSON
text as they are.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from voice_backend.wire_audio import Base64Audio, is_base64


class MalformedMessage(ValueError):
    """A frame that is not a valid Media Streams message."""


@dataclass(frozen=True)
class Connected:
    """The socket is open (`connected`)."""


@dataclass(frozen=True)
class Start:
    """The stream started: who it is and what we were handed in `<Parameter>`s."""

    stream_sid: str
    call_sid: str
    account_sid: str
    custom_parameters: dict[str, str] = field(default_factory=dict)
    encoding: str = "audio/x-mulaw"
    sample_rate: int = 8000


class Media(Base64Audio):
    """20 ms (usually) of the provider's audio, μ-law 8 kHz.

    It keeps the base64 text Twilio sent (`b64`): the bytes (`payload`) and the numbers of its
    other fields are read only when asked for, which the bridge's frame path never does.
    """

    __slots__ = ("_chunk", "_timestamp", "track")

    def __init__(
        self, *, b64: str, chunk: object = None, timestamp: object = None, track: object = None
    ) -> None:
        super().__init__(b64=b64)
        self._chunk = chunk
        self._timestamp = timestamp
        self.track = str(track or "inbound")

    @property
    def chunk(self) -> int | None:
        """The frame's number in the stream (from 1), when Twilio sent a valid one."""
        return _number(self._chunk)

    @property
    def timestamp_ms(self) -> int | None:
        """The frame's time in the stream, ms, when Twilio sent a valid one."""
        return _number(self._timestamp)

    def _key(self) -> tuple[object, ...]:
        return (self.payload, self.chunk, self.timestamp_ms, self.track)


def _number(value: object) -> int | None:
    return int(value) if isinstance(value, str | int) and str(value).isdigit() else None


@dataclass(frozen=True)
class Mark:
    """Twilio played the audio sent before our mark `name` (or cleared it)."""

    name: str


@dataclass(frozen=True)
class Dtmf:
    """A key pressed on the provider's phone."""

    digit: str


@dataclass(frozen=True)
class Stop:
    """The stream ended (the call hung up or the stream was stopped)."""


TwilioEvent = Connected | Start | Media | Mark | Dtmf | Stop


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedMessage(f"missing {key}")
    return value


def parse(frame: str | bytes) -> TwilioEvent | None:
    """Parse one frame. Unknown events give `None` (Twilio may add events); malformed ones raise
    `MalformedMessage`."""
    try:
        data = orjson.loads(frame)
    except orjson.JSONDecodeError as error:
        raise MalformedMessage(f"not JSON: {error}") from None
    if type(data) is not dict:
        raise MalformedMessage("not a JSON object")
    event = data.get("event")
    if event == "media":
        return _parse_media(data)
    if event == "start":
        return _parse_start(data)
    if event == "mark":
        mark = data.get("mark")
        if not isinstance(mark, dict):
            raise MalformedMessage("mark without name")
        return Mark(name=_text(mark, "name"))
    if event == "connected":
        return Connected()
    if event == "stop":
        return Stop()
    if event == "dtmf":
        dtmf = data.get("dtmf")
        if not isinstance(dtmf, dict):
            raise MalformedMessage("dtmf without digit")
        return Dtmf(digit=_text(dtmf, "digit"))
    if not isinstance(event, str):
        raise MalformedMessage("no event")
    return None


def _parse_media(data: dict[str, Any]) -> Media:
    media = data.get("media")
    payload = media.get("payload") if type(media) is dict else None
    if type(payload) is not str:
        raise MalformedMessage("media without payload")
    if not is_base64(payload):
        raise MalformedMessage("media payload is not base64")
    assert media is not None
    return Media(
        b64=payload,
        chunk=media.get("chunk"),
        timestamp=media.get("timestamp"),
        track=media.get("track"),
    )


def _parse_start(data: dict[str, Any]) -> Start:
    start = data.get("start")
    if not isinstance(start, dict):
        raise MalformedMessage("start without details")
    parameters = start.get("customParameters") or {}
    if not isinstance(parameters, dict):
        raise MalformedMessage("customParameters is not an object")
    media_format = start.get("mediaFormat") or {}
    return Start(
        stream_sid=_text(start, "streamSid") if "streamSid" in start else _text(data, "streamSid"),
        call_sid=_text(start, "callSid"),
        account_sid=str(start.get("accountSid") or ""),
        custom_parameters={str(k): str(v) for k, v in parameters.items()},
        encoding=str(media_format.get("encoding") or "audio/x-mulaw"),
        sample_rate=int(media_format.get("sampleRate") or 8000),
    )


def media_message(stream_sid: str, payload: bytes) -> str:
    """Audio for Twilio to play: μ-law 8 kHz."""
    return StreamMessages(stream_sid).media(base64.b64encode(payload).decode("ascii"))


class StreamMessages:
    """The service's messages to one stream, with the stream's part of the JSON built once:
    on the frame path a message is then one string concatenation."""

    __slots__ = ("_clear", "_mark", "_media")

    def __init__(self, stream_sid: str) -> None:
        sid = json.dumps(stream_sid)
        self._media = f'{{"event":"media","streamSid":{sid},"media":{{"payload":"'
        self._mark = f'{{"event":"mark","streamSid":{sid},"mark":{{"name":'
        self._clear = f'{{"event":"clear","streamSid":{sid}}}'

    def media(self, payload_b64: str) -> str:
        """Audio for Twilio to play: μ-law 8 kHz as base64 (checked: `is_base64`)."""
        return self._media + payload_b64 + '"}}'

    def mark(self, name: str) -> str:
        """Ask Twilio to tell us when everything sent so far has played."""
        quoted = f'"{name}"' if name.isalnum() else json.dumps(name)  # ours are `m1`, `m2`…
        return self._mark + quoted + "}}"

    def clear(self) -> str:
        """Drop every buffered audio (Twilio then echoes the pending marks)."""
        return self._clear


def mark_message(stream_sid: str, name: str) -> str:
    """Ask Twilio to tell us when everything sent so far has played."""
    return json.dumps({"event": "mark", "streamSid": stream_sid, "mark": {"name": name}})


def clear_message(stream_sid: str) -> str:
    """Drop every buffered audio (Twilio then echoes the pending marks)."""
    return json.dumps({"event": "clear", "streamSid": stream_sid})


# --- Twilio's side: what Twilio sends ----------------------------------------------------------

#: Milliseconds of audio in one `media` frame Twilio sends (160 bytes of μ-law).
FRAME_MS: Final = 20


def connected_message() -> str:
    """The first message on the socket (it has no sequence number)."""
    return '{"event":"connected","protocol":"Call","version":"1.0.0"}'


def start_message(
    sequence: int,
    stream_sid: str,
    *,
    account_sid: str,
    call_sid: str,
    custom_parameters: dict[str, str],
) -> str:
    """`start`: who the stream is and the TwiML's `<Parameter>`s; μ-law 8 kHz, inbound track."""
    start = {
        "streamSid": stream_sid,
        "accountSid": account_sid,
        "callSid": call_sid,
        "tracks": ["inbound"],
        "customParameters": dict(custom_parameters),
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
    }
    return _sequenced("start", sequence, f'"start":{json.dumps(start)}', stream_sid)


def inbound_media_message(sequence: int, stream_sid: str, chunk: int, payload_b64: str) -> str:
    """`media`: frame number `chunk` (from 1) of the callee's audio, already base64; its
    timestamp is the call time at its start, 20 ms per frame."""
    return (
        f'{{"event":"media","sequenceNumber":"{sequence}","media":{{"track":"inbound",'
        f'"chunk":"{chunk}","timestamp":"{(chunk - 1) * FRAME_MS}",'
        f'"payload":"{payload_b64}"}},"streamSid":"{stream_sid}"}}'
    )


def mark_echo_message(sequence: int, stream_sid: str, name: str) -> str:
    """`mark`: the audio sent before the service's mark `name` has played (or was cleared)."""
    return _sequenced("mark", sequence, f'"mark":{{"name":{json.dumps(name)}}}', stream_sid)


def stop_message(sequence: int, stream_sid: str, *, account_sid: str, call_sid: str) -> str:
    """`stop`: the stream ended."""
    stop = json.dumps({"accountSid": account_sid, "callSid": call_sid})
    return _sequenced("stop", sequence, f'"stop":{stop}', stream_sid)


def _sequenced(event: str, sequence: int, body: str, stream_sid: str) -> str:
    return (
        f'{{"event":"{event}","sequenceNumber":"{sequence}",{body},'
        f'"streamSid":{json.dumps(stream_sid)}}}'
    )


# --- Twilio's side: reading what the service sends ---------------------------------------------


@dataclass(frozen=True)
class PlayAudio:
    """`media`: audio to play; `payload` is `None` when it is not valid base64."""

    stream_sid: object
    payload: bytes | None
    raw: dict[str, Any]


@dataclass(frozen=True)
class PlaceMark:
    """`mark`: echo `name` once the audio before it has played; `None` when it has none."""

    stream_sid: object
    name: str | None
    raw: dict[str, Any]


@dataclass(frozen=True)
class ClearAudio:
    """`clear`: drop the queued audio and echo every pending mark."""

    stream_sid: object
    raw: dict[str, Any]


@dataclass(frozen=True)
class UnknownCommand:
    """Any other event (`event` as sent)."""

    stream_sid: object
    event: object
    raw: dict[str, Any]


ServiceCommand = PlayAudio | PlaceMark | ClearAudio | UnknownCommand


def parse_command(frame: str | bytes) -> ServiceCommand:
    """Read one message of the service as Twilio does. `raw` is the decoded JSON object and
    `stream_sid` its `streamSid` as sent, for the caller to check. A binary frame, or text
    that is not a JSON object, raises `MalformedMessage`."""
    if isinstance(frame, bytes):
        raise MalformedMessage("binary frame (Media Streams takes text frames only)")
    try:
        message = orjson.loads(frame)
    except orjson.JSONDecodeError:
        raise MalformedMessage("frame is not JSON") from None
    if not isinstance(message, dict):
        raise MalformedMessage("frame is not a JSON object")
    event, stream_sid = message.get("event"), message.get("streamSid")
    if event == "media":
        media = message.get("media")
        payload = media.get("payload") if isinstance(media, dict) else None
        try:
            audio = base64.b64decode(payload, validate=True) if isinstance(payload, str) else None
        except (binascii.Error, ValueError):
            audio = None
        return PlayAudio(stream_sid, audio, message)
    if event == "mark":
        mark = message.get("mark")
        name = mark.get("name") if isinstance(mark, dict) else None
        return PlaceMark(stream_sid, name if isinstance(name, str) and name else None, message)
    if event == "clear":
        return ClearAudio(stream_sid, message)
    return UnknownCommand(stream_sid, event, message)


def peek_command(frame: str | bytes) -> tuple[str, str]:
    """The lean read of a well-formed service message, decoding no audio: (`media`, its base64
    payload), (`mark`, its name), (`clear`, ""), or (another event, "")."""
    message = orjson.loads(frame)
    event = message.get("event")
    if event == "media":
        return "media", message["media"]["payload"]
    if event == "mark":
        return "mark", message["mark"]["name"]
    return str(event), ""
