"""Audio on the two wires: base64 text passed on as it came, checked without decoding it."""

from __future__ import annotations

import base64
import json
import os

import pytest

from voice_backend.agents import grok_client_events as client
from voice_backend.agents import grok_events
from voice_backend.twilio import media as wire
from voice_backend.wire_audio import Base64Audio, decoded_length, is_base64

SID = "MZ" + "0123456789abcdef" * 2


@pytest.mark.parametrize("size", range(12))
def test_base64_text_is_checked_and_measured_without_decoding(size: int) -> None:
    text = base64.b64encode(os.urandom(size)).decode()
    assert is_base64(text)
    assert decoded_length(text) == size


@pytest.mark.parametrize("text", ["%%%%", "AB=C", "A===", "ABC", "AB==AB==", "====", "QUJD\n"])
def test_text_that_is_not_padded_base64_is_refused(text: str) -> None:
    assert not is_base64(text)


def test_audio_compares_by_its_bytes_whichever_form_it_holds() -> None:
    assert Base64Audio(b"abc") == Base64Audio(b64="YWJj")
    assert Base64Audio(b64="YWJj").payload == b"abc"
    assert Base64Audio(b"abc").b64 == "YWJj"
    assert not Base64Audio(b64="")


def test_twilio_media_keeps_the_text_and_decodes_on_demand() -> None:
    payload = base64.b64encode(b"\x7f" * 160).decode()
    event = wire.parse(wire.inbound_media_message(3, SID, 2, payload))
    assert isinstance(event, wire.Media)
    assert event.b64 == payload and event.nbytes == 160
    assert event.payload == b"\x7f" * 160
    assert (event.chunk, event.timestamp_ms, event.track) == (2, 20, "inbound")


def test_twilio_media_with_a_bad_payload_is_malformed() -> None:
    with pytest.raises(wire.MalformedMessage, match="not base64"):
        wire.parse(wire.inbound_media_message(3, SID, 2, "not base64!"))


def test_stream_messages_read_back_as_twilio_reads_them() -> None:
    messages = wire.StreamMessages(SID)
    audio = wire.parse_command(messages.media("YWJj"))
    assert isinstance(audio, wire.PlayAudio)
    assert (audio.stream_sid, audio.payload) == (SID, b"abc")
    for name in ("m7", 'odd "name"'):
        mark = wire.parse_command(messages.mark(name))
        assert isinstance(mark, wire.PlaceMark) and (mark.stream_sid, mark.name) == (SID, name)
    assert isinstance(wire.parse_command(messages.clear()), wire.ClearAudio)
    assert wire.media_message(SID, b"abc") == messages.media("YWJj")


def test_grok_audio_delta_keeps_its_text_and_append_splices_it_in() -> None:
    event = grok_events.parse_server_event(
        json.dumps({"type": "response.output_audio.delta", "delta": "YWJj", "item_id": "i"})
    )
    assert isinstance(event, grok_events.AudioDelta)
    assert (event.b64, event.audio, event.item_id) == ("YWJj", b"abc", "i")
    assert json.loads(client.audio_append_b64(event.b64)) == {
        "type": "input_audio_buffer.append",
        "audio": "YWJj",
    }
    assert client.audio_append(b"abc") == client.audio_append_b64("YWJj")
