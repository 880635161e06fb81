"""Three voice-service processes behind a load balancer, sharing a real Postgres: the calls of
one job split across them, one is killed mid-run, and every call still ends, nobody twice."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from urllib.parse import urlsplit

from shared.models import CallStatus
from shared.storage.sql import SQLStore
from tests.fakes.grok_realtime import FakeGrok
from tests.fakes.twilio_rest import FakeTwilio, Line
from tests.ops.voice_fleet import all_ended, job_calling, start_job, voice_fleet
from voice_backend.sim import ScriptedPhone

CALLS = 12


async def test_three_instances_share_the_calls_and_survive_one_dying(
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
    async with grok, twilio.serve():
        store = SQLStore(postgres_url)
        await store.open()
        job = await job_calling(store, numbers)
        async with voice_fleet(
            postgres_url=postgres_url,
            twilio=twilio,
            grok=grok,
            data_dir=tmp_path,
            # For the three together.
            calls_per_second=10,
            max_concurrent_calls=6,
        ) as (public, processes):
            process_a = processes["a"][1]
            began = time.monotonic()
            await start_job(public, job, CALLS)
            # Kill "a" (no goodbye, no cleanup) once another instance carries calls and "a" is
            # in the middle of some.
            async with asyncio.timeout(30):
                while True:
                    rows = await store.list_providers(job.id)
                    live_a = [
                        r
                        for r in rows
                        if r.claimed_by == "a" and r.call_status is CallStatus.IN_PROGRESS
                    ]
                    others = {r.claimed_by for r in rows} - {"a", None}
                    if len(live_a) >= 2 and others:
                        break
                    await asyncio.sleep(0.05)
            process_a.kill()
            killed_at = time.monotonic() - began
            rows = await all_ended(store, job, within=60)
            finished_at = time.monotonic() - began
        await store.close()

    # Every call ended; nobody was dialled twice.
    assert all(r.call_status.is_terminal for r in rows)
    assert sorted(call.to for call in twilio.calls.values()) == sorted(numbers)
    # Several instances served calls, "a" among them.
    owners = {r.claimed_by for r in rows}
    assert "a" in owners and len(owners) >= 2, owners
    # The calls "a" was serving when it died were closed out by another and hung up.
    abandoned = [r for r in rows if r.failure_reason and "instance" in r.failure_reason]
    assert abandoned and all(r.outcome == "error" for r in abandoned)
    for row in abandoned:
        assert row.call_sid is not None
        await twilio.wait_ended(row.call_sid, within_seconds=10)
    # Every other call either completed, or was cut off by the crash while its stream was
    # connecting to "a" (Twilio then ends the call, and another instance records why).
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
        f"{finished_at:.1f}s; served by a/b/c: "
        f"{'/'.join(str(sum(r.claimed_by == n for r in rows)) for n in 'abc')}; closed out "
        "after a died: "
        f"{len(abandoned)}; cut off while connecting: {len(cut_off)}; completed: "
        f"{len(completed)}; dialled once each: "
        f"{len(twilio.calls)} calls"
    )
    assert urlsplit(public).hostname == "127.0.0.1"
