"""Grok Realtime (xAI Voice Agent API) client events: what the agent sends, built here.

Each builder returns the event as a plain dictionary; `encode` turns one into the JSON text of
a WebSocket frame (orjson). Caller audio, sent every 20 ms, has its own string builders that
skip the dictionary: `audio_append_b64` splices Twilio's base64 text straight in (pcmu), and
`audio_append` encodes converted bytes first (pcm24k). Server events are read in `grok_events`.
"""

from __future__ import annotations

import base64
from typing import Any, Final

import orjson

from voice_backend.agents.grok_events import END_CALL_TOOL_NAME, WireFormat

_APPEND_HEAD: Final = '{"type":"input_audio_buffer.append","audio":"'


def encode(event: dict[str, Any]) -> str:
    """The JSON text of one client event."""
    return orjson.dumps(event).decode()


def end_call_tool() -> dict[str, Any]:
    """The flat function tool the agent calls to hang up once its goodbye is said."""
    return {
        "type": "function",
        "name": END_CALL_TOOL_NAME,
        "description": (
            "End the phone call. Call this only after you have said goodbye and the "
            "conversation is over (price agreed, declined, or the provider cannot help)."
        ),
        "parameters": {
            "type": "object",
            "properties": {
                "reason": {
                    "type": "string",
                    "description": "Why the call is ending, in a few words.",
                }
            },
            "required": [],
        },
    }


def session_update(
    *,
    voice: str,
    instructions: str,
    audio_format: WireFormat,
    turn_detection: dict[str, Any] | None = None,
    tools: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """`session.update` in xAI's shape: flat voice/instructions/VAD, nested audio formats.

    Only fields xAI documents: no transcription options (xAI transcribes the caller on its
    own; an undocumented field would be ignored at best). `turn_detection` defaults to server
    VAD.
    """
    return {
        "type": "session.update",
        "session": {
            "voice": voice,
            "instructions": instructions,
            "turn_detection": turn_detection or {"type": "server_vad"},
            "audio": {
                "input": {"format": audio_format.to_json()},
                "output": {"format": audio_format.to_json()},
            },
            "tools": tools if tools is not None else [end_call_tool()],
        },
    }


def audio_append(audio: bytes) -> str:
    """`input_audio_buffer.append` (as JSON text): caller audio in the session's input format."""
    return audio_append_b64(base64.b64encode(audio).decode("ascii"))


def audio_append_b64(audio_b64: str) -> str:
    """`input_audio_buffer.append` (as JSON text) of audio already in base64 (checked with
    `voice_backend.wire_audio.is_base64`, so it needs no escaping)."""
    return _APPEND_HEAD + audio_b64 + '"}'


def truncate(item_id: str, audio_end_ms: int, *, content_index: int = 0) -> dict[str, Any]:
    """`conversation.item.truncate`: the caller heard only the first `audio_end_ms` of it."""
    return {
        "type": "conversation.item.truncate",
        "item_id": item_id,
        "content_index": content_index,
        "audio_end_ms": audio_end_ms,
    }


def response_create() -> dict[str, Any]:
    """`response.create`: ask the model to speak now (the greeting, or after a tool result)."""
    return {"type": "response.create"}


def function_call_output(call_id: str, output: str) -> dict[str, Any]:
    """`conversation.item.create` carrying a `function_call_output` item for `call_id`."""
    return {
        "type": "conversation.item.create",
        "item": {"type": "function_call_output", "call_id": call_id, "output": output},
    }


def user_text(text: str) -> dict[str, Any]:
    """`conversation.item.create` adding a text message to the conversation as the user.

    xAI documents `role: "user"` with `input_text` content; it is how we slip the model a note
    mid-call (a `system` role is not documented for realtime items).
    """
    return {
        "type": "conversation.item.create",
        "item": {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        },
    }
