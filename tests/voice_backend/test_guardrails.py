"""The dialing guardrails end to end: both services on loopback, Twilio played by a fake that
counts every call it is asked to place, Grok by its fake. Each attack is refused with the
interface's status, and nothing of it is stored, dialled or shown."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from shared.calling_hours import callee_zones
from shared.models import ProviderCreate, utcnow
from tests.fakes.twilio_rest import Line
from tests.support.access import new_user
from tests.voice_backend.rig import Rig, running_rig
from voice_backend.sim import CallScenario, ScriptedPhone, Silence, Until, tone

SF = "+14155550100"
LEAK = {"problem": "a leak", "zip_code": "94110"}


def _providers(*numbers: str) -> dict[str, list[dict[str, str]]]:
    return {
        "providers": [
            {"service_provider": f"P{index}", "phone_number": number}
            for index, number in enumerate(numbers)
        ]
    }


async def _stored(rig: Rig) -> tuple[int, int]:
    """How many jobs and providers the database holds, read past the API."""
    async with rig.voice_store() as store, store.engine.connect() as connection:
        jobs = await connection.scalar(sa.text("SELECT COUNT(*) FROM jobs"))
        providers = await connection.scalar(sa.text("SELECT COUNT(*) FROM providers"))
    return int(jobs or 0), int(providers or 0)


async def _attack(attacker: httpx.AsyncClient, job_id: str) -> list[httpx.Response]:
    """A job of one's own, then a premium-rate number and a plain one added to `job_id`, its
    calls started, its rows read."""
    return [
        await attacker.post("/api/jobs", json=LEAK),
        await attacker.post(f"/api/jobs/{job_id}/providers", json=_providers("+44 909 879 0000")),
        await attacker.post(f"/api/jobs/{job_id}/providers", json=_providers("+14155550199")),
        await attacker.post(f"/api/start-calls/{job_id}"),
        await attacker.get(f"/api/providers/{job_id}/status"),
        await attacker.get("/api/jobs"),
    ]


async def test_the_attack_chain_without_a_credential_is_401_and_dials_nothing(
    tmp_path: Path,
) -> None:
    async with running_rig(tmp_path) as rig:
        rig.twilio.lines[SF] = Line(CallScenario.BUSY)
        url = str(rig.api.base_url)
        wrong_key = {"Authorization": "Bearer hgl_not-a-key"}
        async with (
            httpx.AsyncClient(base_url=url, timeout=10) as anonymous,
            httpx.AsyncClient(base_url=url, timeout=10, headers=wrong_key) as forged,
        ):
            for attacker in (anonymous, forged):
                answers = await _attack(attacker, "a-guessed-job-id")
                assert [answer.status_code for answer in answers] == [401] * 6
            assert await _stored(rig) == (0, 0)
            # The operator's job, with a number the attacker's start would have dialled.
            job_id = await rig.job(("Ace", SF))
            for attacker in (anonymous, forged):
                answers = await _attack(attacker, job_id)
                assert [answer.status_code for answer in answers] == [401] * 6
                assert not any("toilet" in answer.text for answer in answers)
        await asyncio.sleep(0.5)  # a call queued anyway would have been dialled by now
        assert rig.twilio.creates == []
        assert await _stored(rig) == (1, 1)
        assert [row["call_status"] for row in await rig.rows(job_id)] == ["pending"]
        # The operator's own start dials that number, and the fake Twilio counts it.
        await rig.start(job_id)
        await rig.finished(job_id)
        assert [create.value("To") for create in rig.twilio.creates] == [SF]


async def test_premium_satellite_foreign_and_short_numbers_are_refused(tmp_path: Path) -> None:
    async with running_rig(tmp_path) as rig:
        job_id = await rig.job(("Ace", SF))
        for number, reason in [
            ("+44 909 879 0000", "premium-rate"),
            ("+1 900 555 0100", "premium-rate"),
            ("+881 6 1234 5678", "non-geographic"),
            ("+44 20 7946 0958", "outside the regions"),
            ("911", "emergency"),
        ]:
            answer = await rig.api.post(
                f"/api/jobs/{job_id}/providers", json=_providers("+14155550101", number)
            )
            assert answer.status_code == 422, number
            (error,) = answer.json()["detail"]
            assert reason in error["msg"] and error["loc"][-2] == 1
        # Nothing of those requests was stored (not even the good number next to the bad one).
        assert [row["phone"] for row in await rig.rows(job_id)] == [SF]
        assert rig.twilio.creates == []


async def test_a_number_written_past_the_api_is_never_dialled(tmp_path: Path) -> None:
    """A row the job API never checked (a user's own Supabase token writes providers under
    row-level security; rows stored before the guardrails) meets them again at dial time."""
    async with running_rig(tmp_path) as rig:
        job_id = await rig.job(("Ace", SF))
        async with rig.voice_store() as store:
            job = await store.get_job(job_id)
            assert job is not None
            await store.add_providers(
                job,
                [
                    ProviderCreate(service_provider="X", phone_number="+449098790000"),
                    ProviderCreate(service_provider="Y", phone_number="+19005550100"),
                ],
            )
        rig.twilio.lines[SF] = Line(CallScenario.BUSY)
        await rig.start(job_id)
        rows = {row["phone"]: row for row in await rig.finished(job_id)}
        for number, reason in [("+449098790000", "premium-rate"), ("+19005550100", "premium")]:
            assert rows[number]["outcome"] == "dial_error"
            assert reason in rows[number]["failure_reason"]
        assert [create.value("To") for create in rig.twilio.creates] == [SF]


async def test_a_job_holds_at_most_max_providers(tmp_path: Path) -> None:
    async with running_rig(tmp_path, max_providers_per_job=3) as rig:
        job_id = await rig.job(("A", "+14155550100"), ("B", "+14155550101"))
        more = _providers("+14155550102", "+14155550103")
        answer = await rig.api.post(f"/api/jobs/{job_id}/providers", json=more)
        assert answer.status_code == 422 and "at most 3" in answer.json()["detail"]
        assert len(await rig.rows(job_id)) == 2


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
async def test_one_number_from_twenty_concurrent_requests_is_stored_and_dialled_once(
    tmp_path: Path, request: pytest.FixtureRequest, database: str
) -> None:
    if database == "postgres":
        database_url = request.getfixturevalue("postgres_store_url")
    else:
        database_url = f"sqlite:///{tmp_path}/haggle.db"
    # Two job APIs on one database, as when it is scaled out: each one's lock orders only its
    # own requests, so between them the database's unique key is what keeps the number once.
    async with running_rig(tmp_path, database_url=database_url) as rig, rig.another_api() as other:
        rig.twilio.lines[SF] = Line(CallScenario.BUSY)
        job = await rig.api.post("/api/jobs", json=LEAK)
        job_id = job.json()["job_id"]
        apis = [rig.api, other]
        answers = await asyncio.gather(
            *(
                apis[i % 2].post(f"/api/jobs/{job_id}/providers", json=_providers(SF))
                for i in range(20)
            )
        )
        assert [answer.status_code for answer in answers] == [201] * 20
        assert sum(len(answer.json()) for answer in answers) == 1
        assert await _stored(rig) == (1, 1)
        await asyncio.gather(*(rig.start(job_id) for _ in range(5)))
        await rig.finished(job_id)
        await asyncio.sleep(0.3)
        assert len(rig.twilio.calls_to(SF)) == 1


async def test_past_the_daily_limit_is_429_and_nothing_is_dialled(tmp_path: Path) -> None:
    async with running_rig(tmp_path, daily_call_limit=2) as rig:
        for number in ("+14155550100", "+14155550101", "+14155550102"):
            rig.twilio.lines[number] = Line(CallScenario.BUSY)
        first = await rig.job(("A", "+14155550100"))
        await rig.start(first)
        await rig.finished(first)
        second = await rig.job(("B", "+14155550101"), ("C", "+14155550102"))
        refused = await rig.api.post(f"/api/start-calls/{second}")
        assert refused.status_code == 429 and "daily call limit" in refused.json()["detail"]
        await asyncio.sleep(0.5)
        assert [call.to for call in rig.twilio.calls.values()] == ["+14155550100"]
        assert {row["call_status"] for row in await rig.rows(second)} == {"pending"}


async def test_calling_a_provider_again_counts_against_the_daily_limit(tmp_path: Path) -> None:
    async with running_rig(tmp_path, daily_call_limit=2) as rig:
        rig.twilio.lines[SF] = Line(CallScenario.BUSY)
        job_id = await rig.job(("A", SF))
        await rig.start(job_id)
        await rig.finished(job_id)
        assert (await rig.api.post(f"/api/jobs/{job_id}/call-again")).status_code == 200
        await asyncio.sleep(0.3)
        (row,) = await rig.finished(job_id)
        # Two calls placed in 24 hours, one number: a third is past the limit.
        for path in (
            f"/api/jobs/{job_id}/call-again",
            f"/api/jobs/{job_id}/providers/{row['id']}/call-again",
        ):
            refused = await rig.api.post(path)
            assert refused.status_code == 429 and "daily call limit" in refused.json()["detail"]
        await asyncio.sleep(0.5)
        assert len(rig.twilio.calls_to(SF)) == 2


async def test_the_do_not_call_list(tmp_path: Path) -> None:
    async with running_rig(tmp_path) as rig:
        listed = await rig.api.post("/api/do-not-call", json={"phone_number": "(415) 555-0101"})
        assert listed.status_code == 201 and listed.json()["phone_number"] == "+14155550101"
        job_id = await rig.job(("A", SF))
        refused = await rig.api.post(
            f"/api/jobs/{job_id}/providers", json=_providers("+14155550101")
        )
        assert refused.status_code == 422 and "do-not-call" in refused.text
        # A number listed after it was added is still never dialled.
        assert (await rig.api.post("/api/do-not-call", json={"phone_number": SF})).is_success
        await rig.start(job_id)
        (row,) = await rig.finished(job_id)
        assert (row["call_status"], row["outcome"]) == ("failed", "canceled")
        assert rig.twilio.creates == []
        # The account may take its own entries off again.
        removed = await rig.api.delete("/api/do-not-call/+14155550101")
        assert removed.status_code == 200
        again = await rig.api.post(f"/api/jobs/{job_id}/providers", json=_providers("+14155550101"))
        assert again.status_code == 201


async def test_a_provider_who_asks_is_never_called_again(tmp_path: Path) -> None:
    async with running_rig(tmp_path) as rig:
        rig.twilio.lines[SF] = Line(phone=_answers_once)
        rig.grok.on_response("Hi, is this Ace Plumbing?", audio_ms=600)
        rig.grok.on_speech("no thanks, please don't call me again")
        rig.grok.on_response("Sorry to bother you. Goodbye.", audio_ms=600, end_call="declined")
        alice, bob = await new_user(rig.api, "alice"), await new_user(rig.api, "bob")
        job = await alice.post("/api/jobs", json={"problem": "leak", "zip_code": "94110"})
        job_id = job.json()["job_id"]
        assert (await alice.post(f"/api/jobs/{job_id}/providers", json=_providers(SF))).is_success
        assert (await alice.post(f"/api/start-calls/{job_id}")).is_success
        await rig.finished(job_id)
        # The account whose call it was sees the entry; the operator sees everyone's list.
        for client in (alice, rig.api):
            entries = (await client.get("/api/do-not-call")).json()
            assert [(e["phone_number"], e["source"]) for e in entries] == [(SF, "callee")]
        # Another account is refused the number too, but is not shown whom alice called.
        assert (await bob.get("/api/do-not-call")).json() == []
        other = await bob.post("/api/jobs", json={"problem": "leak", "zip_code": "94110"})
        refused = await bob.post(
            f"/api/jobs/{other.json()['job_id']}/providers", json=_providers(SF)
        )
        assert refused.status_code == 422
        await alice.aclose()
        await bob.aclose()
        assert len(rig.twilio.calls_to(SF)) == 1


def _answers_once() -> ScriptedPhone:
    """Waits for the agent's first words, then speaks once."""
    return ScriptedPhone(
        [Until(lambda p: p.heard_seconds >= 0.55), tone(420, 0.5), Silence(0.5)],
        hang_up_after_seconds=60,
    )


def _closed_window_now() -> str:
    """A one-hour calling window that is closed in San Francisco right now."""
    (zone,) = callee_zones(SF)
    hour = (datetime.now(zone).hour + 2) % 24
    return f"{hour:02d}:00-{hour + 1:02d}:00" if hour < 23 else "01:00-02:00"


async def test_outside_calling_hours_a_call_waits_and_says_until_when(tmp_path: Path) -> None:
    async with running_rig(tmp_path, calling_hours=_closed_window_now()) as rig:
        job_id = await rig.job(("Ace", SF))
        await rig.start(job_id)
        async with asyncio.timeout(10):
            while True:
                (row,) = await rig.rows(job_id)
                if row["waiting_until"]:
                    break
                await asyncio.sleep(0.05)
        assert row["call_status"] == "pending"
        until = datetime.fromisoformat(row["waiting_until"])
        assert until > utcnow()
        (zone,) = callee_zones(SF)
        assert until.astimezone(zone).minute == 0
        assert rig.twilio.creates == []


async def _job_of_quiet_lines(rig: Rig, numbers: list[str]) -> str:
    """A job calling `numbers`, each answered at once by someone who stays silent for a minute."""
    for number in numbers:
        rig.twilio.lines[number] = Line(
            phone=lambda: ScriptedPhone.silent(hang_up_after_seconds=60), ring_seconds=0.1
        )
    return await rig.job(*[(f"P{i}", n) for i, n in enumerate(numbers)])


async def test_cancel_drops_queued_calls_and_hangs_up_live_ones(tmp_path: Path) -> None:
    numbers = [f"+141555501{i:02d}" for i in range(4)]
    async with running_rig(tmp_path, max_concurrent_calls=1) as rig:
        job_id = await _job_of_quiet_lines(rig, numbers)
        await rig.start(job_id)
        async with asyncio.timeout(15):
            while not any(r["call_status"] == "in_progress" for r in await rig.rows(job_id)):
                await asyncio.sleep(0.05)
        canceled = await rig.api.post(f"/api/jobs/{job_id}/cancel")
        assert canceled.status_code == 200
        assert canceled.json() | {"hung_up": 1} == {
            "status": "canceled",
            "canceled": 3,
            "in_progress": 1,
            "hung_up": 1,
        }
        rows = await rig.finished(job_id, within=30)
        assert sorted(row["outcome"] for row in rows).count("canceled") == 3
        assert len(rig.twilio.creates) == 1  # the queued three were never dialled
        assert len(rig.twilio.updates) >= 1  # the live one was hung up through the REST API
        again = await rig.api.post(f"/api/start-calls/{job_id}")
        assert again.status_code == 409


async def test_a_call_waiting_for_its_dial_slot_is_never_dialled_once_canceled(
    tmp_path: Path,
) -> None:
    numbers = [f"+141555501{i:02d}" for i in range(3)]
    # One dial every two seconds: the second call is claimed, then waits for its slot.
    async with running_rig(tmp_path, calls_per_second=0.5) as rig:
        job_id = await _job_of_quiet_lines(rig, numbers)
        await rig.start(job_id)
        async with asyncio.timeout(10):
            while not (
                len(rig.twilio.creates) == 1
                and [r["call_status"] for r in await rig.rows(job_id)].count("pending") == 1
            ):
                await asyncio.sleep(0.02)
        canceled = await rig.api.post(f"/api/jobs/{job_id}/cancel")
        assert canceled.status_code == 200
        rows = await rig.finished(job_id, within=30)
        await asyncio.sleep(0.5)
        assert len(rig.twilio.creates) == 1  # the call waiting for its slot was not dialled
        assert sorted(row["outcome"] for row in rows).count("canceled") == 2
