"""The simulated Twilio against a small stand-in of the voice service, on real sockets.

The stand-in serves signed webhooks and a Media Streams socket whose behaviour each test
scripts (send audio, marks, clear; close), and records everything it received, so the
peer's protocol can be checked from the service's side: frame sizes, chunk numbering,
sequence numbers, mark timing against played audio, `clear`, and signatures.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from tests.support.servers import free_port, serve
from tests.voice_backend.twilio_standin import ServerStream, StandIn
from voice_backend.audio import MULAW_SILENCE
from voice_backend.sim import (
    CallScenario,
    EndReason,
    PeerCall,
    PeerResult,
    ScriptedPhone,
    Silence,
    Tunnel,
    TwilioPeer,
    Until,
    new_call_sid,
    tone,
)
from voice_backend.sim.media_stream import Playback
from voice_backend.twilio.signatures import TwilioSignatures

ACCOUNT = "AC" + "a" * 32
AUTH_TOKEN = "peer-test-token"
FROM = "+15550100000"
TO = "+15550109999"


@dataclass
class Rig:
    standin: StandIn
    peer: TwilioPeer
    http: httpx.AsyncClient

    def call(self, scenario: CallScenario = CallScenario.ANSWER, **overrides: Any) -> PeerCall:
        base = self.standin.base_url
        fields: dict[str, Any] = {
            "call_sid": new_call_sid(),
            "to": TO,
            "from_": FROM,
            "twiml_url": f"{base}/twiml?provider_id=7",
            "status_callback_url": f"{base}/call-status",
            "amd_callback_url": f"{base}/amd-status",
            "scenario": scenario,
            "ring_seconds": 0.5,
            "ring_timeout_seconds": 2.0,
            "amd_seconds": 0.5,
        }
        return PeerCall(**(fields | overrides))

    async def run(
        self, call: PeerCall, phone: ScriptedPhone | None = None, within: float = 10
    ) -> PeerResult:
        async with asyncio.timeout(within):
            return await self.peer.run_call(call, phone)


SPEED = 5.0


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    standin = StandIn()
    async with serve(standin.app()) as url, httpx.AsyncClient() as http:
        standin.base_url = url
        standin.signatures = TwilioSignatures(AUTH_TOKEN, url)
        signer = TwilioSignatures(AUTH_TOKEN, "https://api.twilio.com")
        yield Rig(standin, TwilioPeer(http, signer, ACCOUNT, speed=SPEED), http)


def hang_up_after(seconds: float) -> ScriptedPhone:
    return ScriptedPhone.silent(hang_up_after_seconds=seconds)


# --- the call's course and its webhooks -------------------------------------------------


async def test_answered_call_posts_signed_callbacks_in_twilios_shape(rig: Rig) -> None:
    call = rig.call()
    result = await rig.run(call, hang_up_after(1.0))

    assert result.final_status == "completed"
    assert result.end_reason == EndReason.PHONE_HUNG_UP
    assert all(valid for _, _, valid in rig.standin.posts), rig.standin.posts
    statuses = rig.standin.posted("/call-status")
    assert [s["CallStatus"] for s in statuses] == [
        "initiated",
        "ringing",
        "in-progress",
        "completed",
    ]
    assert [s["SequenceNumber"] for s in statuses] == ["0", "1", "2", "3"]
    for status in statuses:
        assert status["CallSid"] == call.call_sid
        assert status["AccountSid"] == ACCOUNT
        assert (status["From"], status["To"]) == (FROM, TO)
        assert status["Direction"] == "outbound-api"
        assert status["CallbackSource"] == "call-progress-events"
        assert parsedate_to_datetime(status["Timestamp"]).utcoffset() is not None
    assert "CallDuration" not in statuses[2]
    assert int(statuses[3]["CallDuration"]) >= 1
    assert statuses[3]["AnsweredBy"] == "human"
    assert rig.peer.is_running(call.call_sid) is False


async def test_twiml_is_fetched_with_a_signed_post_once_answered(rig: Rig) -> None:
    call = rig.call()
    await rig.run(call, hang_up_after(0.2))
    order = [path for path, _, _ in rig.standin.posts]
    assert order.index("/twiml") > order.index("/call-status")  # after ringing
    (fetch,) = rig.standin.posted("/twiml")
    assert fetch["CallSid"] == call.call_sid
    assert fetch["AccountSid"] == ACCOUNT
    assert fetch["CallStatus"] == "in-progress"
    assert fetch["Direction"] == "outbound-api"
    assert (fetch["From"], fetch["To"]) == (FROM, TO)


async def test_amd_callback_says_human_for_a_person(rig: Rig) -> None:
    await rig.run(rig.call(amd_seconds=0.2), hang_up_after(1.0))
    (amd,) = rig.standin.posted("/amd-status")
    assert amd["AnsweredBy"] == "human"
    assert amd["MachineDetectionDuration"] == "200"


@pytest.mark.parametrize(
    ("scenario", "statuses"),
    [
        (CallScenario.BUSY, ["initiated", "busy"]),
        (CallScenario.FAILED, ["initiated", "failed"]),
        (CallScenario.NO_ANSWER, ["initiated", "ringing", "no-answer"]),
        (CallScenario.CANCELED, ["initiated", "ringing", "canceled"]),
    ],
)
async def test_unanswered_calls_end_with_their_terminal_status(
    rig: Rig, scenario: CallScenario, statuses: list[str]
) -> None:
    result = await rig.run(rig.call(scenario))
    posted = rig.standin.posted("/call-status")
    assert [s["CallStatus"] for s in posted] == statuses
    assert posted[-1]["CallDuration"] == "0"
    assert result.final_status == statuses[-1]
    assert rig.standin.posted("/twiml") == []
    assert rig.standin.posted("/amd-status") == []
    assert rig.standin.streams == []


async def test_no_answer_rings_for_the_ring_timeout(rig: Rig) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    await rig.run(rig.call(CallScenario.NO_ANSWER, ring_timeout_seconds=2.0))
    assert 2.0 / SPEED <= loop.time() - started < 2.0 / SPEED + 0.5


async def test_only_subscribed_events_are_posted(rig: Rig) -> None:
    await rig.run(rig.call(status_callback_events=frozenset({"completed"})), hang_up_after(0.2))
    assert [s["CallStatus"] for s in rig.standin.posted("/call-status")] == ["completed"]


async def test_voicemail_gives_machine_end_beep_after_the_greeting_and_beep(rig: Rig) -> None:
    call = rig.call(CallScenario.VOICEMAIL, amd_seconds=1.6)
    rig.standin.on_amd = lambda params: rig.peer.hang_up(params["CallSid"]) and None
    phone = ScriptedPhone.voicemail(greeting_seconds=1.0, beep_seconds=0.5)
    result = await rig.run(call, phone)

    (amd,) = rig.standin.posted("/amd-status")
    assert amd["AnsweredBy"] == "machine_end_beep"
    assert result.end_reason == EndReason.REST_HANG_UP
    (stream,) = rig.standin.streams
    heard = stream.inbound_audio()
    assert len(heard) >= 1.5 * 8000  # the greeting and the beep reached the service
    assert heard[: 8000 + 4000] == phone.sent_audio[: 8000 + 4000]
    assert set(heard[:12000]) != {MULAW_SILENCE}
    assert rig.standin.posted("/call-status")[-1]["AnsweredBy"] == "machine_end_beep"


async def test_rest_hang_up_while_ringing_cancels_the_call(rig: Rig) -> None:
    call = rig.call(ring_seconds=60)
    task = asyncio.create_task(rig.run(call))
    await asyncio.sleep(0.1)
    assert rig.peer.hang_up(call.call_sid)
    result = await task
    assert result.final_status == "canceled"
    assert rig.peer.hang_up(call.call_sid) is False  # no longer running


# --- the stream never connects ----------------------------------------------------------


async def test_twiml_failure_ends_the_call_completed_without_a_stream(rig: Rig) -> None:
    rig.standin.twiml_status = 500
    result = await rig.run(rig.call())
    assert result.end_reason == "twiml-failed"
    assert result.final_status == "completed"
    assert [s["CallStatus"] for s in rig.standin.posted("/call-status")][-1] == "completed"
    assert rig.standin.streams == []
    assert "TwiML fetch failed: HTTP 500" in result.errors


async def test_unreachable_twiml_ends_the_call_completed(rig: Rig) -> None:
    result = await rig.run(rig.call(twiml_url=f"http://127.0.0.1:{free_port()}/twiml"))
    assert result.end_reason == "twiml-failed"
    assert result.final_status == "completed"


async def test_refused_websocket_ends_the_call_completed(rig: Rig) -> None:
    rig.standin.stream_url = f"ws://127.0.0.1:{free_port()}/media-stream"
    result = await rig.run(rig.call())
    assert result.end_reason == "stream-refused"
    assert result.final_status == "completed"
    assert rig.standin.posted("/call-status")[-1]["CallStatus"] == "completed"


async def test_rejected_websocket_upgrade_ends_the_call_completed(rig: Rig) -> None:
    rig.standin.stream_url = rig.standin.base_url.replace("http", "ws") + "/no-such-socket"
    result = await rig.run(rig.call())
    assert result.end_reason == "stream-refused"
    assert result.final_status == "completed"


@pytest.mark.parametrize("twiml", ["<Response><Hangup/></Response>", "<Response/>"])
async def test_twiml_without_a_stream_ends_the_call(rig: Rig, twiml: str) -> None:
    rig.standin.twiml = twiml
    result = await rig.run(rig.call())
    assert result.end_reason == "no-stream"
    assert result.final_status == "completed"


async def test_twiml_that_is_not_xml_is_an_application_error(rig: Rig) -> None:
    rig.standin.twiml = "this is not TwiML"
    result = await rig.run(rig.call())
    assert result.end_reason == "twiml-failed"


# --- the media stream -------------------------------------------------------------------


async def test_stream_opens_signed_with_connected_then_start(rig: Rig) -> None:
    rig.standin.parameters = {"provider_id": "42", "token": "1.123.abc"}
    call = rig.call()
    result = await rig.run(call, hang_up_after(0.2))

    (stream,) = rig.standin.streams
    assert stream.handshake_valid
    assert stream.messages[0] == {"event": "connected", "protocol": "Call", "version": "1.0.0"}
    start = stream.messages[1]
    assert start["event"] == "start"
    assert start["sequenceNumber"] == "1"
    assert re.fullmatch(r"MZ[0-9a-f]{32}", start["streamSid"])
    assert start["start"] == {
        "streamSid": start["streamSid"],
        "accountSid": ACCOUNT,
        "callSid": call.call_sid,
        "tracks": ["inbound"],
        "customParameters": {"provider_id": "42", "token": "1.123.abc"},
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
    }
    assert result.stream is not None
    assert result.stream.custom_parameters == {"provider_id": "42", "token": "1.123.abc"}


async def test_media_frames_are_numbered_20ms_frames_of_the_phones_audio(rig: Rig) -> None:
    speech = tone(440, 0.5)
    phone = ScriptedPhone([Silence(0.1), speech], hang_up_after_seconds=1.0)
    await rig.run(rig.call(), phone)

    (stream,) = rig.standin.streams
    media = stream.of("media")
    assert len(media) == 50  # 1 s of call time
    for index, message in enumerate(media, start=1):
        assert message["streamSid"] == stream.stream_sid
        assert message["media"]["track"] == "inbound"
        assert message["media"]["chunk"] == str(index)
        assert message["media"]["timestamp"] == str((index - 1) * 20)
        assert len(base64.b64decode(message["media"]["payload"])) == 160
    numbers = [int(m["sequenceNumber"]) for m in stream.messages[1:]]
    assert numbers == list(range(1, len(numbers) + 1))
    assert stream.inbound_audio()[800 : 800 + len(speech)] == speech
    assert stream.inbound_audio()[:800] == bytes([MULAW_SILENCE]) * 800


async def test_phone_hang_up_sends_stop_then_closes(rig: Rig) -> None:
    call = rig.call()
    result = await rig.run(call, hang_up_after(0.4))
    (stream,) = rig.standin.streams
    await asyncio.wait_for(stream.closed.wait(), 5)
    stop = stream.messages[-1]
    assert stop["event"] == "stop"
    assert stop["streamSid"] == stream.stream_sid
    assert stop["stop"] == {"accountSid": ACCOUNT, "callSid": call.call_sid}
    assert result.stream is not None and result.stream.stop_sent
    statuses = [s["CallStatus"] for s in rig.standin.posted("/call-status")]
    assert statuses[-1] == "completed"


async def test_frames_are_paced_at_real_time_times_speed(rig: Rig) -> None:
    await rig.run(rig.call(), hang_up_after(2.0))
    (stream,) = rig.standin.streams
    events = [m["event"] for m in stream.messages]
    assert events.count("media") == 100
    first_media, stop = events.index("media"), events.index("stop")
    wall = stream.arrivals[stop] - stream.arrivals[first_media]
    assert 99 * 0.02 / SPEED * 0.95 <= wall <= 2.0 / SPEED + 0.2


async def test_marks_echo_once_the_audio_before_them_has_played(rig: Rig) -> None:
    first, second = tone(300, 0.1), tone(500, 0.2)

    async def speak(stream: ServerStream) -> None:
        await stream.next("media")
        await stream.send_media(first)
        await stream.send_mark("a")
        await stream.send_media(second)
        await stream.send_mark("b")

    rig.standin.script = speak
    phone = ScriptedPhone(hang_up_after_seconds=1.0)
    result = await rig.run(rig.call(), phone)

    assert result.stream is not None
    log = result.stream
    arrived = next(at for at, m in log.received if m["event"] == "media")
    echoes = dict(log.marks_echoed)
    assert echoes["a"] - arrived in (100, 120)
    assert echoes["b"] - echoes["a"] == 200
    assert phone.heard_audio == first + second
    assert log.played_bytes == 2400
    (stream,) = rig.standin.streams
    marks = stream.of("mark")
    assert [m["mark"] for m in marks] == [{"name": "a"}, {"name": "b"}]
    assert all(m["streamSid"] == stream.stream_sid and m["sequenceNumber"] for m in marks)
    # Both echoes came after the media frames of the audio they follow.
    index_a = stream.messages.index(marks[0])
    chunks_before_a = [m for m in stream.messages[:index_a] if m["event"] == "media"]
    assert (len(chunks_before_a) - 1) * 20 >= echoes["a"] - 20


async def test_a_mark_with_nothing_queued_echoes_at_once(rig: Rig) -> None:
    async def mark_only(stream: ServerStream) -> None:
        await stream.next("media")
        await stream.send_mark("now")

    rig.standin.script = mark_only
    result = await rig.run(rig.call(), ScriptedPhone(hang_up_after_seconds=0.6))
    assert result.stream is not None
    arrived = next(at for at, m in result.stream.received if m["event"] == "mark")
    assert result.stream.marks_echoed == [("now", arrived)]


async def test_clear_drops_queued_audio_and_echoes_pending_marks(rig: Rig) -> None:
    long_speech = tone(400, 1.0)  # 8000 bytes
    after = tone(600, 0.1)

    async def interrupted(stream: ServerStream) -> None:
        first = await stream.next("media")
        await stream.send_media(long_speech)
        await stream.send_mark("long")
        await stream.send_mark("long-2")
        index = stream.messages.index(first)
        # Let about 200 ms play, then barge in.
        for _ in range(10):
            index = stream.messages.index(await stream.next("media", index + 1))
        await stream.send_clear()
        await stream.send_media(after)
        await stream.send_mark("after")

    rig.standin.script = interrupted
    phone = ScriptedPhone(hang_up_after_seconds=1.5)
    result = await rig.run(rig.call(), phone)

    assert result.stream is not None
    log = result.stream
    names = [name for name, _ in log.marks_echoed]
    assert names == ["long", "long-2", "after"]
    (clear_at, dropped) = log.clears[0]
    assert dict(log.marks_echoed)["long"] == clear_at  # echoed at the clear, not after 1 s
    assert 0 < dropped < 8000
    played_before_clear = 8000 - dropped
    assert phone.heard_audio == long_speech[:played_before_clear] + after
    assert dict(log.marks_echoed)["after"] - clear_at in (100, 120)


async def test_socket_closed_by_the_service_ends_the_call_without_stop(rig: Rig) -> None:
    async def close_soon(stream: ServerStream) -> None:
        await stream.next("media")
        await stream.ws.close()

    rig.standin.script = close_soon
    result = await rig.run(rig.call(), ScriptedPhone.silent())
    assert result.end_reason == EndReason.SOCKET_CLOSED
    assert result.final_status == "completed"
    assert result.stream is not None and not result.stream.stop_sent


async def test_rest_hang_up_stops_the_stream(rig: Rig) -> None:
    call = rig.call()

    async def hang_up_via_rest(stream: ServerStream) -> None:
        await stream.next("media")
        rig.peer.hang_up(call.call_sid)

    rig.standin.script = hang_up_via_rest
    result = await rig.run(call, ScriptedPhone.silent())
    assert result.end_reason == EndReason.REST_HANG_UP
    assert result.stream is not None and result.stream.stop_sent
    (stream,) = rig.standin.streams
    await asyncio.wait_for(stream.closed.wait(), 5)
    assert stream.messages[-1]["event"] == "stop"
    assert rig.standin.posted("/call-status")[-1]["CallStatus"] == "completed"


async def test_time_limit_ends_the_stream(rig: Rig) -> None:
    result = await rig.run(rig.call(time_limit_seconds=0.6), ScriptedPhone.silent())
    assert result.end_reason == EndReason.TIME_LIMIT
    assert result.stream is not None
    assert result.stream.frames_sent == 30
    assert result.stream.stop_sent


async def test_protocol_errors_of_the_service_are_recorded(rig: Rig) -> None:
    async def sloppy(stream: ServerStream) -> None:
        await stream.next("media")
        await stream.ws.send_bytes(b"\x00\x01")
        await stream.ws.send_text(
            json.dumps({"event": "media", "streamSid": "MZwrong", "media": {"payload": "AAAA"}})
        )
        await stream.ws.send_text(
            json.dumps(
                {
                    "event": "media",
                    "streamSid": stream.stream_sid,
                    "media": {"payload": "not base64!"},
                }
            )
        )
        await stream.ws.send_text(
            json.dumps({"event": "mark", "streamSid": stream.stream_sid, "mark": {}})
        )
        await stream.ws.send_text(json.dumps({"event": "dance", "streamSid": stream.stream_sid}))
        await stream.ws.send_text("{not json")

    rig.standin.script = sloppy
    result = await rig.run(rig.call(), ScriptedPhone(hang_up_after_seconds=0.6))
    assert result.stream is not None
    errors = result.stream.protocol_errors
    assert errors == [
        "binary frame (Media Streams takes text frames only)",
        "media with streamSid 'MZwrong'",
        "media without a base64 payload",
        "mark without a name",
        "unknown event 'dance'",
        "frame is not JSON",
    ]


async def test_a_scripted_phone_answers_what_it_heard(rig: Rig) -> None:
    greeting, reply = tone(440, 0.2), tone(660, 0.3)

    async def agent(stream: ServerStream) -> None:
        await stream.next("media")
        await stream.send_media(greeting)
        await stream.send_mark("greeting")

    rig.standin.script = agent
    phone = ScriptedPhone(
        [Until(lambda p: p.heard_seconds >= 0.2), reply],
        hang_up_when_done=True,
    )
    result = await rig.run(rig.call(), phone)
    assert result.end_reason == EndReason.PHONE_HUNG_UP
    assert phone.heard_audio == greeting
    (stream,) = rig.standin.streams
    inbound = stream.inbound_audio()
    start = inbound.index(reply[:160])
    assert inbound[start : start + len(reply)] == reply


# --- through a tunnel -------------------------------------------------------------------


async def test_tunnel_signs_public_urls_and_connects_locally() -> None:
    public = "https://voice.example.test"
    standin = StandIn()
    async with serve(standin.app()) as local, httpx.AsyncClient() as http:
        standin.base_url = local
        standin.signatures = TwilioSignatures(AUTH_TOKEN, public)  # what the service checks
        peer = TwilioPeer(
            http,
            TwilioSignatures(AUTH_TOKEN, "https://api.twilio.com"),
            ACCOUNT,
            speed=SPEED,
            tunnel=Tunnel(public, local),
        )
        call = PeerCall(
            call_sid=new_call_sid(),
            to=TO,
            from_=FROM,
            twiml_url=f"{public}/twiml?provider_id=7",
            status_callback_url=f"{public}/call-status",
            amd_callback_url=f"{public}/amd-status",
            ring_seconds=0.1,
            amd_seconds=0.1,
        )
        result = await asyncio.wait_for(peer.run_call(call, hang_up_after(0.4)), 10)
    assert result.stream_url == "wss://voice.example.test/media-stream"
    assert result.end_reason == EndReason.PHONE_HUNG_UP
    assert standin.posts and all(valid for _, _, valid in standin.posts)
    assert standin.streams[0].handshake_valid


def test_tunnel_routes_only_its_public_base() -> None:
    tunnel = Tunnel("https://voice.example.test", "http://127.0.0.1:6000")
    assert tunnel.route("https://voice.example.test/twiml?x=1") == "http://127.0.0.1:6000/twiml?x=1"
    assert tunnel.route("wss://voice.example.test/media-stream") == (
        "ws://127.0.0.1:6000/media-stream"
    )
    assert tunnel.route("https://other.example/twiml") == "https://other.example/twiml"
    assert tunnel.route("https://voice.example.testing/x") == "https://voice.example.testing/x"


# --- the parts on their own -------------------------------------------------------------


def test_playback_plays_in_order_and_releases_marks_behind_played_audio() -> None:
    playback = Playback()
    playback.add_audio(b"a" * 100)
    playback.add_mark("m1")
    playback.add_audio(b"b" * 100)
    playback.add_mark("m2")
    assert playback.play(160) == (b"a" * 100 + b"b" * 60, ["m1"])
    assert playback.play(160) == (b"b" * 40, ["m2"])
    assert playback.play(160) == (b"", [])
    playback.add_mark("m3")
    assert playback.due_marks() == ["m3"]


def test_playback_clear_returns_dropped_bytes_and_pending_marks() -> None:
    playback = Playback()
    playback.add_audio(b"x" * 500)
    playback.add_mark("m1")
    playback.add_audio(b"y" * 10)
    playback.add_mark("m2")
    playback.play(160)
    assert playback.clear() == (350, ["m1", "m2"])
    assert playback.queued_bytes == 0
    assert playback.play(160) == (b"", [])


def test_scripted_phone_plays_its_script_then_silence() -> None:
    audio = bytes(range(200))
    phone = ScriptedPhone([audio, Silence(0.04)])
    frames = [phone.next_frame() for _ in range(5)]
    assert frames[0] == audio[:160]
    assert frames[1] == audio[160:] + bytes([MULAW_SILENCE]) * 120
    assert frames[2:] == [bytes([MULAW_SILENCE]) * 160] * 3
    assert phone.script_done
    assert not phone.hung_up
    assert phone.elapsed_seconds == pytest.approx(0.1)


def test_scripted_phone_hangs_up_after_its_time_or_on_a_condition() -> None:
    timed = ScriptedPhone.silent(hang_up_after_seconds=0.1)
    for _ in range(4):
        timed.next_frame()
    assert not timed.hung_up
    timed.next_frame()
    assert timed.hung_up

    conditional = ScriptedPhone(hang_up_when=lambda p: p.heard_seconds >= 0.01)
    conditional.next_frame()
    assert not conditional.hung_up
    conditional.heard(b"\x00" * 80)
    conditional.next_frame()
    assert conditional.hung_up

    done = ScriptedPhone([b"\x00" * 160], hang_up_when_done=True)
    done.next_frame()
    done.next_frame()
    assert done.hung_up


def test_until_waits_for_its_condition_or_timeout() -> None:
    phone = ScriptedPhone([Until(lambda p: p.heard_seconds > 0, timeout_seconds=0.1), b"\x01"])
    assert phone.next_frame() == bytes([MULAW_SILENCE]) * 160
    phone.heard(b"\x00")
    assert phone.next_frame()[0] == 1

    impatient = ScriptedPhone([Until(lambda p: False, timeout_seconds=0.04), b"\x01"])
    frames = [impatient.next_frame()[0] for _ in range(3)]
    assert frames == [MULAW_SILENCE, MULAW_SILENCE, 1]


def test_tone_is_mulaw_of_the_right_length() -> None:
    beep = tone(440, 0.25)
    assert len(beep) == 2000
    assert len(set(beep)) > 10
    with pytest.raises(ValueError):
        tone(1000, 0.1, amplitude=2)


async def test_wait_until_wakes_on_what_the_phone_hears() -> None:
    phone = ScriptedPhone()
    waiter = asyncio.create_task(phone.wait_until(lambda p: p.heard_seconds >= 0.02, 2))
    await asyncio.sleep(0.01)
    assert not waiter.done()
    phone.heard(b"\x00" * 160)
    await waiter
    with pytest.raises(TimeoutError):
        await phone.wait_until(lambda p: p.hung_up, within_seconds=0.05)


async def test_peer_refuses_a_non_positive_speed() -> None:
    signer = TwilioSignatures(AUTH_TOKEN, "https://x.test")
    async with httpx.AsyncClient() as http:
        with pytest.raises(ValueError):
            TwilioPeer(http, signer, ACCOUNT, speed=0)
