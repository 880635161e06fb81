"""After the calls end: follow-ups placed by themselves, the spend cap, the job webhook."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shared.models import CallStatus, CallUpdate, JobCreate, ProviderCreate, utcnow
from tests.fakes.twilio_rest import Line
from tests.support.servers import serve
from tests.voice_backend.rig import Rig, running_rig
from voice_backend.sim import CallScenario
from voice_backend.webhook import DELIVERY_HEADER, SIGNATURE_HEADER, verify

BUSY = ("Busy Bee Plumbing", "+14155550111")  # San Francisco: America/Los_Angeles
SECRET = "webhook-secret-for-tests"


async def _job(rig: Rig, provider: tuple[str, str], followup_minutes: list[float]) -> str:
    job = await rig.api.post(
        "/api/jobs",
        json={
            "problem": "my toilet keeps running",
            "zip_code": "94110",
            "max_price": 150,
            "followup_minutes": followup_minutes,
        },
    )
    job_id: str = job.json()["job_id"]
    name, phone = provider
    added = await rig.api.post(
        f"/api/jobs/{job_id}/providers",
        json={"providers": [{"service_provider": name, "phone_number": phone}]},
    )
    added.raise_for_status()
    return job_id


async def _until(rig: Rig, job_id: str, check: Any, within: float = 20.0) -> list[dict[str, Any]]:
    async with asyncio.timeout(within):
        while True:
            rows = await rig.rows(job_id)
            if check(rows):
                return rows
            await asyncio.sleep(0.1)


async def test_a_busy_line_is_called_again_by_itself_after_the_delay(tmp_path: Path) -> None:
    async with running_rig(tmp_path, calling_hours="00:00-24:00") as rig:
        rig.twilio.lines[BUSY[1]] = Line(CallScenario.BUSY)
        job_id = await _job(rig, BUSY, followup_minutes=[0.03])  # 1.8 s
        await rig.start(job_id)
        await rig.finished(job_id)
        (first,) = await _until(rig, job_id, _scheduled)
        assert (first["outcome"], first["attempt"]) == ("busy", 1)
        assert first["next_attempt_at"] is not None  # the board shows when
        due = datetime.fromisoformat(first["next_attempt_at"])
        ended = datetime.fromisoformat(first["ended_at"])
        assert timedelta(seconds=1.5) < due - ended < timedelta(seconds=2.5)
        assert first["duration_seconds"] == 0 and first["cost"] == 0  # a busy line is free
        (second,) = await _until(
            rig,
            job_id,
            lambda rows: rows[0]["attempt"] == 2 and rows[0]["call_status"] == "failed",
        )
        assert second["outcome"] == "busy" and second["attempt_reason"] == "follow_up"
        assert second["next_attempt_at"] is None  # the schedule had one follow-up
        assert len(rig.twilio.calls_to(BUSY[1])) == 2
        attempts = (await rig.api.get(f"/api/jobs/{job_id}/attempts")).json()
        assert [(a["attempt"], a["outcome"]) for a in attempts] == [(1, "busy"), (2, "busy")]


async def test_a_follow_up_past_the_daily_call_limit_is_dropped(tmp_path: Path) -> None:
    async with running_rig(tmp_path, calling_hours="00:00-24:00", daily_call_limit=1) as rig:
        rig.twilio.lines[BUSY[1]] = Line(CallScenario.BUSY)
        job_id = await _job(rig, BUSY, followup_minutes=[0.03])  # 1.8 s
        await rig.start(job_id)
        await rig.finished(job_id)
        await _until(rig, job_id, _scheduled)
        (row,) = await _until(rig, job_id, lambda rows: rows[0]["next_attempt_at"] is None)
        assert (row["attempt"], row["outcome"]) == (1, "busy")
        await asyncio.sleep(1.0)
        assert len(rig.twilio.calls_to(BUSY[1])) == 1


def _scheduled(rows: list[dict[str, Any]]) -> bool:
    return rows[0]["call_status"] == "failed" and rows[0]["next_attempt_at"] is not None


def _window_closing_soon() -> tuple[str, datetime]:
    """Calling hours in San Francisco that hold now and close within three minutes, and when
    they open next (tomorrow at midnight, local time)."""
    zone = ZoneInfo("America/Los_Angeles")
    local = utcnow().astimezone(zone)
    closes = (local + timedelta(minutes=3)).replace(second=0, microsecond=0)
    if closes.date() != local.date() or closes - local < timedelta(minutes=2):
        pytest.skip("too close to midnight or to a minute's end in San Francisco to test this")
    opening = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return f"00:00-{closes.hour:02d}:{closes.minute:02d}", opening


async def test_a_follow_up_waits_for_calling_hours(tmp_path: Path) -> None:
    hours, opening = _window_closing_soon()
    async with running_rig(tmp_path, calling_hours=hours) as rig:
        rig.twilio.lines[BUSY[1]] = Line(CallScenario.BUSY)
        job_id = await _job(rig, BUSY, followup_minutes=[3])  # due after the window closes
        async with rig.voice_store() as store:
            # The first call is placed now, inside the window.
            await rig.start(job_id)
            await rig.finished(job_id)
            (row,) = await _until(rig, job_id, _scheduled)
            assert datetime.fromisoformat(row["next_attempt_at"]) == opening
            await asyncio.sleep(2)
            assert len(rig.twilio.calls_to(BUSY[1])) == 1
            assert (await store.get_provider(row["id"])).attempt == 1  # type: ignore[union-attr]


async def test_the_spend_cap_stops_dialling_with_its_reason(tmp_path: Path) -> None:
    async with running_rig(tmp_path, daily_spend_cap=0.05) as rig:
        async with rig.voice_store() as store:
            earlier = await store.create_job(JobCreate(problem="earlier job", zip_code="94110"))
            (old,) = await store.add_providers(
                earlier, [ProviderCreate(service_provider="Old", phone_number="+14155550100")]
            )
            await store.update_call(
                old.id,
                CallUpdate(call_status=CallStatus.COMPLETED, ended_at=utcnow(), cost=0.06),
            )
        rig.twilio.lines[BUSY[1]] = Line(CallScenario.BUSY)
        job_id = await _job(rig, BUSY, followup_minutes=[])
        await rig.start(job_id)
        (row,) = await rig.finished(job_id)
        assert (row["call_status"], row["outcome"]) == ("failed", "dial_error")
        assert "daily spend cap reached" in row["failure_reason"]
        assert rig.twilio.calls_to(BUSY[1]) == []


@asynccontextmanager
async def _receiver(answers: list[int]) -> AsyncIterator[tuple[str, list[Request], list[bytes]]]:
    received: list[Request] = []
    bodies: list[bytes] = []

    async def hook(request: Request) -> Response:
        received.append(request)
        bodies.append(await request.body())
        return Response(status_code=answers.pop(0) if answers else 200)

    async with serve(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as url:
        yield f"{url}/hook", received, bodies


async def test_the_job_webhook_is_signed_and_retried_once_every_call_ended(
    tmp_path: Path,
) -> None:
    async with (
        _receiver([503]) as (url, received, bodies),
        running_rig(tmp_path, job_webhook_url=url, job_webhook_secret=SECRET) as rig,
    ):
        rig.twilio.lines[BUSY[1]] = Line(CallScenario.BUSY)
        job_id = await _job(rig, BUSY, followup_minutes=[])
        await rig.start(job_id)
        await rig.finished(job_id)
        async with asyncio.timeout(15):
            while len(received) < 2:
                await asyncio.sleep(0.1)
    first, second = received
    assert first.headers[DELIVERY_HEADER] == second.headers[DELIVERY_HEADER]
    assert bodies[0] == bodies[1]
    assert verify(SECRET, bodies[1], second.headers[SIGNATURE_HEADER])
    assert not verify("another secret", bodies[1], second.headers[SIGNATURE_HEADER])
    notice = json.loads(bodies[1])
    assert notice["event"] == "job.calls_ended" and notice["job_id"] == job_id
    assert [p["outcome"] for p in notice["providers"]] == ["busy"]
    assert len(received) == 2  # delivered: not sent again


async def test_no_webhook_while_a_follow_up_is_pending(tmp_path: Path) -> None:
    async with (
        _receiver([]) as (url, received, _bodies),
        running_rig(
            tmp_path,
            job_webhook_url=url,
            job_webhook_secret=SECRET,
            calling_hours="00:00-24:00",
        ) as rig,
    ):
        rig.twilio.lines[BUSY[1]] = Line(CallScenario.BUSY)
        job_id = await _job(rig, BUSY, followup_minutes=[60])
        await rig.start(job_id)
        await rig.finished(job_id)
        # The follow-up is scheduled just after the call ends (the after-call work runs then).
        (row,) = await _until(rig, job_id, _scheduled)
        assert row["next_attempt_at"] is not None
        await asyncio.sleep(1.5)
        assert received == []
