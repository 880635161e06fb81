"""Live, crash-safe transcripts: each turn is on the provider's row within 2 s of ending, the
job's event stream carries it (and the first quote) while the call runs, and a `kill -9` of
the voice service mid-call loses none of it."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx

from shared.models import (
    CallStatus,
    JobCreate,
    Outcome,
    Provider,
    ProviderCreate,
    TranscriptTurn,
)
from shared.storage.sql import SQLStore
from tests.api.conftest import OPERATOR, OPERATOR_KEY
from tests.fakes.grok_realtime import FakeGrok
from tests.fakes.twilio_rest import FakeTwilio, Line
from tests.support.servers import free_port, uvicorn_process
from tests.voice_backend.rig import CALLER_ID, TOKEN, running_rig
from voice_backend.sim import ScriptedPhone

ACE = ("Ace Plumbing", "+14155550100")
GREETING = "Hi, is this Ace Plumbing? I am calling about a running toilet."
QUOTE = "Yes, we can fix that for two hundred dollars."
REPLY = "Two hundred sounds fair. Let me check one thing."


def _line() -> Line:
    return Line(phone=lambda: ScriptedPhone.silent(hang_up_after_seconds=120))


async def _event_with(lines: Any, predicate: Any, *, within: float = 10.0) -> dict[str, Any]:
    """The first `provider` event of an SSE stream whose data satisfies `predicate`."""
    kind = None
    async with asyncio.timeout(within):
        async for line in lines:
            if line.startswith("event: "):
                kind = line[len("event: ") :]
            elif line.startswith("data: ") and kind == "provider":
                data: dict[str, Any] = json.loads(line[len("data: ") :])
                if predicate(data):
                    return data
    raise AssertionError("the stream ended")


async def test_each_turn_is_stored_and_streamed_while_the_call_runs(tmp_path: Path) -> None:
    async with running_rig(tmp_path, twilio_speed=1.0) as rig:
        rig.twilio.lines[ACE[1]] = _line()
        rig.grok.on_response(GREETING, audio_ms=400)
        rig.grok.on_response(REPLY, audio_ms=400)
        job_id = await rig.job(ACE, max_price=300)
        await rig.start(job_id)
        session = await rig.grok.wait_session()
        await session.wait_until(
            lambda: ("out", "response.done") in session.timeline, "the greeting", within=10
        )
        async with rig.api.stream("GET", f"/api/jobs/{job_id}/events") as events:
            lines = events.aiter_lines()
            greeted = await _event_with(lines, lambda d: len(d["transcript_turns"]) == 1)
            assert greeted["call_status"] == "in_progress"
            assert greeted["transcript_turns"] == [{"role": "assistant", "text": GREETING}]
            said_at = time.monotonic()
            await session.provider_says(QUOTE)
            quoted = await _event_with(
                lines, lambda d: any(t["role"] == "user" for t in d["transcript_turns"])
            )
            # The provider's turn and the first quote, while the call still runs.
            assert quoted["call_status"] == "in_progress"
            assert quoted["transcript_turns"][1] == {"role": "user", "text": QUOTE}
            assert quoted["minimum_quote"] == 200
        # The stored row had it within 2 s of the turn ending (the stream polls the store).
        (row,) = await rig.rows(job_id)
        assert time.monotonic() - said_at < 2.0
        assert row["call_transcript"].splitlines()[:2] == [
            f"1. [ASSISTANT]: {GREETING}",
            f"2. [USER]: {QUOTE}",
        ]
        await session.wait_until(lambda: len(session.received("response.create")) >= 1)
        await session.request_end_call("agreed")
        (row,) = await rig.finished(job_id, within=30)
        assert row["call_status"] == "completed"
        texts = [turn["text"] for turn in row["transcript_turns"]]
        assert texts == [GREETING, QUOTE, REPLY]


async def test_a_kill_9_mid_call_keeps_every_turn_and_ends_the_call(tmp_path: Path) -> None:
    grok, twilio = FakeGrok(), FakeTwilio(speed=1.0)
    twilio.lines[ACE[1]] = _line()
    grok.on_response(GREETING, audio_ms=400)
    grok.on_response(REPLY, audio_ms=400)
    database_url = f"sqlite:///{tmp_path}/haggle.db"
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    store = SQLStore(database_url)
    async with grok, twilio.serve():
        env = {
            "DATABASE_URL": database_url,
            "TELEPHONY": "twilio",
            "AGENT": "grok",
            "TWILIO_ACCOUNT_SID": twilio.account_sid,
            "TWILIO_AUTH_TOKEN": twilio.auth_token,
            "TWILIO_PHONE_NUMBER": CALLER_ID,
            "PUBLIC_BASE_URL": public,
            "XAI_API_KEY": grok.api_key,
            "GROK_REALTIME_URL": grok.url,
            "XAI_API_HOST": f"127.0.0.1:{free_port()}",
            "VOICE_BACKEND_TOKEN": TOKEN,
            "INSTANCE_ID": "voice-a",
            "CALLING_HOURS": "00:00-24:00",  # whatever the hour in San Francisco
            "DATA_DIR": str(tmp_path / "data"),
            "LOG_LEVEL": "warning",
        }
        env["TWILIO_API_BASE_URL"] = twilio.base_url or ""
        await store.open()
        job = await store.create_job(JobCreate(problem="a running toilet", zip_code="94110"))
        (provider,) = await store.add_providers(
            job, [ProviderCreate(service_provider=ACE[0], phone_number=ACE[1])]
        )
        with uvicorn_process("voice_backend.app:app", env, port=port) as (url, process):
            async with asyncio.timeout(10):
                started = await asyncio.to_thread(
                    _post, f"{url}/start-job/{job.id}", {"Authorization": f"Bearer {TOKEN}"}
                )
            assert started == 200
            session = await grok.wait_session(within=15)
            await session.wait_until(
                lambda: ("out", "response.done") in session.timeline, "the greeting", within=10
            )
            await session.provider_says(QUOTE)
            # Each turn is on the row within 2 s of ending, while the call runs.
            row = await _row_with_turns(store, provider.id, 2)
            assert row.minimum_quote == 200  # the first quote, as soon as it was heard
            await session.wait_until(
                lambda: session.timeline.count(("out", "response.done")) >= 2, "the reply"
            )
            row = await _row_with_turns(store, provider.id, 3)
            assert row.call_status is CallStatus.IN_PROGRESS
            process.kill()  # SIGKILL: no shutdown, no final write
            process.wait()
        # While the voice service is down, the job API shows every turn and the first quote.
        api_env = {"DATABASE_URL": database_url, "HAGGLE_API_KEY": OPERATOR_KEY}
        with uvicorn_process("api.main:app", api_env) as (api, _):
            shown = await asyncio.to_thread(
                httpx.get, f"{api}/api/providers/{job.id}/status", headers=OPERATOR, timeout=15
            )
        assert shown.status_code == 200
        (visible,) = shown.json()
        assert [line.split(": ", 1)[1] for line in visible["call_transcript"].splitlines()] == [
            GREETING,
            QUOTE,
            REPLY,
        ]
        assert visible["minimum_quote"] == 200
        # The row still has every turn; the restarted service closes the call out.
        with uvicorn_process("voice_backend.app:app", env, port=port):
            async with asyncio.timeout(10):
                while True:
                    row = await store.get_provider(provider.id)
                    assert row is not None
                    if row.call_status.is_terminal:
                        break
                    await asyncio.sleep(0.1)
        await store.close()
    assert (row.call_status, row.outcome) == (CallStatus.FAILED, Outcome.ERROR)
    assert row.failure_reason and "restarted" in row.failure_reason
    assert row.transcript_turns == [
        TranscriptTurn(role="assistant", text=GREETING),
        TranscriptTurn(role="user", text=QUOTE),
        TranscriptTurn(role="assistant", text=REPLY),
    ]
    assert row.call_transcript is not None and QUOTE in row.call_transcript
    assert row.minimum_quote == 200


def _post(url: str, headers: dict[str, str]) -> int:
    return httpx.post(url, headers=headers, timeout=10).status_code


async def _row_with_turns(store: SQLStore, provider_id: int, count: int) -> Provider:
    """The provider's row once it holds `count` turns; fails after 2 s."""
    async with asyncio.timeout(2.0):
        while True:
            row = await store.get_provider(provider_id)
            assert row is not None
            if len(row.transcript_turns) >= count:
                return row
            await asyncio.sleep(0.05)
