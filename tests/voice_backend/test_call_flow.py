"""Whole calls through both services: job API → voice service → (fake) Twilio → phone, and
the bridge ↔ (fake) Grok Realtime."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fakes.twilio_rest import Line
from tests.support.servers import VOICE_WS
from tests.voice_backend.rig import running_rig
from voice_backend.sim import ScriptedPhone, Silence, Until, tone

ACE = ("Ace Plumbing", "+14155550100")


def _heard(seconds: float) -> Callable[[ScriptedPhone], bool]:
    return lambda phone: phone.heard_seconds >= seconds


def _talker(*utterances: float) -> ScriptedPhone:
    """A phone that waits for the agent to speak, then answers, once per utterance."""
    script: list[Until | bytes | Silence] = []
    for index, seconds in enumerate(utterances, start=1):
        script.append(Until(_heard(0.8 * index - 0.05)))  # each agent turn is 0.8 s long
        script.append(tone(300 + 50 * index, seconds))
        script.append(Silence(0.6))
    return ScriptedPhone(script, hang_up_after_seconds=120)


# On the service's own WebSocket protocol the frames take the direct path (no task switch);
# on uvicorn's own implementation, plain ASGI: the call must go the same either way.
@pytest.mark.parametrize("ws", [VOICE_WS, "auto"], ids=["direct-path", "plain-asgi"])
async def test_a_negotiated_call_end_to_end(tmp_path: Path, ws: str) -> None:
    async with running_rig(tmp_path, ws=ws) as rig:
        rig.twilio.lines[ACE[1]] = Line(phone=lambda: _talker(0.5, 0.6, 0.5))
        rig.grok.on_response("Hi, is this Ace Plumbing?", audio_ms=800)
        rig.grok.on_speech("yes this is ace plumbing")
        rig.grok.on_response("My toilet keeps running. How much would you charge?", audio_ms=800)
        rig.grok.on_speech("we can do it for two hundred dollars")
        rig.grok.on_response("Could you do one fifty?", audio_ms=800)
        rig.grok.on_speech("yeah I can do one fifty if I come this afternoon")
        rig.grok.on_response(
            "Thank you for your help! I will reach out to you again shortly.",
            audio_ms=900,
            end_call="agreed",
        )
        job_id = await rig.job(ACE)
        started = await rig.start(job_id)
        assert started["provider_count"] == 1
        (row,) = await rig.finished(job_id, within=40)
        assert row["call_status"] == "completed", row
        assert row["outcome"] == "agreed"
        assert row["negotiated_price"] == 150
        assert row["estimated_price"] == 200  # the first quote, so "saved $50" shows
        assert row["call_transcript"].splitlines() == [
            "1. [ASSISTANT]: Hi, is this Ace Plumbing?",
            "2. [USER]: yes this is ace plumbing",
            "3. [ASSISTANT]: My toilet keeps running. How much would you charge?",
            "4. [USER]: we can do it for two hundred dollars",
            "5. [ASSISTANT]: Could you do one fifty?",
            "6. [USER]: yeah I can do one fifty if I come this afternoon",
            "7. [ASSISTANT]: Thank you for your help! I will reach out to you again shortly.",
        ]
        (call,) = rig.twilio.calls_to(ACE[1])
        result = await rig.twilio.wait_ended(call.sid)
        assert call.hung_up_via_rest, "the agent's end_call hangs up through Twilio's REST API"
        assert rig.twilio.peer_errors() == []
        # Twilio's final callback gives the call's duration; its estimated cost follows.
        async with asyncio.timeout(5):
            while (row := (await rig.rows(job_id))[0])["cost"] is None:
                await asyncio.sleep(0.05)
        assert row["duration_seconds"] == result.duration_seconds >= 1
        minutes = row["duration_seconds"] / 60
        expected = math.ceil(minutes) * 0.014 + minutes * 0.05  # telephony + model, defaults
        assert row["cost"] == round(expected, 4)
        # The goodbye played in full before the hang-up: the phone heard all agent audio.
        session = rig.grok.session
        sent_ms = sum(session.audio_out_ms.values())
        assert isinstance(call.phone, ScriptedPhone)
        assert call.phone.heard_seconds * 1000 >= sent_ms - 40
        assert result.stream is not None and result.stream.clears == []
        # Grok's session was configured as the interface says, before the greeting.
        config = session.config
        assert config is not None
        assert config["voice"] == "Rex" and config["turn_detection"] == {"type": "server_vad"}
        assert config["audio"]["input"]["format"] == {"type": "audio/pcmu"}
        assert config["audio"]["output"]["format"] == {"type": "audio/pcmu"}
        assert [tool["name"] for tool in config["tools"]] == ["end_call"]
        assert "Hi, is this Ace Plumbing?" in config["instructions"]
        kinds = [kind for direction, kind in session.timeline]
        assert kinds.index("session.updated") < kinds.index("response.create")
        assert session.closed.is_set()
