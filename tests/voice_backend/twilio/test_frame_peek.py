"""The frame path's lean reads: whatever the layout, the same answer as the full parsers."""

from __future__ import annotations

import base64
import json

import pytest

from voice_backend.agents import grok_events, grok_peek
from voice_backend.twilio import media as wire
from voice_backend.twilio import media_peek

SID = "MZ" + "0123456789abcdef" * 2
AUDIO = base64.b64encode(bytes(range(160))).decode()


def _expected(frame: str | bytes) -> tuple[str, str] | None:
    """What `peek` must say: the media payload or mark name `parse` reads, else None."""
    try:
        event = wire.parse(frame)
    except wire.MalformedMessage:
        return None
    if isinstance(event, wire.Media):
        return "media", event.b64
    if isinstance(event, wire.Mark):
        return "mark", event.name
    return None


def _media(**changes: object) -> dict[str, object]:
    message: dict[str, object] = {
        "event": "media",
        "sequenceNumber": "3",
        "media": {"track": "inbound", "chunk": "2", "timestamp": "20", "payload": AUDIO},
        "streamSid": SID,
    }
    return {**message, **changes}


TWILIO_LAYOUT = [
    wire.inbound_media_message(5, SID, 4, AUDIO),
    wire.inbound_media_message(5, SID, 4, ""),
    wire.inbound_media_message(5, SID, 4, "YWI="),
    wire.inbound_media_message(5, SID, 4, "YQ=="),
    wire.mark_echo_message(6, SID, "m12"),
    wire.mark_echo_message(6, SID, "part_1.a:b-c"),
]

OTHER_LAYOUTS = [
    json.dumps(_media()),  # spaces after separators
    json.dumps(_media(), separators=(",", ":"), sort_keys=True),  # another key order
    json.dumps(_media(extra={"x": 1}), separators=(",", ":")),
    wire.inbound_media_message(5, SID, 4, "ab/+").replace("/", "\\/"),  # an escaped slash
    wire.inbound_media_message(5, SID, 4, AUDIO[:-1]),  # not whole groups of four
    wire.inbound_media_message(5, SID, 4, "YQ=a"),  # padding inside
    wire.inbound_media_message(5, SID, 4, "Y===")[:-1],  # cut short: not JSON
    wire.inbound_media_message(5, SID, 4, "YWJj") + " ",
    wire.inbound_media_message(5, SID, 4, "YWJj").replace('"media",', '"media" ,', 1),
    '{"event":"media","event":"stop","sequenceNumber":"1","streamSid":"' + SID + '"}',
    wire.mark_echo_message(6, SID, "m1").replace("m1", "m\\u0031"),  # an escaped name
    wire.mark_echo_message(6, SID, "é"),
    wire.mark_echo_message(6, SID, ""),
    json.dumps({"event": "mark", "mark": {"name": 7}, "streamSid": SID}),
    json.dumps({"event": "media", "media": {"payload": 7}}),
    wire.stop_message(9, SID, account_sid="AC1", call_sid="CA1"),
    wire.connected_message(),
    "[]",
    "not json",
    "",
]


@pytest.mark.parametrize("frame", TWILIO_LAYOUT + OTHER_LAYOUTS)
def test_peek_reads_media_and_marks_as_parse_does(frame: str) -> None:
    assert media_peek.peek(frame) == _expected(frame)
    assert media_peek.peek(frame.encode()) == _expected(frame)


def test_twilio_layout_is_read_without_json_and_anything_else_with_it() -> None:
    for frame in TWILIO_LAYOUT[:4]:
        assert media_peek._MEDIA_FRAME.fullmatch(frame) is not None
    for frame in TWILIO_LAYOUT[4:]:
        assert media_peek._MARK_FRAME.fullmatch(frame) is not None
    for frame in OTHER_LAYOUTS[:3]:  # valid media in another layout: the JSON path reads it
        assert media_peek._MEDIA_FRAME.fullmatch(frame) is None
        assert media_peek.peek(frame) == ("media", AUDIO)
    assert media_peek._MEDIA_FRAME.fullmatch(OTHER_LAYOUTS[3]) is None
    assert media_peek.peek(OTHER_LAYOUTS[3]) == ("media", "ab/+")


def _delta(**fields: object) -> str:
    return json.dumps({"type": "response.output_audio.delta", "delta": "YWJj", **fields})


DELTAS = [
    _delta(item_id="item_1", response_id="resp_1", event_id="e1"),
    _delta(),
    _delta(item_id=7, response_id=None),
    json.dumps({"type": "response.audio.delta", "delta": "YWJj", "item_id": "i"}),
    _delta(delta="%%%%"),
    _delta(delta=7),
    json.dumps({"type": "response.output_audio.delta"}),
    json.dumps({"type": ["response.output_audio.delta"], "delta": "YWJj"}),
    json.dumps({"type": "response.output_audio.done", "item_id": "i"}),
    json.dumps({"type": "response.done", "response": {"id": "r"}}),
    "[1]",
    "{",
]


@pytest.mark.parametrize("frame", DELTAS)
def test_peek_audio_delta_reads_deltas_as_parse_server_event_does(frame: str) -> None:
    event = grok_events.parse_server_event(frame)
    expected = (
        (event.b64, event.item_id, event.response_id)
        if isinstance(event, grok_events.AudioDelta)
        else None
    )
    assert grok_peek.peek_audio_delta(frame) == expected
