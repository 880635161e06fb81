"""Twilio Media Streams messages, parsed once at the edge into small typed objects.

Twilio → us: `connected`, `start`, `media`, `mark`, `dtmf`, `stop` (JSON text frames).
Us → Twilio: `media`, `mark`, `clear`.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any


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


@dataclass(frozen=True)
class Media:
    """20 ms (usually) of the provider's audio, μ-law 8 kHz."""

    payload: bytes
    chunk: int | None = None
    timestamp_ms: int | None = None
    track: str = "inbound"


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
        data = json.loads(frame)
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedMessage(f"not JSON: {error}") from None
    if not isinstance(data, dict):
        raise MalformedMessage("not a JSON object")
    event = data.get("event")
    if event == "media":
        media = data.get("media")
        if not isinstance(media, dict) or not isinstance(media.get("payload"), str):
            raise MalformedMessage("media without payload")
        try:
            payload = base64.b64decode(media["payload"], validate=True)
        except (binascii.Error, ValueError):
            raise MalformedMessage("media payload is not base64") from None
        chunk, timestamp = media.get("chunk"), media.get("timestamp")
        return Media(
            payload=payload,
            chunk=int(chunk) if isinstance(chunk, str | int) and str(chunk).isdigit() else None,
            timestamp_ms=(
                int(timestamp)
                if isinstance(timestamp, str | int) and str(timestamp).isdigit()
                else None
            ),
            track=str(media.get("track") or "inbound"),
        )
    if event == "start":
        start = data.get("start")
        if not isinstance(start, dict):
            raise MalformedMessage("start without details")
        parameters = start.get("customParameters") or {}
        if not isinstance(parameters, dict):
            raise MalformedMessage("customParameters is not an object")
        media_format = start.get("mediaFormat") or {}
        return Start(
            stream_sid=_text(start, "streamSid")
            if "streamSid" in start
            else _text(data, "streamSid"),
            call_sid=_text(start, "callSid"),
            account_sid=str(start.get("accountSid") or ""),
            custom_parameters={str(k): str(v) for k, v in parameters.items()},
            encoding=str(media_format.get("encoding") or "audio/x-mulaw"),
            sample_rate=int(media_format.get("sampleRate") or 8000),
        )
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


def media_message(stream_sid: str, payload: bytes) -> str:
    """Audio for Twilio to play: μ-law 8 kHz."""
    return json.dumps(
        {
            "event": "media",
            "streamSid": stream_sid,
            "media": {"payload": base64.b64encode(payload).decode("ascii")},
        }
    )


def mark_message(stream_sid: str, name: str) -> str:
    """Ask Twilio to tell us when everything sent so far has played."""
    return json.dumps({"event": "mark", "streamSid": stream_sid, "mark": {"name": name}})


def clear_message(stream_sid: str) -> str:
    """Drop every buffered audio (Twilio then echoes the pending marks)."""
    return json.dumps({"event": "clear", "streamSid": stream_sid})
