"""Barge-in: the provider talks over the agent; Twilio's buffer is cleared and Grok's item is
truncated at the audio that actually played."""

from __future__ import annotations

from pathlib import Path

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
