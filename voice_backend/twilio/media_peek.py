"""The lean read of the two Twilio messages a call gets every 20 ms (`media` and `mark`), for
the bridge's frame path: no object built, and a frame in Twilio's own layout matched as text.
`parse` in `media.py` is the full reader, and gives the same answer."""

from __future__ import annotations

import re
from typing import Final

import orjson

from voice_backend.wire_audio import is_base64

#: Twilio's `media` and `mark` frames exactly as it writes them (its key order, no spaces, no
#: escapes): a frame that matches is valid JSON whose payload or name is the group, so the frame
#: path reads it without building a dictionary. Anything else goes through `orjson`.
_MEDIA_FRAME: Final = re.compile(
    r'\{"event":"media","sequenceNumber":"[0-9]+","media":\{"track":"[a-z]+","chunk":"[0-9]+",'
    r'"timestamp":"[0-9]+","payload":"([A-Za-z0-9+/]*={0,2})"\},"streamSid":"[A-Za-z0-9]+"\}'
)
_MARK_FRAME: Final = re.compile(
    r'\{"event":"mark","sequenceNumber":"[0-9]+","mark":\{"name":"([A-Za-z0-9_.:-]+)"\},'
    r'"streamSid":"[A-Za-z0-9]+"\}'
)


def peek(frame: str | bytes) -> tuple[str, str] | None:
    """The lean read of the two messages a call gets every 20 ms, with no object built:
    ("media", its base64 payload, checked with `is_base64`) or ("mark", its name); `None` for
    anything else, malformed or not (read it with `parse`).

    A frame in Twilio's own layout is matched as text; any other layout is parsed as JSON, with
    the same answer."""
    if type(frame) is str:
        match = _MEDIA_FRAME.fullmatch(frame)
        if match is not None:
            payload = match[1]
            if not len(payload) % 4:  # the pattern checked the characters and the padding
                return "media", payload
            return None
        match = _MARK_FRAME.fullmatch(frame)
        if match is not None:
            return "mark", match[1]
    return _peek_json(frame)


def _peek_json(frame: str | bytes) -> tuple[str, str] | None:
    try:
        data = orjson.loads(frame)
    except orjson.JSONDecodeError:
        return None
    if type(data) is not dict:
        return None
    event = data.get("event")
    if event == "media":
        media = data.get("media")
        payload = media.get("payload") if type(media) is dict else None
        if type(payload) is str and is_base64(payload):
            return "media", payload
    elif event == "mark":
        mark = data.get("mark")
        name = mark.get("name") if type(mark) is dict else None
        if type(name) is str and name:
            return "mark", name
    return None
