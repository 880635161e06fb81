"""The analytics aggregated by the store answer exactly what the row-by-row computation did,
on every backend, and one account never sees another's figures."""

from __future__ import annotations

import itertools
import random
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from api.analytics_cache import compute_analytics
from shared.models import CallStatus, CallUpdate, JobCreate, Outcome, ProviderCreate, utcnow
from shared.storage.base import Store
from shared.storage.sql import SQLStore
from tests.api.analytics_reference import reference_analytics
from tests.shared.storage.backends import BACKENDS, open_backend


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with open_backend(request, request.param, tmp_path) as opened:
        yield opened


done, failed = CallStatus.COMPLETED, CallStatus.FAILED
_PRICES = (85.25, 99.99, 100.0, 120.5, 149.95, 150.0, 200.0, 310.1)
_KINDS = 17
_CONFIDENCE = ({"first_quote": "high"}, {"first_quote": "low"}, {"first_quote": None}, None)


def _ended(rng: random.Random, **fields: object) -> CallUpdate:
    """An ended call's update, with a cost inside or outside the spend window (or none)."""
    now = utcnow()
    ended = now - timedelta(hours=rng.choice((0.1, 3, 30)))
    extra: dict[str, object] = {"ended_at": ended}
    if rng.random() < 0.8:
        extra |= {"cost": rng.choice((0.0132, 0.25, 0.5, 1.1234)), "duration_seconds": 75.0}
    if rng.random() < 0.7:
        extra["dialed_at"] = ended - timedelta(minutes=2)
    return CallUpdate.model_validate(extra | fields)


def _scenario(rng: random.Random, kind: int) -> CallUpdate | None:
    """A call in state `kind` (0-16: every status and outcome, and none; agreed calls with
    positive, negative, zero or unknown savings), its prices drawn at random."""
    price, quote = rng.choice(_PRICES), rng.choice((*_PRICES, None))
    confidence = rng.choice(_CONFIDENCE)
    if kind == 0:
        return None  # not dialled
    if kind == 1:
        return CallUpdate(call_status=CallStatus.DIALING, dialed_at=utcnow())
    if kind == 2:
        return CallUpdate(
            call_status=CallStatus.IN_PROGRESS, dialed_at=utcnow(), minimum_quote=quote
        )
    if kind in (3, 4, 5):  # agreed: positive, negative, zero or unknown savings
        return _ended(
            rng,
            call_status=done,
            outcome=Outcome.AGREED,
            negotiated_price=price,
            minimum_quote=quote,
            price_confidence=confidence,
        )
    if kind == 6:  # a price on a completed call with no outcome: agreed
        return _ended(rng, call_status=done, negotiated_price=price, minimum_quote=quote)
    if kind == 7:
        return _ended(rng, call_status=done, outcome=Outcome.NO_AGREEMENT, minimum_quote=quote)
    if kind == 8:
        return _ended(rng, call_status=done, outcome=Outcome.DECLINED)
    if kind == 9:
        return _ended(rng, call_status=failed, outcome=Outcome.ERROR)
    if kind == 10:
        return _ended(rng, call_status=done, negotiated_price=price, outcome=Outcome.NO_AGREEMENT)
    if kind == 15:  # ended with no outcome: failed (not reached), completed (connected)
        return _ended(rng, call_status=failed)
    if kind == 16:
        return _ended(rng, call_status=done, minimum_quote=quote)
    line = (Outcome.NO_ANSWER, Outcome.BUSY, Outcome.VOICEMAIL, Outcome.DIAL_ERROR)[kind - 11]
    return _ended(rng, call_status=failed, outcome=line)


async def _varied(store: Store, seed: int = 15) -> None:
    """Jobs of three accounts (and of none), calls in every state, earlier attempts kept,
    one job canceled, one with no providers."""
    rng = random.Random(seed)
    kinds = itertools.count(seed)
    owners = (None, "alice", "bob", "alice", "bob", "alice", None, "bob", "alice", "bob")
    for number, owner in enumerate(owners):
        job = await store.create_job(
            JobCreate(problem=f"job {number}", zip_code="94110", account_id=owner, task="plumbing")
        )
        count = 0 if number == 4 else rng.randint(3, 11)
        providers = await store.add_providers(
            job,
            [
                ProviderCreate(
                    service_provider=f"P{i}", phone_number=f"+1415555{number:02d}{i:02d}"
                )
                for i in range(count)
            ],
        )
        if number % 3 == 0:
            await store.queue_calls(job.id)
        for provider in providers:
            update = _scenario(rng, next(kinds) % _KINDS)
            if update is None:
                continue
            await store.update_call(provider.id, update)
            if update.outcome in (Outcome.NO_ANSWER, Outcome.BUSY) and rng.random() < 0.6:
                await store.call_again(provider.id)  # the ended attempt is kept, with its cost
                again = _scenario(rng, rng.randrange(_KINDS))
                if again is not None:
                    await store.update_call(provider.id, again)
        if number == 7:  # canceled with a call not placed yet
            waiting = ProviderCreate(service_provider="Late", phone_number="+14155559999")
            await store.add_providers(job, [waiting])
            await store.cancel_job(job.id)


_VIEWS = [(None, None), ("alice", "alice"), ("bob", "bob"), ("carol", "carol")]


async def test_the_aggregates_answer_what_the_rows_did(store: Store) -> None:
    await _varied(store)
    compared = 0
    for scope, account in _VIEWS:
        for limit in (100, 3, 1):
            since = utcnow() - timedelta(hours=24)
            expected = await reference_analytics(store, scope, account, limit, 5.0, since)
            figures = await compute_analytics(store, scope, account, limit, 5.0)
            view = (scope, limit)
            assert figures.totals.model_dump() == expected.totals.model_dump(), view
            assert figures.spend == expected.spend, view
            assert figures.model_dump()["jobs"] == expected.model_dump()["jobs"], view
            # The same bytes: every float, and the outcomes in the same order.
            assert figures.model_dump_json() == expected.model_dump_json(), view
            compared += 1
    everyone = await compute_analytics(store, None, None, 100, None)
    totals = everyone.totals
    # The dataset is as varied as the comparison needs it to be.
    assert totals.jobs == 10 and totals.calls_placed < totals.providers
    assert {"agreed", "error", "declined", "no_answer", "canceled"} <= set(totals.outcomes)
    assert totals.average_savings is not None and totals.attempts > totals.calls_placed
    assert any(line.best is not None and line.best.savings is None for line in everyone.jobs)
    assert any(line.best is not None and line.best.savings for line in everyone.jobs)
    assert compared == 12


async def _call(store: Store, job_id: str, index: int, update: CallUpdate | None) -> None:
    job = await store.get_job(job_id)
    assert job is not None
    number = f"+1415555{index:04d}"
    (provider,) = await store.add_providers(
        job, [ProviderCreate(service_provider=f"P{index}", phone_number=number)]
    )
    if update is not None:
        await store.update_call(provider.id, update)


async def test_figures_by_hand_and_never_another_accounts(store: Store) -> None:
    now = utcnow()
    alice = await store.create_job(JobCreate(problem="leak", zip_code="94110", account_id="alice"))
    bob = await store.create_job(JobCreate(problem="door", zip_code="94110", account_id="bob"))

    def agreed(
        price: float, quote: float, confidence: str | None, cost: float | None = None
    ) -> CallUpdate:
        return CallUpdate(
            call_status=done,
            outcome=Outcome.AGREED,
            negotiated_price=price,
            minimum_quote=quote,
            price_confidence={"first_quote": confidence} if confidence else None,
            cost=cost,
            ended_at=now,
        )

    for index, update in enumerate(
        [
            agreed(150, 200, "high", cost=0.5),  # saved 50 of 200
            agreed(90, 120, None, cost=0.25),  # saved 30 of 120: the best deal
            agreed(100, 80, "high"),  # paid more than first quoted: no saving
            agreed(95, 300, "low"),  # a doubtful first quote: no saving
            CallUpdate(call_status=failed, outcome=Outcome.NO_ANSWER, cost=0.0132, ended_at=now),
            CallUpdate(call_status=failed, outcome=Outcome.ERROR, ended_at=now),
            CallUpdate(call_status=done, outcome=Outcome.DECLINED, ended_at=now),
            None,  # not dialled
        ]
    ):
        await _call(store, alice.id, index, update)
    await _call(store, bob.id, 50, agreed(10, 1000, "high", cost=1.0))

    mine = await compute_analytics(store, "alice", "alice", 100, None)
    totals = mine.totals
    assert (totals.jobs, totals.providers, totals.calls_placed) == (1, 8, 7)
    assert (totals.connected, totals.agreed, totals.errors) == (5, 4, 1)
    assert (totals.connect_rate, totals.agreement_rate) == (0.7143, 0.8)
    assert (totals.average_savings, totals.average_savings_percent) == (40.0, 25.0)
    assert totals.total_savings == 80.0
    assert totals.outcomes == {"agreed": 4, "no_answer": 1, "error": 1, "declined": 1}
    assert (totals.attempts, totals.cost) == (7, 0.7632)
    (line,) = mine.jobs
    assert (line.not_reached, line.declined, line.in_progress) == (1, 1, 0)
    assert line.best is not None
    assert (line.best.name, line.best.price, line.best.savings) == ("P1", 90.0, 30.0)
    assert mine.spend is not None and mine.spend.last_24_hours == 0.7632

    theirs = await compute_analytics(store, "bob", "bob", 100, None)
    assert (theirs.totals.jobs, theirs.totals.total_savings) == (1, 990.0)
    assert theirs.spend is not None and theirs.spend.last_24_hours == 1.0
    nobody = await compute_analytics(store, "carol", "carol", 100, None)
    assert nobody.totals.jobs == 0 and nobody.totals.outcomes == {}
    assert nobody.spend is not None and nobody.spend.last_24_hours == 0.0
    operator = await compute_analytics(store, None, None, 100, None)
    assert operator.totals.jobs == 2 and operator.totals.total_savings == 1070.0
    assert operator.spend is not None and operator.spend.last_24_hours == 0.0  # no job of its own


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_the_sql_store_reads_a_few_aggregate_rows_whatever_the_jobs(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    async with open_backend(request, backend, tmp_path) as store:
        assert isinstance(store, SQLStore)
        for number in range(12):
            job = await store.create_job(JobCreate(problem=f"job {number}", zip_code="94110"))
            calls = [
                ProviderCreate(
                    service_provider=f"P{i}", phone_number=f"+1415555{number:02d}{i:02d}"
                )
                for i in range(10)
            ]
            for index, provider in enumerate(await store.add_providers(job, calls)):
                update = _scenario(random.Random(index), index % _KINDS)
                if update is not None:
                    await store.update_call(provider.id, update)
        expected = await reference_analytics(
            store, None, None, 100, None, utcnow() - timedelta(hours=24)
        )
        statements: list[int] = []
        run = store._run

        async def counted(statement: object, fetch: str, **options: bool) -> object:
            answer = await run(statement, fetch, **options)
            statements.append(len(answer) if fetch == "all" else 1)
            return answer

        async def no_rows(job_id: str) -> list[object]:
            raise AssertionError(f"read every provider row of job {job_id}")

        monkeypatch.setattr(store, "_run", counted)
        monkeypatch.setattr(store, "list_providers", no_rows)
        monkeypatch.setattr(store, "list_attempts", no_rows)
        figures = await compute_analytics(store, None, None, 100, None)
        assert figures.model_dump_json() == expected.model_dump_json()
        # The jobs, five aggregate queries and the spend: a row per job of each per-job
        # aggregate, one per outcome, one per agreed call (its two prices) and the spend,
        # not the 120 call rows with their transcripts.
        assert len(statements) == 7
        agreed = figures.totals.agreed
        assert 0 < agreed < 120
        assert sum(statements) <= 12 + 3 * 12 + len(figures.totals.outcomes) + agreed + 1
