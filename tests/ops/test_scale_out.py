"""Two voice-service processes behind a load balancer, sharing a real Postgres: the calls of
one job split across both, one is killed mid-run, and every call still ends, nobody twice."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from shared.models import CallStatus, JobCreate, ProviderCreate
from shared.storage.sql import SQLStore
from tests.fakes.grok_realtime import FakeGrok
from tests.fakes.twilio_rest import FakeTwilio, Line
from tests.support.balancer import balancer
from tests.support.servers import free_port, uvicorn_process
from voice_backend.sim import ScriptedPhone

TOKEN = "scale-out-token"
CALLS = 10


async def test_two_instances_share_the_calls_and_survive_one_dying(
    tmp_path: Path, postgres_url: str
) -> None:
    grok = FakeGrok()
    twilio = FakeTwilio(speed=1.0)
    numbers = [f"+1415555{7000 + i:04d}" for i in range(CALLS)]
    for number in numbers:
        twilio.lines[number] = Line(
            phone=lambda: ScriptedPhone.silent(hang_up_after_seconds=5), ring_seconds=0.3
        )
    grok.on_response("Hi, is this the plumber?", audio_ms=300)
    ports = {"a": free_port(), "b": free_port()}

    def env(instance: str, public: str) -> dict[str, str]:
        return {
            "DATABASE_URL": postgres_url,
            "TELEPHONY": "twilio",
            "AGENT": "grok",
            "TWILIO_ACCOUNT_SID": twilio.account_sid,
            "TWILIO_AUTH_TOKEN": twilio.auth_token,
            "TWILIO_PHONE_NUMBER": "+15005550006",
            "TWILIO_API_BASE_URL": twilio.base_url,
            "PUBLIC_BASE_URL": public,
            "XAI_API_KEY": grok.api_key,
            "GROK_REALTIME_URL": grok.url,
            "XAI_API_HOST": f"127.0.0.1:{free_port()}",
            "VOICE_BACKEND_TOKEN": TOKEN,
            "INSTANCE_ID": instance,
            "LEASE_SECONDS": "3",
            "DISPATCH_POLL_SECONDS": "0.2",
            "MAX_CONCURRENT_CALLS": "3",
            "CALLS_PER_SECOND": "10",
            "SILENCE_LIMIT_SECONDS": "60",
            "DATA_DIR": str(tmp_path / instance),
            "LOG_LEVEL": "warning",
            "CALLING_HOURS": "00:00-24:00",
        }

    async with grok, twilio.serve():
        store = SQLStore(postgres_url)
        await store.open()
        job = await store.create_job(JobCreate(problem="a leak", zip_code="94110"))
        await store.add_providers(
            job,
            [
                ProviderCreate(service_provider=f"P{i}", phone_number=n)
                for i, n in enumerate(numbers)
            ],
        )
        backends = [("127.0.0.1", port) for port in ports.values()]
        async with balancer(backends) as public:
            with (
                uvicorn_process("voice_backend.app:app", env("a", public), port=ports["a"]) as (
                    _,
                    process_a,
                ),
                uvicorn_process("voice_backend.app:app", env("b", public), port=ports["b"]) as (
                    _,
                    _process_b,
                ),
            ):
                began = time.monotonic()
                async with httpx.AsyncClient(base_url=public) as client:
                    started = await client.post(
                        f"/start-job/{job.id}", headers={"Authorization": f"Bearer {TOKEN}"}
                    )
                    assert started.json() == {"status": "started", "count": CALLS}
                # Kill "a" (no goodbye, no cleanup) once both instances carry calls and "a"
                # is in the middle of some.
                async with asyncio.timeout(30):
                    while True:
                        rows = await store.list_providers(job.id)
                        live_a = [
                            r
                            for r in rows
                            if r.claimed_by == "a" and r.call_status is CallStatus.IN_PROGRESS
                        ]
                        done_or_live_b = [r for r in rows if r.claimed_by == "b"]
                        if len(live_a) >= 2 and done_or_live_b:
                            break
                        await asyncio.sleep(0.05)
                process_a.kill()
                killed_at = time.monotonic() - began
                async with asyncio.timeout(60):
                    while True:
                        rows = await store.list_providers(job.id)
                        if all(r.call_status.is_terminal for r in rows):
                            break
                        await asyncio.sleep(0.1)
                finished_at = time.monotonic() - began
        await store.close()

    # Every call ended; nobody was dialled twice.
    assert all(r.call_status.is_terminal for r in rows)
    assert sorted(call.to for call in twilio.calls.values()) == sorted(numbers)
    # Both instances served calls.
    owners = {r.claimed_by for r in rows}
    assert owners == {"a", "b"}, owners
    # The calls "a" was serving when it died were closed out by "b" and hung up at Twilio.
    abandoned = [r for r in rows if r.failure_reason and "instance" in r.failure_reason]
    assert abandoned and all(r.outcome == "error" for r in abandoned)
    for row in abandoned:
        assert row.call_sid is not None
        await twilio.wait_ended(row.call_sid, within_seconds=10)
    # Every other call either completed, or was cut off by the crash while its stream was
    # connecting to "a" (Twilio then ends the call, and "b" records why).
    completed = [r for r in rows if r.call_status is CallStatus.COMPLETED]
    cut_off = [r for r in rows if r.failure_reason and "media stream" in r.failure_reason]
    summary = [(r.id, r.call_status.value, r.outcome, r.failure_reason, r.claimed_by) for r in rows]
    assert len(completed) + len(abandoned) + len(cut_off) == CALLS, summary
    assert len(completed) >= CALLS // 2, summary
    # Only connections to "a" as it died failed (webhooks, a stream's handshake); no protocol
    # error and no crash of the simulated calls.
    casualties = ("webhook failed", "stream refused", "TwiML fetch failed")
    others = [e for e in twilio.peer_errors() if not any(c in e for c in casualties)]
    assert others == [], others
    print(
        f"\nscale-out: {CALLS} calls, a killed at {killed_at:.1f}s, all final at "
        f"{finished_at:.1f}s; served by a: {sum(r.claimed_by == 'a' for r in rows)}, "
        f"b: {sum(r.claimed_by == 'b' for r in rows)}; closed out after a died: "
        f"{len(abandoned)}; cut off while connecting: {len(cut_off)}; completed: "
        f"{len(completed)}; dialled once each: "
        f"{len(twilio.calls)} calls"
    )
    assert urlsplit(public).hostname == "127.0.0.1"
