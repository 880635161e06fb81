"""Three voice-service processes on one Postgres keep the fleet's limits together: never more
than `CALLS_PER_SECOND` call creations at Twilio in any one-second window, never more than
`MAX_CONCURRENT_CALLS` calls in flight, each number dialled once."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from shared.models import CallStatus
from shared.storage.sql import SQLStore
from tests.fakes.grok_realtime import FakeGrok
from tests.fakes.twilio_rest import FakeTwilio, Line
from tests.ops.voice_fleet import all_ended, job_calling, start_job, voice_fleet
from voice_backend.sim import CallScenario

CALLS = 12
RATE = 3
CAP = 4


async def test_three_instances_share_one_dial_rate_and_one_cap(
    tmp_path: Path, postgres_url: str
) -> None:
    grok = FakeGrok()
    twilio = FakeTwilio(speed=1.0)
    numbers = [f"+1415555{7100 + i:04d}" for i in range(CALLS)]
    for number in numbers:
        # Each call rings 2 s, then the line is busy: with 3 dials a second the cap is what
        # holds calls back. (No media stream: the loop of this process, which timestamps the
        # calls reaching Twilio, stays free enough to time them to the millisecond.)
        twilio.lines[number] = Line(CallScenario.BUSY, ring_seconds=2.0)
    in_flight: list[int] = []
    async with grok, twilio.serve():
        store = SQLStore(postgres_url)
        await store.open()
        job = await job_calling(store, numbers)

        async def sample() -> None:
            while True:
                rows = await store.list_providers(job.id)
                live = (CallStatus.DIALING, CallStatus.IN_PROGRESS)
                in_flight.append(sum(row.call_status in live for row in rows))
                await asyncio.sleep(0.05)

        async with voice_fleet(
            postgres_url=postgres_url,
            twilio=twilio,
            grok=grok,
            data_dir=tmp_path,
            calls_per_second=RATE,
            max_concurrent_calls=CAP,
        ) as (public, _):
            sampler = asyncio.create_task(sample())
            await start_job(public, job, CALLS)
            rows = await all_ended(store, job, within=90)
            sampler.cancel()
        await store.close()

    summary = [(r.id, r.call_status.value, r.outcome, r.failure_reason, r.claimed_by) for r in rows]
    assert all((row.call_status, row.outcome) == (CallStatus.FAILED, "busy") for row in rows), (
        summary
    )
    # Each number dialled once, by whichever instance claimed it; more than one instance did.
    assert sorted(call.to for call in twilio.calls.values()) == sorted(numbers)
    assert len({row.claimed_by for row in rows}) >= 2, summary
    # The fleet's limits, together: per one-second window at Twilio, and calls in flight.
    creations = sorted(call.request.at for call in twilio.calls.values())
    gaps = [round(later - earlier, 3) for earlier, later in itertools.pairwise(creations)]
    print(
        f"\nfleet: {CALLS} calls over 3 instances; most call creations at Twilio in any 1 s: "
        f"{twilio.max_calls_in(1.0)} (CALLS_PER_SECOND {RATE}); most in flight: "
        f"{max(in_flight)} (cap {CAP}); numbers dialled: {len(twilio.calls)}, each once"
    )
    assert twilio.max_calls_in(1.0) <= RATE, gaps
    assert max(in_flight) <= CAP
    assert max(in_flight) == CAP  # the cap was reached: it is what held the rest back
