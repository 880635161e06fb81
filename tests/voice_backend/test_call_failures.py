"""Every call reaches a final state, whatever goes wrong, with its outcome and a reason."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.fakes.grok_realtime import FakeGrok
from tests.fakes.twilio_rest import Line, RestError
from tests.support.servers import free_port
from tests.voice_backend.rig import running_rig
from voice_backend.sim import CallScenario, ScriptedPhone, Tunnel, Until, tone

BUSY = ("Busy Bee Plumbing", "+14155550111")
AWAY = ("Away Rooter", "+14155550112")
WRONG = ("Wrong Number Co", "+14155550113")
ROBOT = ("Robot Drains", "+14155550114")
FLAKY = ("Flaky Pipes", "+14155550115")


async def test_unanswered_busy_failed_and_voicemail_calls_end_failed(tmp_path: Path) -> None:
    async with running_rig(tmp_path) as rig:
        rig.twilio.lines[BUSY[1]] = Line(CallScenario.BUSY)
        rig.twilio.lines[AWAY[1]] = Line(CallScenario.NO_ANSWER, ring_seconds=2)
        rig.twilio.lines[WRONG[1]] = Line(rest_error=RestError.invalid_number(WRONG[1]))
        rig.twilio.lines[ROBOT[1]] = Line(CallScenario.VOICEMAIL, amd_seconds=0.5)
        rig.twilio.lines[FLAKY[1]] = Line(CallScenario.FAILED)
        rig.grok.on_response("Hi, is this Robot Drains?", audio_ms=3000)
        job_id = await rig.job(BUSY, AWAY, WRONG, ROBOT, FLAKY)
        await rig.start(job_id)
        rows = {row["name"]: row for row in await rig.finished(job_id, within=40)}
        expected = {
            BUSY[0]: "busy",
            AWAY[0]: "no_answer",
            WRONG[0]: "dial_error",
            ROBOT[0]: "voicemail",
            FLAKY[0]: "dial_error",
        }
        for name, outcome in expected.items():
            assert rows[name]["call_status"] == "failed", rows[name]
            assert rows[name]["outcome"] == outcome, rows[name]
            assert rows[name]["failure_reason"], rows[name]
            assert rows[name]["negotiated_price"] is None
        assert "21211" in rows[WRONG[0]]["failure_reason"]
        # The voicemail's call was hung up, not left recording.
        (robot_call,) = rig.twilio.calls_to(ROBOT[1])
        await rig.twilio.wait_ended(robot_call.sid)
        assert robot_call.hung_up_via_rest
        assert rig.twilio.peer_errors() == []


@dataclass(frozen=True)
class _NoWebSockets(Tunnel):
    """A proxy that passes webhooks but not WebSocket upgrades (a classic deployment bug)."""

    dead_port: int = 9

    def route(self, url: str) -> str:
        if url.startswith(("ws://", "wss://")):
            return f"ws://127.0.0.1:{self.dead_port}/media-stream"
        return super().route(url)


async def test_a_stream_that_never_connects_ends_failed(tmp_path: Path) -> None:
    async with running_rig(tmp_path) as rig:
        rig.twilio.tunnel = _NoWebSockets(rig.voice_url, rig.voice_url, free_port())
        job_id = await rig.job(("Ace Plumbing", "+14155550100"))
        await rig.start(job_id)
        (row,) = await rig.finished(job_id)
        assert (row["call_status"], row["outcome"]) == ("failed", "error")
        assert "media stream" in row["failure_reason"]
        assert rig.grok.sessions == []  # no model minute spent


async def test_grok_error_mid_call_ends_with_transcript(tmp_path: Path) -> None:
    async with running_rig(tmp_path) as rig:
        rig.twilio.lines["+14155550100"] = Line(
            phone=lambda: ScriptedPhone([Until(lambda p: p.heard_seconds >= 0.5), tone(400, 0.5)])
        )
        rig.grok.on_response("Hi, is this Ace Plumbing?", audio_ms=600)
        rig.grok.on_speech("yes speaking")
        rig.grok.on_response("Great, I have a running toilet.", audio_ms=5000)
        job_id = await rig.job(("Ace Plumbing", "+14155550100"))
        await rig.start(job_id)
        session = await rig.grok.wait_session()
        await session.wait_until(lambda: len(session.received("response.create")) >= 1)
        await session.wait_until(
            lambda: any(
                kind == "conversation.item.input_audio_transcription.completed"
                for _, kind in session.timeline
            ),
            within=15,
        )
        await rig.grok.send_error("server_error", "the model crashed", error_type="server_error")
        (row,) = await rig.finished(job_id)
        assert (row["call_status"], row["outcome"]) == ("failed", "error")
        assert "agent" in row["failure_reason"]
        assert "1. [ASSISTANT]: Hi, is this Ace Plumbing?" in row["call_transcript"]
        assert "[USER]: yes speaking" in row["call_transcript"]
        (call,) = rig.twilio.calls_to("+14155550100")
        await rig.twilio.wait_ended(call.sid)
        assert call.hung_up_via_rest  # we hung up; the provider was not left on the line
        assert session.closed.is_set()


async def test_grok_disconnect_ends_the_call(tmp_path: Path) -> None:
    async with running_rig(tmp_path) as rig:
        rig.grok.on_response("Hi, is this Ace Plumbing?", audio_ms=400)
        job_id = await rig.job(("Ace Plumbing", "+14155550100"))
        await rig.start(job_id)
        session = await rig.grok.wait_session()
        await session.wait_for("response.create")
        await rig.grok.drop()
        (row,) = await rig.finished(job_id)
        assert (row["call_status"], row["outcome"]) == ("failed", "error")
        (call,) = rig.twilio.calls_to("+14155550100")
        await rig.twilio.wait_ended(call.sid)
        assert call.hung_up_via_rest


async def test_grok_ignoring_the_audio_format_never_greets(tmp_path: Path) -> None:
    async with running_rig(tmp_path, grok=FakeGrok(ignore_formats=True)) as rig:
        job_id = await rig.job(("Ace Plumbing", "+14155550100"))
        await rig.start(job_id)
        (row,) = await rig.finished(job_id)
        assert (row["call_status"], row["outcome"]) == ("failed", "error")
        assert "format" in row["failure_reason"]
        session = rig.grok.session
        assert session.received("response.create") == []  # no static on the phone


async def test_the_agent_hanging_up_on_a_voicemail_records_voicemail(tmp_path: Path) -> None:
    async with running_rig(tmp_path) as rig:
        # Twilio's detection says human; the agent hears the greeting and hangs up itself.
        rig.twilio.lines[ROBOT[1]] = Line(phone=lambda: ScriptedPhone.voicemail(1.0, 0.3, 20))
        rig.grok.on_response("", audio_ms=0, end_call="voicemail")
        job_id = await rig.job(ROBOT)
        await rig.start(job_id)
        (row,) = await rig.finished(job_id)
        assert (row["call_status"], row["outcome"]) == ("failed", "voicemail")
        (call,) = rig.twilio.calls_to(ROBOT[1])
        assert call.hung_up_via_rest
