"""The lean read of the event a speaking Grok session sends fifty times a second (an audio
delta), for the bridge's frame path: no object built. `parse_server_event` in `grok_events.py`
is the full reader, and gives the same answer."""

from __future__ import annotations

from typing import Final

import orjson

from voice_backend.wire_audio import is_base64

#: The audio delta's names (the older one too).
_AUDIO_DELTA_TYPES: Final = frozenset({"response.output_audio.delta", "response.audio.delta"})


def peek_audio_delta(frame: str | bytes) -> tuple[str, str | None, str | None] | None:
    """The lean read of the event a speaking session sends fifty times a second, with no object
    built: (its base64 audio, item id, response id) for an audio delta `parse_server_event`
    would read as `AudioDelta`; `None` for anything else, malformed or not (read it with
    `parse_server_event`)."""
    try:
        data = orjson.loads(frame)
    except orjson.JSONDecodeError:
        return None
    if type(data) is not dict:
        return None
    kind = data.get("type")
    if type(kind) is not str or kind not in _AUDIO_DELTA_TYPES:
        return None
    encoded = data.get("delta")
    if type(encoded) is not str or not is_base64(encoded):
        return None
    item, response = data.get("item_id"), data.get("response_id")
    return encoded, item if type(item) is str else None, response if type(response) is str else None
