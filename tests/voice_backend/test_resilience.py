"""Results survive a store outage; the PCM 24 kHz session; the call's polite limits."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg

from shared.storage.sql import SQLStore
from tests.fakes.twilio_rest import Line
from tests.voice_backend.rig import running_rig
from voice_backend.sim import ScriptedPhone, Silence, Until, tone

ACE = ("Ace Plumbing", "+14155550100")


def _answers_once() -> ScriptedPhone:
    return ScriptedPhone(
        [Until(lambda p: p.heard_seconds >= 0.55), tone(420, 0.5), Silence(0.5)],
        hang_up_after_seconds=60,
    )


async def _set_connections(url: str, allowed: bool) -> None:
    admin = await asyncpg.connect(url.rsplit("/", 1)[0] + "/postgres")
    name = url.rsplit("/", 1)[1]
    try:
        await admin.execute(
            f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {"true" if allowed else "false"}'
        )
        if not allowed:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                name,
            )
    finally:
        await admin.close()


async def test_no_transcript_is_lost_when_the_store_is_down(
    tmp_path: Path, postgres_url: str
) -> None:
    async with running_rig(tmp_path, database_url=postgres_url) as rig:
        rig.twilio.lines[ACE[1]] = Line(phone=_answers_once)
        rig.grok.on_response("Hi, is this Ace Plumbing?", audio_ms=600)
        rig.grok.on_speech("yes we can do it for one twenty")
        rig.grok.on_response(
            "Thank you for your help! I will reach out to you again shortly.",
            audio_ms=600,
            end_call="agreed",
        )
        job_id = await rig.job(ACE)
        await rig.start(job_id)
        session = await rig.grok.wait_session()
        await session.wait_for("response.create")
        # The database goes away mid-call.
        await _set_connections(postgres_url, allowed=False)
        await asyncio.wait_for(session.closed.wait(), 20)
        spool = Path(rig.settings.data_dir) / "pending-results"
        async with asyncio.timeout(10):
            while not list(spool.glob("*.json")):
                await asyncio.sleep(0.05)
        # It comes back: the spooled result is written without anyone asking.
        await _set_connections(postgres_url, allowed=True)
        (row,) = await rig.finished(job_id, within=20)
        assert (row["call_status"], row["outcome"]) == ("completed", "agreed")
        assert row["negotiated_price"] == 120
        assert "[USER]: yes we can do it for one twenty" in row["call_transcript"]
        assert list(spool.glob("*.json")) == []


async def test_pcm24k_session_converts_both_ways(tmp_path: Path) -> None:
    async with running_rig(tmp_path, audio_format="pcm24k") as rig:
        rig.twilio.lines[ACE[1]] = Line(phone=_answers_once)
        rig.grok.on_response("Hi, is this Ace Plumbing?", audio_ms=600)
        rig.grok.on_speech("yes")
        rig.grok.on_response("Thanks, goodbye!", audio_ms=600, end_call="done")
        job_id = await rig.job(ACE)
        await rig.start(job_id)
        (row,) = await rig.finished(job_id)
        session = rig.grok.session
        assert session.config is not None
        rate = {"type": "audio/pcm", "rate": 24000}
        assert session.config["audio"]["input"]["format"] == rate
        assert session.config["audio"]["output"]["format"] == rate
        (call,) = rig.twilio.calls_to(ACE[1])
        phone = call.phone
        assert isinstance(phone, ScriptedPhone)
        # 1.2 s of 24 kHz audio reached the phone as μ-law 8 kHz (less the resampler's lag).
        assert 1.0 <= phone.heard_seconds <= 1.3
        # The phone's 8 kHz audio reached Grok as 24 kHz PCM: 48 bytes per ms.
        sent_ms = phone.frames_sent * 20
        assert len(session.audio_in) >= 48 * (sent_ms - 200)
        assert row["call_status"] == "completed"


async def test_silence_ends_the_call_politely(tmp_path: Path) -> None:
    async with running_rig(tmp_path, silence_limit_seconds=1.0) as rig:
        rig.twilio.lines[ACE[1]] = Line(phone=lambda: ScriptedPhone.silent(60))
        rig.grok.on_response("Hi, is this Ace Plumbing?", audio_ms=400)
        rig.grok.on_response(
            "Thank you for the info. I need to think about it and will call you back.",
            audio_ms=500,
            end_call="no_agreement",
        )
        job_id = await rig.job(ACE)
        await rig.start(job_id)
        (row,) = await rig.finished(job_id, within=20)
        session = rig.grok.session
        assert any("silent" in message for message in session.messages)
        assert (row["call_status"], row["outcome"]) == ("completed", "no_agreement")
        assert (
            row["call_transcript"]
            .splitlines()[-1]
            .startswith("2. [ASSISTANT]: Thank you for the info.")
        )
        (call,) = rig.twilio.calls_to(ACE[1])
        assert call.hung_up_via_rest
        store = SQLStore(rig.settings.database_url)
        await store.open()
        (provider,) = await store.list_providers(row["job_id"])
        await store.close()
        assert provider.ended_at is not None


async def test_time_limit_ends_the_call_politely(tmp_path: Path) -> None:
    async with running_rig(tmp_path, call_time_limit_seconds=5, silence_limit_seconds=60) as rig:
        rig.twilio.lines[ACE[1]] = Line(phone=lambda: ScriptedPhone.silent(60))
        rig.grok.on_response("Hi, is this Ace Plumbing?", audio_ms=400)
        rig.grok.on_response(
            "Thank you for the info. I need to think about it and will call you back.",
            audio_ms=500,
            end_call="no_agreement",
        )
        job_id = await rig.job(ACE)
        await rig.start(job_id)
        (row,) = await rig.finished(job_id, within=20)
        assert any("out of time" in message for message in rig.grok.session.messages)
        assert (row["call_status"], row["outcome"]) == ("completed", "no_agreement")
        (call,) = rig.twilio.calls_to(ACE[1])
        assert call.hung_up_via_rest
        result = await rig.twilio.wait_ended(call.sid)
        assert result.duration_seconds is not None and result.duration_seconds < 30
