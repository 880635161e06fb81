"""Metrics, logs and health checks, as the people running Haggle see them."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.main import create_app as create_api
from shared.logs import configure_logging
from shared.settings import load_settings
from tests.fakes.twilio_rest import Line
from tests.support.servers import serve
from tests.voice_backend.rig import running_rig
from voice_backend.app import NotConfigured
from voice_backend.app import create_app as create_voice
from voice_backend.sim import ScriptedPhone, Silence, Until, tone

ACE = ("Ace Plumbing", "+14155550100")


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus' text format (0 when absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}(?:\{{(.*)\}})? (\S+)", line)
        if match and ",".join(sorted((match.group(1) or "").split(","))) == wanted:
            return float(match.group(2))
    return 0.0


def _phone() -> ScriptedPhone:
    return ScriptedPhone(
        [Until(lambda p: p.heard_seconds >= 0.55), tone(420, 0.5), Silence(0.5)],
        hang_up_after_seconds=60,
    )


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    yield stream
    # Back to a plain handler, so later tests do not write into this stream.
    configure_logging(load_settings())


async def test_a_call_shows_in_metrics_and_json_logs(
    tmp_path: Path, captured_logs: io.StringIO
) -> None:
    secrets = {
        "twilio_auth_token": "tw-auth-token-0123456789",
        "xai_api_key": "xai-key-abcdefghijklmnop",
        "voice_backend_token": "voice-token-9876543210",
    }
    async with running_rig(tmp_path, log_format="json", log_level="debug") as rig:
        # The fakes take their credentials from the rig; the secrets under test are the real
        # settings' values, logged by every library that logs headers at debug.
        configure_logging(rig.settings, captured_logs)
        rig.twilio.lines[ACE[1]] = Line(phone=_phone)
        rig.grok.on_response("Hi, is this Ace Plumbing?", audio_ms=600)
        rig.grok.on_speech("yes we can do it for one twenty")
        rig.grok.on_response(
            "Thank you for your help! I will reach out to you again shortly.",
            audio_ms=600,
            end_call="agreed",
        )
        before = (await rig.voice.get("/metrics")).text
        job_id = await rig.job(ACE)
        await rig.start(job_id)
        (row,) = await rig.finished(job_id)
        after = (await rig.voice.get("/metrics")).text
        api_metrics = (await rig.api.get("/metrics")).text
        secrets |= {
            "twilio_auth_token": rig.twilio.auth_token,
            "xai_api_key": rig.grok.api_key,
        }

    assert row["outcome"] == "agreed"
    for name, labels, delta in [
        ("haggle_calls_total", {"outcome": "agreed"}, 1),
        ("haggle_price_extractions_total", {"path": "offline"}, 1),
        ("haggle_price_extraction_failures_total", {"path": "grok"}, 1),
        ("haggle_first_agent_audio_seconds_count", {}, 1),
    ]:
        assert _sample(after, name, **labels) - _sample(before, name, **labels) == delta, name
    # The bridge times the first frame each way, then one in 50: a few for this call.
    assert _sample(after, "haggle_bridge_frame_seconds_count", direction="to_agent") >= 1
    assert _sample(after, "haggle_bridge_frame_seconds_count", direction="to_twilio") >= 1
    assert "haggle_calls_in_flight" in after
    assert _sample(api_metrics, "haggle_jobs_created_total") >= 1

    lines = [line for line in captured_logs.getvalue().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    ended = [r for r in records if r["message"].startswith("call ended")]
    assert len(ended) == 1
    assert ended[0]["job_id"] == job_id and ended[0]["call_sid"].startswith("CA")
    call_lines = [r for r in records if r.get("call_sid") == ended[0]["call_sid"]]
    assert len(call_lines) >= 3 and all(r.get("job_id") == job_id for r in call_lines)
    # Transcripts (personal data) only at debug.
    said = [r for r in records if "one twenty" in r["message"]]
    assert said and all(r["level"] == "debug" for r in said)
    text = captured_logs.getvalue()
    for name, value in secrets.items():
        assert value not in text, f"{name} was logged"


async def test_text_logs_carry_the_call_ids(tmp_path: Path) -> None:
    stream = io.StringIO()
    settings = load_settings(log_format="text", log_level="info")
    configure_logging(settings, stream)
    try:
        from shared.logs import call_context

        with call_context(job_id="J1", provider_id=7, call_sid="CA1"):
            logging.getLogger("haggle.test").info("dialled")
        assert "dialled" in stream.getvalue()
        assert "job_id=J1 provider_id=7 call_sid=CA1" in stream.getvalue()
    finally:
        configure_logging(load_settings())


async def test_readiness_of_both_services(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path}/h.db"
    # A voice service told to use Twilio without credentials never starts (see
    # tests/voice_backend/test_never_open.py); the job API lists the half-done integration.
    incomplete = load_settings(database_url=database, telephony="twilio")
    with pytest.raises(NotConfigured, match="TWILIO_ACCOUNT_SID"):
        create_voice(incomplete)
    async with serve(create_api(incomplete)) as url, httpx.AsyncClient(base_url=url) as http:
        ready = await http.get("/readyz")
        assert ready.status_code == 503
        assert "TWILIO_ACCOUNT_SID" in " ".join(ready.json()["problems"])
    api = load_settings(database_url=database, call_backend_url="http://127.0.0.1:9")
    async with serve(create_api(api)) as url, httpx.AsyncClient(base_url=url) as http:
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["voice_service"] == "unreachable"
    async with running_rig(tmp_path / "rig") as rig:
        ready = await rig.voice.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["telephony"] == "twilio" and ready.json()["agent"] == "grok"
        assert (await rig.api.get("/readyz")).json()["voice_service"] == "reachable"


async def test_readiness_fails_when_the_store_is_down(tmp_path: Path, postgres_url: str) -> None:
    from tests.voice_backend.test_resilience import _set_connections

    async with running_rig(tmp_path, database_url=postgres_url) as rig:
        assert (await rig.voice.get("/readyz")).status_code == 200
        await _set_connections(postgres_url, allowed=False)
        try:
            for client in (rig.voice, rig.api):
                down = await client.get("/readyz")
                assert down.status_code == 503
                assert "store unreachable" in down.json()["problems"][0]
        finally:
            await _set_connections(postgres_url, allowed=True)
        assert (await rig.voice.get("/readyz")).status_code == 200
