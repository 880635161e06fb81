"""Barge-in: the provider talks over the agent; Twilio's buffer is cleared and Grok's item is
truncated at the audio that actually played."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tests.fakes.grok_realtime import FakeGrok
from tests.fakes.twilio_rest import Line
from tests.voice_backend.rig import running_rig
from voice_backend.sim import ScriptedPhone, Silence, Until, tone

ACE = ("Ace Plumbing", "+14155550100")


async def test_provider_interrupts_the_agent(tmp_path: Path) -> None:
    heard_at_interrupt: list[float] = []

    def interrupting_phone() -> ScriptedPhone:
        def ready(phone: ScriptedPhone) -> bool:
            if phone.heard_seconds >= 1.0:
                heard_at_interrupt.append(phone.heard_seconds)
                return True
            return False

        return ScriptedPhone([Until(ready), tone(500, 0.6), Silence(0.6)], hang_up_after_seconds=60)

    async with running_rig(tmp_path, twilio_speed=1.0) as rig:
        rig.twilio.lines[ACE[1]] = Line(phone=interrupting_phone)
        long_greeting = "Hi, is this Ace Plumbing? I am calling about a toilet that keeps running."
        rig.grok.on_response(long_greeting, audio_ms=5000)
        rig.grok.on_speech("sorry who is this")
        rig.grok.on_response("Sorry, thanks for your time. Goodbye!", audio_ms=600, end_call="done")
        job_id = await rig.job(ACE)
        await rig.start(job_id)
        (row,) = await rig.finished(job_id, within=40)
        session = rig.grok.session
        (call,) = rig.twilio.calls_to(ACE[1])
        result = await rig.twilio.wait_ended(call.sid)
        phone = call.phone
        assert isinstance(phone, ScriptedPhone)

        # Twilio's buffer was cleared once, while the greeting played.
        assert result.stream is not None and len(result.stream.clears) == 1
        # Grok's item was truncated at what the phone had heard by then (marks lag by at
        # most one chunk of audio), not at the 5 s that were sent or at wall-clock time.
        (truncation,) = session.truncations
        greeting_item = truncation["item_id"]
        played_ms = truncation["audio_end_ms"]
        assert session.audio_out_ms[greeting_item] >= 4000
        assert 900 <= played_ms <= 2500, truncation
        # No stale burst: the phone heard the greeting up to the cut, then only the goodbye.
        goodbye_ms = sum(ms for item, ms in session.audio_out_ms.items() if item != greeting_item)
        heard_ms = phone.heard_seconds * 1000
        assert heard_ms <= played_ms + goodbye_ms + 400, (heard_ms, played_ms, goodbye_ms)
        assert heard_at_interrupt and heard_at_interrupt[0] * 1000 <= played_ms + 400
        # The call went on and ended normally, the interrupted turn kept in the transcript.
        assert row["call_status"] == "completed"
        lines = row["call_transcript"].splitlines()
        assert lines[0].startswith("1. [ASSISTANT]: Hi, is this Ace Plumbing?")
        assert lines[1] == "2. [USER]: sorry who is this"
        assert rig.twilio.peer_errors() == []


# Grok sends its greeting in 750 ms chunks (one mark each), or in 20 ms chunks (a mark per
# 100 ms of them), and does not know the OpenAI-style truncate: it answers it with an error
# that must not end the call.
@pytest.mark.parametrize("chunk_ms", [750, 20], ids=["750ms-chunks", "20ms-chunks"])
async def test_truncation_is_within_100_ms_of_what_the_phone_played(
    tmp_path: Path, chunk_ms: int
) -> None:
    def interrupting_phone() -> ScriptedPhone:
        return ScriptedPhone(
            [Until(lambda phone: phone.heard_seconds >= 1.0), tone(500, 0.6), Silence(0.6)],
            hang_up_after_seconds=60,
        )

    grok = FakeGrok(chunk_ms=chunk_ms, undocumented_error="server_error")
    async with running_rig(tmp_path, twilio_speed=1.0, grok=grok) as rig:
        rig.twilio.lines[ACE[1]] = Line(phone=interrupting_phone)
        rig.grok.on_response(
            "Hi, is this Ace Plumbing? I am calling about a toilet.", audio_ms=6000
        )
        rig.grok.on_speech("sorry who is this")
        rig.grok.on_response("Sorry, thanks for your time. Goodbye!", audio_ms=600, end_call="done")
        job_id = await rig.job(ACE)
        await rig.start(job_id)
        (row,) = await rig.finished(job_id, within=40)
        (call,) = rig.twilio.calls_to(ACE[1])
        result = await rig.twilio.wait_ended(call.sid)
        stream = result.stream
        assert stream is not None and len(stream.clears) == 1
        cleared_at, dropped = stream.clears[0]
        # The truth: what of the greeting Twilio had played when the bridge cleared it.
        sent_before = sum(
            len(message["media"]["payload"])
            for at, message in stream.received
            if message.get("event") == "media" and at <= cleared_at
        )
        played_ms = (sent_before - dropped) / 8
        (truncation,) = rig.grok.session.truncations
        assert abs(truncation["audio_end_ms"] - played_ms) <= 100, (truncation, played_ms)
        # Marks alone would have said 750 ms (one chunk): the phone had heard more than that.
        assert played_ms > 850
        # Grok's error about the truncate did not end the call.
        assert rig.grok.session.errors_sent and row["call_status"] == "completed"
        assert row["outcome"] != "error"
        assert row["call_transcript"].splitlines()[1] == "2. [USER]: sorry who is this"


async def test_small_chunks_share_marks_and_the_goodbye_still_plays_in_full(
    tmp_path: Path,
) -> None:
    # A model that streams 20 ms chunks: Twilio gets a mark per 100 ms of audio and one when
    # a response's audio ends, not one per chunk, and the hang-up still waits for the echo
    # of the goodbye's last mark.
    grok = FakeGrok(chunk_ms=20)
    async with running_rig(tmp_path, grok=grok) as rig:
        rig.twilio.lines[ACE[1]] = Line(phone=lambda: ScriptedPhone.silent(60))
        rig.grok.on_response("Hi, wrong number, sorry. Goodbye!", audio_ms=1010, end_call="done")
        job_id = await rig.job(ACE)
        await rig.start(job_id)
        (row,) = await rig.finished(job_id, within=40)
        (call,) = rig.twilio.calls_to(ACE[1])
        result = await rig.twilio.wait_ended(call.sid)
        assert call.hung_up_via_rest and row["call_status"] == "completed"
        stream = result.stream
        assert stream is not None
        events = [message.get("event") for _, message in stream.received]
        media, marks = events.count("media"), events.count("mark")
        assert media >= 50
        assert marks * 3 <= media, (media, marks)
        assert events[-1] == "mark"  # the goodbye's last chunks were marked
        sent_ms = sum(rig.grok.session.audio_out_ms.values())
        assert isinstance(call.phone, ScriptedPhone)
        assert call.phone.heard_seconds * 1000 >= sent_ms - 40
        assert rig.twilio.peer_errors() == []


async def test_audio_a_stalled_model_leaves_without_a_mark_is_marked_by_the_watchdog(
    tmp_path: Path,
) -> None:
    # After its greeting, Grok sends 60 ms of audio (less than a mark's worth) and then
    # nothing: no audio done, no response done. The watchdog marks it, so Twilio still says
    # when it has played (and the silence limit is not held off by audio that never ends).
    grok = FakeGrok(chunk_ms=20)
    async with running_rig(tmp_path, grok=grok) as rig:
        rig.twilio.lines[ACE[1]] = Line(phone=lambda: ScriptedPhone.silent(4))
        rig.grok.on_response("Hi, is this Ace Plumbing?", audio_ms=400)
        job_id = await rig.job(ACE)
        await rig.start(job_id)
        session = await rig.grok.wait_session(within=10)
        greeted = ("out", "response.done")
        await session.wait_until(lambda: greeted in session.timeline, "the greeting", within=10)
        stalled = base64.b64encode(bytes(160)).decode()
        for _ in range(3):
            await session.send(
                {
                    "type": "response.output_audio.delta",
                    "response_id": "resp_stalled",
                    "item_id": "item_stalled",
                    "delta": stalled,
                }
            )
        await rig.finished(job_id, within=40)
        (call,) = rig.twilio.calls_to(ACE[1])
        stream = (await rig.twilio.wait_ended(call.sid)).stream
        assert stream is not None
        events = [message.get("event") for _, message in stream.received]
        last_media = len(events) - 1 - events[::-1].index("media")
        assert stream.received[last_media][1]["media"]["payload"] == bytes(160)
        assert "mark" in events[last_media + 1 :]
