"""Dialing: nobody twice, Twilio's rate, a cap on calls in flight, restarts, and a job canceled
while no voice service runs."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from pathlib import Path

import httpx

from shared.models import CallStatus, CallUpdate, Job, JobCreate, Provider, ProviderCreate
from shared.settings import Settings
from shared.storage.sql import SQLStore
from tests.fakes.grok_realtime import FakeGrok
from tests.fakes.twilio_rest import FakeTwilio, Line
from tests.support.servers import VOICE_WS, bound_socket, serve
from tests.voice_backend.rig import TOKEN, running_rig, voice_settings
from voice_backend.app import create_app
from voice_backend.sim import CallScenario, ScriptedPhone


def _numbers(count: int) -> list[tuple[str, str]]:
    return [(f"Plumber {i}", f"+141555502{i:02d}") for i in range(count)]


async def test_repeated_start_dials_nobody_twice(tmp_path: Path) -> None:
    async with running_rig(tmp_path) as rig:
        providers = _numbers(4)
        for _, number in providers:
            rig.twilio.lines[number] = Line(CallScenario.BUSY)
        job_id = await rig.job(*providers)
        answers = await asyncio.gather(*(rig.start(job_id) for _ in range(5)))
        assert sum(answer["provider_count"] for answer in answers) == 4
        await rig.finished(job_id)
        again = await rig.start(job_id)
        assert again["provider_count"] == 0
        await asyncio.sleep(0.3)
        assert sorted(call.to for call in rig.twilio.calls.values()) == [n for _, n in providers]


async def test_calls_per_second_and_concurrency_limits(tmp_path: Path) -> None:
    async with running_rig(
        tmp_path, twilio_speed=2.0, calls_per_second=4, max_concurrent_calls=2
    ) as rig:
        providers = _numbers(6)
        for _, number in providers:
            # Each answered call stays up ~2 s of call time, then the phone hangs up.
            rig.twilio.lines[number] = Line(
                phone=lambda: ScriptedPhone.silent(hang_up_after_seconds=2), ring_seconds=0.2
            )
        job_id = await rig.job(*providers)
        in_flight: list[int] = []

        async def sample() -> None:
            while True:
                rows = await rig.rows(job_id)
                in_flight.append(sum(r["call_status"] in ("dialing", "in_progress") for r in rows))
                await asyncio.sleep(0.05)

        sampler = asyncio.create_task(sample())
        await rig.start(job_id)
        rows = await rig.finished(job_id, within=60)
        sampler.cancel()
        assert all(row["call_status"] == "completed" for row in rows)
        assert max(in_flight) == 2  # never more than MAX_CONCURRENT_CALLS at once
        # At most CALLS_PER_SECOND call creations reach Twilio in any one-second window.
        assert rig.twilio.max_calls_in(1.0) <= 4


@dataclass
class DeadInstance:
    """What a voice instance that died left behind, and the fakes its successor talks to:
    three busy lines, the job's first call in flight (claimed by this instance's id, its SID
    `IN_FLIGHT_SID`), the other two queued."""

    settings: Settings
    sock: socket.socket
    url: str
    store: SQLStore
    job: Job
    providers: list[tuple[str, str]]

    async def until_every_call_ended(self) -> list[Provider]:
        """The job's rows, once none is still queued or in flight."""
        async with asyncio.timeout(30):
            while not all(
                row.call_status.is_terminal for row in await self.store.list_providers(self.job.id)
            ):
                await asyncio.sleep(0.05)
        return await self.store.list_providers(self.job.id)


IN_FLIGHT_SID = "CA" + "1" * 32


async def _dead_instance(tmp_path: Path, twilio: FakeTwilio, grok: FakeGrok) -> DeadInstance:
    providers = _numbers(3)
    for _, number in providers:
        twilio.lines[number] = Line(CallScenario.BUSY, ring_seconds=0.3)
    sock, url = bound_socket()
    settings = voice_settings(tmp_path, twilio, grok, url, max_concurrent_calls=1)
    store = SQLStore(settings.database_url)
    await store.open()
    job = await store.create_job(JobCreate(problem="a leak", zip_code="94110"))
    added = await store.add_providers(
        job, [ProviderCreate(service_provider=n, phone_number=p) for n, p in providers]
    )
    await store.queue_calls(job.id)
    await store.claim_call(added[0].id, settings.instance_id)
    await store.update_call(
        added[0].id, CallUpdate(call_status=CallStatus.IN_PROGRESS, call_sid=IN_FLIGHT_SID)
    )
    return DeadInstance(settings, sock, url, store, job, providers)


async def test_restart_resumes_queued_calls_and_closes_out_calls_in_flight(
    tmp_path: Path,
) -> None:
    """A voice service dies with one call in flight and two queued; the next one finishes
    the job: the dead call is closed out, the queued ones are dialled, nobody twice."""
    async with FakeGrok() as grok:
        twilio = FakeTwilio(speed=2.0)
        async with twilio.serve():
            dead = await _dead_instance(tmp_path, twilio, grok)
            async with (
                serve(create_app(dead.settings), sock=dead.sock, ws=VOICE_WS),
                httpx.AsyncClient(base_url=dead.url) as client,
            ):
                await dead.until_every_call_ended()
                # A repeated start after the restart dials nobody.
                again = await client.post(
                    f"/start-job/{dead.job.id}", headers={"Authorization": f"Bearer {TOKEN}"}
                )
                assert again.json() == {"status": "started", "count": 0}
            first, second, third = await dead.store.list_providers(dead.job.id)
            await dead.store.close()
    assert (first.call_status, first.outcome) == (CallStatus.FAILED, "error")
    assert first.failure_reason is not None and "restarted" in first.failure_reason
    assert [(p.call_status, p.outcome) for p in (second, third)] == [
        (CallStatus.FAILED, "busy"),
        (CallStatus.FAILED, "busy"),
    ]
    queued = [number for _, number in dead.providers[1:]]
    assert sorted(call.to for call in twilio.calls.values()) == queued
    assert IN_FLIGHT_SID in [u.path.split("/")[-1].removesuffix(".json") for u in twilio.updates]


async def test_a_job_canceled_while_the_voice_service_is_down_is_not_resumed(
    tmp_path: Path,
) -> None:
    """The queue no longer resumes by itself once the job is canceled: a voice service dies
    with one call in flight and two queued, the job is canceled meanwhile (what the job API's
    cancel does while the voice service is down), and the next instance dials nobody."""
    async with FakeGrok() as grok:
        twilio = FakeTwilio(speed=2.0)
        async with twilio.serve():
            dead = await _dead_instance(tmp_path, twilio, grok)
            assert len(await dead.store.cancel_job(dead.job.id)) == 2
            async with serve(create_app(dead.settings), sock=dead.sock, ws=VOICE_WS):
                await dead.until_every_call_ended()
                await asyncio.sleep(1.0)  # a dispatcher pass or two after the close-out
            rows = await dead.store.list_providers(dead.job.id)
            await dead.store.close()
    assert twilio.calls == {}  # nothing dialled
    assert [(row.call_status, row.outcome) for row in rows[1:]] == [
        (CallStatus.FAILED, "canceled"),
        (CallStatus.FAILED, "canceled"),
    ]
    # The call left in flight is closed out and hung up through Twilio's REST API.
    assert rows[0].call_status.is_terminal
    assert IN_FLIGHT_SID in [u.path.split("/")[-1].removesuffix(".json") for u in twilio.updates]
