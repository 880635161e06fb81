"""The fleet's shared limits in the store: claims never exceed the cap on calls in flight nor
take a call twice, and dial slots are spaced for everyone sharing the store."""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from shared.models import CallStatus, CallUpdate, JobCreate, ProviderCreate, utcnow
from shared.storage.base import Store
from shared.storage.fleet import DialRate, Fleet
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
    first = await fleet.claim_next("a", None, max_in_flight=2, among=ids)
    second = await fleet.claim_next("b", None, max_in_flight=2, among=ids)
    assert first is not None and second is not None
    assert [first.id, second.id] == ids[:2]
    assert (first.call_status, first.claimed_by) == (CallStatus.DIALING, "a")
    # The fleet is full.
    assert await fleet.claim_next("a", None, max_in_flight=2, among=ids) is None
    await store.update_call(first.id, CallUpdate(call_status=CallStatus.FAILED))
    third = await fleet.claim_next("b", None, max_in_flight=2, among=ids)
    assert third is not None and third.id == ids[2]


async def test_claims_take_only_cleared_calls_that_wait_for_no_calling_hours(
    store: Store,
) -> None:
    ids = await _queued(store, 4)
    await store.defer_call(ids[0], utcnow() + timedelta(hours=3))  # outside calling hours
    await store.defer_call(ids[1], utcnow() - timedelta(minutes=1))  # its hours have begun
    fleet = store.fleet()
    # ids[2] was not cleared by the dial gate (say, its number was just put on a list).
    cleared = [ids[0], ids[1], ids[3]]
    first = await fleet.claim_next("a", None, max_in_flight=10, among=cleared)
    second = await fleet.claim_next("a", None, max_in_flight=10, among=cleared)
    assert first is not None and second is not None
    assert [first.id, second.id] == [ids[1], ids[3]]
    assert await fleet.claim_next("a", None, max_in_flight=10, among=cleared) is None
    waiting = await store.get_provider(ids[0])
    assert waiting is not None and waiting.call_status is CallStatus.PENDING


async def test_dial_tickets_keep_the_rate_counted_from_each_dial_s_end(store: Store) -> None:
    fleet = store.fleet()
    rate = DialRate.per_second(2)  # 2 per 1 s, at least 0.5 s apart
    first = await fleet.reserve_dial(rate)
    assert isinstance(first, str)  # dial now
    wait = await fleet.reserve_dial(rate)
    assert isinstance(wait, float) and 0.3 < wait <= 0.5  # nothing taken: ask again then
    await asyncio.sleep(wait + 0.01)
    second = await fleet.reserve_dial(rate)
    assert isinstance(second, str)
    await asyncio.sleep(0.55)
    # Two dials still count (neither came back: they count until their time-out).
    assert isinstance(await fleet.reserve_dial(rate), float)
    await fleet.dial_done(first, rate)
    await fleet.dial_done(second, rate)
    wait = await fleet.reserve_dial(rate)
    assert isinstance(wait, float) and 0.8 < wait <= 1.0  # a window after the first's end
    await asyncio.sleep(wait + 0.01)
    assert isinstance(await fleet.reserve_dial(rate), str)


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
        ids = await _queued(stores[0], 12)
        fleets = [each.fleet() for each in stores]
        claims = await asyncio.gather(
            *(
                fleets[i % 3].claim_next(f"i{i % 3}", None, max_in_flight=4, among=ids)
                for i in range(12)
            )
        )
        taken = [claim.id for claim in claims if claim is not None]
        assert len(taken) == 4 and len(set(taken)) == 4
        live = await stores[1].providers_in([CallStatus.DIALING])
        assert sorted(p.id for p in live) == sorted(taken)

        rate = DialRate.per_second(10)

        async def dial(fleet: Fleet) -> float:
            while not isinstance(ticket := await fleet.reserve_dial(rate), str):
                await asyncio.sleep(ticket)
            dialled = time.monotonic()  # when the caller had its ticket
            await fleet.dial_done(ticket, rate)
            return dialled

        taken = sorted(await asyncio.gather(*(dial(fleets[i % 3]) for i in range(9))))
        gaps = [later - earlier for earlier, later in itertools.pairwise(taken)]
        # One slot for all three, not one each: with a slot each, two gaps in three would be
        # about 0 and the nine dials would span 0.2 s. (A single gap can shrink on a busy
        # machine: a ticket reaches its taker late, the next one on time.)
        assert statistics.median(gaps) > 0.05, gaps
        # Eight gaps of 0.1 s: 0.8 s on time, ~0.2 s with a slot each; a late first ticket on a
        # busy machine shortens one gap, so the bar sits between the two.
        assert taken[-1] - taken[0] >= 0.6, gaps
    finally:
        for each in stores:
            await each.close()
