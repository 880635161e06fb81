"""Calling a provider again: every store keeps each ended attempt and starts a new one once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from shared.models import (
    CallStatus,
    CallUpdate,
    JobCreate,
    Outcome,
    ProviderCreate,
    TranscriptTurn,
    utcnow,
)
from shared.storage.base import Store
from tests.shared.storage.backends import BACKENDS, open_backend


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[Store]:  # type: ignore[no-untyped-def]
    async with open_backend(request, request.param, tmp_path) as opened:
        yield opened


_ONE = [ProviderCreate(service_provider="Ace Plumbing", phone_number="+14155550100")]


async def _ended(store: Store, outcome: Outcome, **fields: object) -> int:
    job = await store.create_job(
        JobCreate(problem="leaky tap", zip_code="94110", followup_minutes=[0.5, 2])
    )
    provider = (await store.add_providers(job, _ONE))[0]
    await store.queue_calls(job.id)
    await store.claim_call(provider.id, "me")
    status = CallStatus.COMPLETED if outcome is Outcome.AGREED else CallStatus.FAILED
    await store.update_call(
        provider.id,
        CallUpdate(call_status=status, outcome=outcome, ended_at=utcnow(), **fields),  # type: ignore[arg-type]
    )
    return provider.id


async def test_job_keeps_its_follow_up_schedule(store: Store) -> None:
    job = await store.create_job(JobCreate(problem="x", zip_code="94110", followup_minutes=[5]))
    again = await store.get_job(job.id)
    assert again is not None and again.followup_schedule() == (5.0,)
    default = await store.create_job(JobCreate(problem="x", zip_code="94110"))
    assert default.followup_schedule() == (30.0, 120.0)


async def test_call_again_keeps_the_ended_attempt_and_queues_a_new_one(store: Store) -> None:
    turns = [TranscriptTurn(role="user", text="Busy now, call me back.")]
    provider_id = await _ended(
        store,
        Outcome.NO_AGREEMENT,
        transcript_turns=turns,
        call_transcript="1. [USER]: Busy now, call me back.\n",
        duration_seconds=42.0,
        cost=0.0623,
        callback_requested=True,
    )
    fresh = await store.call_again(provider_id, reason="follow_up")
    assert fresh is not None
    assert fresh.attempt == 2 and fresh.attempt_reason == "follow_up"
    assert fresh.call_status is CallStatus.PENDING and fresh.outcome is None
    assert fresh.transcript_turns == [] and fresh.cost is None
    assert fresh.queued_at is not None  # queued: the dispatcher dials it
    job_id = fresh.job_id
    attempts = await store.list_attempts(job_id)
    assert [(a.attempt, a.outcome) for a in attempts] == [(1, Outcome.NO_AGREEMENT)]
    first = attempts[0]
    assert first.transcript_turns == turns and first.cost == pytest.approx(0.0623)
    assert first.duration_seconds == 42.0 and first.callback_requested is True
    # Not ended: no further attempt until this one has ended.
    assert await store.call_again(provider_id) is None


async def test_only_one_of_concurrent_call_agains_wins(store: Store) -> None:
    provider_id = await _ended(store, Outcome.BUSY)
    results = await asyncio.gather(*(store.call_again(provider_id) for _ in range(4)))
    assert sum(result is not None for result in results) == 1
    provider = await store.get_provider(provider_id)
    assert provider is not None and provider.attempt == 2
    assert len(await store.list_attempts(provider.job_id)) == 1


async def test_an_agreed_call_is_not_called_again(store: Store) -> None:
    provider_id = await _ended(store, Outcome.AGREED, negotiated_price=120.0)
    assert await store.call_again(provider_id) is None
    assert await store.call_again(999_999) is None


async def test_attempt_history_lists_kept_and_latest_attempts(store: Store) -> None:
    provider_id = await _ended(store, Outcome.BUSY, cost=0.01)
    again = await store.call_again(provider_id)
    assert again is not None
    await store.claim_call(provider_id, "me")
    await store.update_call(
        provider_id,
        CallUpdate(
            call_status=CallStatus.COMPLETED,
            outcome=Outcome.DECLINED,
            ended_at=utcnow(),
            cost=0.05,
        ),
    )
    attempts = await store.list_attempts(again.job_id)
    assert [(a.attempt, a.outcome) for a in attempts] == [
        (1, Outcome.BUSY),
        (2, Outcome.DECLINED),
    ]
    costs = await store.costs_since(utcnow() - timedelta(hours=1))
    assert sorted(cost for job, cost in costs if job == again.job_id) == pytest.approx([0.01, 0.05])
    assert await store.costs_since(utcnow() + timedelta(hours=1)) == []


async def test_a_follow_up_is_due_at_its_time_and_only_for_the_latest_attempt(
    store: Store,
) -> None:
    provider_id = await _ended(store, Outcome.BUSY)
    soon = utcnow() + timedelta(minutes=30)
    scheduled = await store.schedule_follow_up(provider_id, 1, soon)
    assert scheduled is not None and scheduled.next_attempt_at is not None
    assert scheduled.call_status is CallStatus.FAILED  # still shows the ended attempt
    assert await store.schedule_follow_up(provider_id, 2, soon) is None  # no such attempt
    assert provider_id not in [p.id for p in await store.due_follow_ups(utcnow())]
    due = await store.due_follow_ups(soon + timedelta(seconds=1))
    assert provider_id in [p.id for p in due]
    again = await store.call_again(provider_id, reason="follow_up")
    assert again is not None and again.next_attempt_at is None
    assert provider_id not in [p.id for p in await store.due_follow_ups(soon)]


async def test_canceling_a_job_drops_its_scheduled_follow_ups(store: Store) -> None:
    provider_id = await _ended(store, Outcome.BUSY)
    soon = utcnow() + timedelta(minutes=30)
    assert await store.schedule_follow_up(provider_id, 1, soon) is not None
    provider = await store.get_provider(provider_id)
    assert provider is not None
    await store.cancel_job(provider.job_id)
    after = await store.get_provider(provider_id)
    assert after is not None and after.next_attempt_at is None
    assert provider_id not in [p.id for p in await store.due_follow_ups(soon + timedelta(hours=1))]
