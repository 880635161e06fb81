"""The fleet's shared limits in the store: claims never exceed the cap on calls in flight nor
take a call twice, and dial slots are spaced for everyone sharing the store."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.models import CallStatus, CallUpdate, JobCreate, ProviderCreate
from shared.storage.base import Store
from shared.storage.fleet import Fleet
from shared.storage.sql import SQLStore
from tests.shared.storage.backends import BACKENDS, open_backend


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with open_backend(request, request.param, tmp_path) as opened:
        yield opened


async def _queued(store: Store, count: int) -> list[int]:
    job = await store.create_job(JobCreate(problem="a leak", zip_code="94110"))
    added = await store.add_providers(
        job,
        [
            ProviderCreate(service_provider=f"P{i}", phone_number=f"+14155550{i:03d}")
            for i in range(count)
        ],
    )
    await store.queue_calls(job.id)
    return [provider.id for provider in added]


async def test_claims_stop_at_the_cap_and_take_the_oldest_first(store: Store) -> None:
    ids = await _queued(store, 5)
    fleet = store.fleet()
    first = await fleet.claim_next("a", None, max_in_flight=2)
    second = await fleet.claim_next("b", None, max_in_flight=2)
    assert first is not None and second is not None
    assert [first.id, second.id] == ids[:2]
    assert (first.call_status, first.claimed_by) == (CallStatus.DIALING, "a")
    assert await fleet.claim_next("a", None, max_in_flight=2) is None  # the fleet is full
    await store.update_call(first.id, CallUpdate(call_status=CallStatus.FAILED))
    third = await fleet.claim_next("b", None, max_in_flight=2)
    assert third is not None and third.id == ids[2]


async def test_dial_slots_are_spaced(store: Store) -> None:
    fleet = store.fleet()
    waits = [await fleet.reserve_dial(0.2) for _ in range(4)]
    assert waits[0] < 0.1
    for earlier, later in itertools.pairwise(waits):
        # Each slot 0.2 s after the previous one (less the time the reservation took).
        assert 0.1 < later - earlier <= 0.2 + 1e-6, waits


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_instances_on_one_database_share_the_cap_and_the_rate(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str
) -> None:
    """Three stores on one database (as three voice processes) claim at once: never more
    than the cap together, nobody twice; their dial slots interleave on one schedule."""
    url = (
        f"sqlite:///{tmp_path / 'haggle.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    stores = [SQLStore(url) for _ in range(3)]
    for each in stores:
        await each.open()
    try:
        await _queued(stores[0], 12)
        fleets = [each.fleet() for each in stores]
        claims = await asyncio.gather(
            *(fleets[i % 3].claim_next(f"i{i % 3}", None, max_in_flight=4) for i in range(12))
        )
        taken = [claim.id for claim in claims if claim is not None]
        assert len(taken) == 4 and len(set(taken)) == 4
        live = await stores[1].providers_in([CallStatus.DIALING])
        assert sorted(p.id for p in live) == sorted(taken)

        async def slot(fleet: Fleet) -> float:
            wait = await fleet.reserve_dial(0.1)
            return time.monotonic() + wait  # when the caller dials

        slots = sorted(await asyncio.gather(*(slot(fleets[i % 3]) for i in range(9))))
        gaps = [later - earlier for earlier, later in itertools.pairwise(slots)]
        # One schedule for all three, not three schedules (the margin is the time a
        # reservation takes to come back on a busy machine).
        assert min(gaps) > 0.05, gaps
        assert slots[-1] - slots[0] >= 0.7, gaps
    finally:
        for each in stores:
            await each.close()
