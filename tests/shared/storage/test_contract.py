"""One contract every store passes: SQLite, real Postgres (schema from SQLAlchemy and from the
shipped migration), and the Supabase adapter against a PostgREST-speaking server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from shared.models import (
    CallStatus,
    CallUpdate,
    JobCreate,
    Outcome,
    ProviderCreate,
    TranscriptTurn,
)
from shared.storage.base import Store
from tests.shared.storage.backends import BACKENDS, open_backend


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[Store]:  # type: ignore[no-untyped-def]
    async with open_backend(request, request.param, tmp_path) as opened:
        yield opened


def _job(**overrides: object) -> JobCreate:
    values: dict[str, object] = {
        "problem": "the toilet keeps running",
        "zip_code": "94110",
        "max_price": 150.0,
        "house_address": "1 Main St",
        "context_answers": "Which toilet? The upstairs one.",
    }
    values.update(overrides)
    return JobCreate.model_validate(values)


_TWO = [
    ProviderCreate(service_provider="Ace Plumbing", phone_number="+14155550100"),
    ProviderCreate(service_provider="Bay Rooter", phone_number="+14155550101"),
]


async def test_job_round_trip(store: Store) -> None:
    job = await store.create_job(_job(questions=[{"id": "q1", "question": "Which one?"}]))
    again = await store.get_job(job.id)
    assert again == job
    assert again.max_price == 150.0
    assert again.questions == [{"id": "q1", "question": "Which one?"}]
    assert again.created_at.tzinfo is not None
    assert await store.get_job("no-such-job") is None


async def test_job_without_budget_keeps_null(store: Store) -> None:
    job = await store.create_job(_job(max_price=None))
    assert (await store.get_job(job.id)).max_price is None  # type: ignore[union-attr]


async def test_list_jobs_newest_first(store: Store) -> None:
    first = await store.create_job(_job(problem="first"))
    await asyncio.sleep(0.01)
    second = await store.create_job(_job(problem="second"))
    listed = [job.id for job in await store.list_jobs()]
    assert listed.index(second.id) < listed.index(first.id)


async def test_update_job(store: Store) -> None:
    job = await store.create_job(_job())
    updated = await store.update_job(job.id, task="plumber", context_answers=None)
    assert updated is not None and updated.task == "plumber"
    assert updated.context_answers == job.context_answers  # None leaves it
    assert await store.update_job("missing", task="x") is None
    with pytest.raises(ValueError):
        await store.update_job(job.id, call_status="completed")


async def test_providers_copy_job_details(store: Store) -> None:
    job = await store.create_job(_job())
    added = await store.add_providers(job, _TWO)
    assert [p.service_provider for p in added] == ["Ace Plumbing", "Bay Rooter"]
    first = added[0]
    assert first.job_id == job.id
    assert first.call_status is CallStatus.PENDING
    assert (first.problem, first.zip_code, first.max_price, first.house_address) == (
        job.problem,
        job.zip_code,
        job.max_price,
        job.house_address,
    )
    assert first.context_answers == job.context_answers
    assert await store.list_providers(job.id) == added
    assert await store.get_provider(first.id) == first
    assert await store.get_provider(987654) is None
    assert await store.list_providers("other-job") == []


async def test_none_price_never_clears(store: Store) -> None:
    job = await store.create_job(_job())
    provider = (await store.add_providers(job, _TWO))[0]
    await store.update_call(provider.id, CallUpdate(negotiated_price=120.0, minimum_quote=180.0))
    after = await store.update_call(
        provider.id, CallUpdate(call_status=CallStatus.IN_PROGRESS, negotiated_price=None)
    )
    assert after is not None
    assert after.negotiated_price == 120.0 and after.minimum_quote == 180.0
    assert after.call_status is CallStatus.IN_PROGRESS


async def test_finished_call_never_moves_back(store: Store) -> None:
    job = await store.create_job(_job())
    provider = (await store.add_providers(job, _TWO))[0]
    done = await store.update_call(
        provider.id,
        CallUpdate(
            call_status=CallStatus.COMPLETED,
            outcome=Outcome.AGREED,
            negotiated_price=125.5,
            transcript_turns=[TranscriptTurn(role="assistant", text="Hi, is this Ace?")],
            call_transcript="1. [ASSISTANT]: Hi, is this Ace?\n",
        ),
    )
    assert done is not None and done.call_status is CallStatus.COMPLETED
    for status in (CallStatus.PENDING, CallStatus.IN_PROGRESS, CallStatus.FAILED):
        late = await store.update_call(
            provider.id, CallUpdate(call_status=status, outcome=Outcome.ERROR, failure_reason="x")
        )
        assert late is not None
        assert late.call_status is CallStatus.COMPLETED
        assert late.outcome is Outcome.AGREED and late.failure_reason is None
    # A field that is not part of the status still applies after the end (e.g. a price).
    priced = await store.update_call(
        provider.id, CallUpdate(call_status=CallStatus.FAILED, minimum_quote=200.0)
    )
    assert priced is not None
    assert priced.minimum_quote == 200.0 and priced.call_status is CallStatus.COMPLETED
    assert priced.transcript_turns == [TranscriptTurn(role="assistant", text="Hi, is this Ace?")]
    assert priced.negotiated_price == 125.5


async def test_call_moves_only_forward(store: Store) -> None:
    job = await store.create_job(_job())
    provider = (await store.add_providers(job, _TWO))[0]
    await store.update_call(provider.id, CallUpdate(call_status=CallStatus.IN_PROGRESS))
    back = await store.update_call(provider.id, CallUpdate(call_status=CallStatus.DIALING))
    assert back is not None and back.call_status is CallStatus.IN_PROGRESS


async def test_update_unknown_provider(store: Store) -> None:
    assert await store.update_call(424242, CallUpdate(call_status=CallStatus.FAILED)) is None
    assert await store.update_call(424242, CallUpdate(negotiated_price=1.0)) is None


async def test_queue_is_idempotent(store: Store) -> None:
    job = await store.create_job(_job())
    added = await store.add_providers(job, _TWO)
    await store.update_call(added[1].id, CallUpdate(call_status=CallStatus.FAILED))
    queued = await store.queue_calls(job.id)
    assert [p.id for p in queued] == [added[0].id]
    assert queued[0].queued_at is not None
    assert await store.queue_calls(job.id) == []
    pending = await store.providers_in([CallStatus.PENDING], queued=True)
    assert [p.id for p in pending] == [added[0].id]
    assert await store.providers_in([CallStatus.PENDING], queued=False) == []


async def test_queue_under_concurrency_queues_once(store: Store) -> None:
    job = await store.create_job(_job())
    await store.add_providers(job, _TWO)
    results = await asyncio.gather(*(store.queue_calls(job.id) for _ in range(5)))
    assert sorted(len(result) for result in results) == [0, 0, 0, 0, 2]


async def test_claim_only_once(store: Store) -> None:
    job = await store.create_job(_job())
    provider = (await store.add_providers(job, _TWO))[0]
    assert await store.claim_call(provider.id, "a") is None  # not queued yet
    await store.queue_calls(job.id)
    claims = await asyncio.gather(*(store.claim_call(provider.id, f"w{i}") for i in range(4)))
    winners = [claim for claim in claims if claim is not None]
    assert len(winners) == 1
    assert winners[0].call_status is CallStatus.DIALING
    assert winners[0].claimed_by is not None and winners[0].dialed_at is not None
    assert await store.claim_call(provider.id, "late") is None


async def test_providers_in_status(store: Store) -> None:
    job = await store.create_job(_job())
    added = await store.add_providers(job, _TWO)
    await store.update_call(
        added[0].id, CallUpdate(call_status=CallStatus.IN_PROGRESS, call_sid="CA123")
    )
    live = await store.providers_in([CallStatus.DIALING, CallStatus.IN_PROGRESS])
    assert [(p.id, p.call_sid) for p in live] == [(added[0].id, "CA123")]


async def test_ping(store: Store) -> None:
    await store.ping()


async def test_leases_let_others_close_out_a_dead_owners_calls(store: Store) -> None:
    from datetime import timedelta

    from shared.models import utcnow

    job = await store.create_job(_job())
    first, second = await store.add_providers(job, _TWO)
    await store.queue_calls(job.id)
    now = utcnow()
    soon, later = now + timedelta(seconds=5), now + timedelta(seconds=60)
    assert (await store.claim_call(first.id, "a", lease_until=soon)) is not None
    claimed = await store.claim_call(second.id, "b", lease_until=soon)
    assert claimed is not None and claimed.lease_expires_at is not None
    # "b" keeps renewing; "a" dies.
    assert await store.renew_leases("b", later) == 1
    assert await store.expire_leases(now, "x") == []  # nothing has run out yet
    closed = await store.expire_leases(now + timedelta(seconds=10), "the instance died")
    assert [p.id for p in closed] == [first.id]
    assert closed[0].call_status is CallStatus.FAILED and closed[0].outcome is Outcome.ERROR
    assert closed[0].failure_reason == "the instance died"
    assert await store.expire_leases(now + timedelta(seconds=10), "again") == []
    assert await store.renew_leases("a", later) == 0  # a finished call is not renewed
    alive = await store.get_provider(second.id)
    assert alive is not None and alive.call_status is CallStatus.DIALING


async def test_a_stream_begins_once_and_takes_ownership(store: Store) -> None:
    job = await store.create_job(_job())
    provider = (await store.add_providers(job, _TWO))[0]
    assert await store.begin_stream(provider.id, "CA1", "b") is None  # never dialled
    await store.queue_calls(job.id)
    await store.claim_call(provider.id, "a")
    begun = await store.begin_stream(provider.id, "CA1", "b")
    assert begun is not None
    assert (begun.call_status, begun.call_sid, begun.claimed_by) == (
        CallStatus.IN_PROGRESS,
        "CA1",
        "b",
    )
    assert begun.answered_at is not None
    assert await store.begin_stream(provider.id, "CA1", "c") is None  # a replay


async def test_job_details_reach_providers_not_yet_called(store: Store) -> None:
    job = await store.create_job(_job())
    first, second = await store.add_providers(job, _TWO)
    await store.queue_calls(job.id)
    await store.claim_call(first.id, "a")  # already being called: keeps its copy
    await store.update_call(second.id, CallUpdate())
    # A later provider, not queued yet.
    third = (
        await store.add_providers(
            job, [ProviderCreate(service_provider="C", phone_number="+14155550102")]
        )
    )[0]
    changed = await store.update_job(job.id, problem="the upstairs toilet runs", max_price=120.0)
    assert changed is not None
    assert await store.refresh_job_copies(changed) == 1
    fresh = await store.get_provider(third.id)
    kept = await store.get_provider(first.id)
    assert fresh is not None and kept is not None
    assert (fresh.problem, fresh.max_price) == ("the upstairs toilet runs", 120.0)
    assert (kept.problem, kept.max_price) == (job.problem, job.max_price)


async def test_a_live_transcript_is_kept_while_the_call_runs_and_never_after(
    store: Store,
) -> None:
    job = await store.create_job(_job())
    provider = (await store.add_providers(job, _TWO))[0]
    greeting = TranscriptTurn(role="assistant", text="Hi, is this Ace Plumbing?")
    quote = TranscriptTurn(role="user", text="We charge two hundred dollars.")
    # Not yet in progress: nothing is written.
    assert await store.save_live_transcript(provider.id, [greeting]) is None
    await store.queue_calls(job.id)
    await store.claim_call(provider.id, "a")
    await store.begin_stream(provider.id, "CA1", "a")
    saved = await store.save_live_transcript(provider.id, [greeting])
    assert saved is not None and saved.transcript_turns == [greeting]
    saved = await store.save_live_transcript(provider.id, [greeting, quote], first_quote=200.0)
    assert saved is not None
    assert saved.call_status is CallStatus.IN_PROGRESS
    assert saved.call_transcript == (
        "1. [ASSISTANT]: Hi, is this Ace Plumbing?\n2. [USER]: We charge two hundred dollars.\n"
    )
    assert saved.minimum_quote == 200.0
    # Without a quote the one heard stays.
    later = await store.save_live_transcript(provider.id, [greeting, quote, greeting])
    assert later is not None and later.minimum_quote == 200.0
    # A crash: the call is closed out; its turns are still there.
    await store.update_call(
        provider.id,
        CallUpdate(call_status=CallStatus.FAILED, outcome=Outcome.ERROR, failure_reason="crash"),
    )
    assert await store.save_live_transcript(provider.id, [greeting]) is None  # finished: kept
    final = await store.get_provider(provider.id)
    assert final is not None
    assert (final.call_status, final.outcome) == (CallStatus.FAILED, Outcome.ERROR)
    assert len(final.transcript_turns) == 3 and final.minimum_quote == 200.0
    assert await store.save_live_transcript(999_999, [greeting]) is None


async def test_context_answers_are_stored_as_pairs_and_copied_to_providers(store: Store) -> None:
    pairs = [
        {"question": "How long has it leaked?", "answer": "About a week"},
        {"question": "Which fixture or pipe is it, and where in the house is it?", "answer": "x"},
    ]
    job = await store.create_job(_job(context_pairs=pairs))
    again = await store.get_job(job.id)
    assert again is not None
    assert [(p.question, p.answer) for p in again.context_pairs] == [
        (pair["question"], pair["answer"]) for pair in pairs
    ]
    (provider, _) = await store.add_providers(again, _TWO)
    assert provider.context_pairs == again.context_pairs
    updated = await store.update_job(job.id, context_pairs=pairs[:1])
    assert updated is not None and len(updated.context_pairs) == 1
    await store.refresh_job_copies(updated)
    (refreshed, _) = await store.list_providers(job.id)
    assert [p.answer for p in refreshed.context_pairs] == ["About a week"]


async def test_an_old_flat_string_is_read_as_pairs(store: Store) -> None:
    job = await store.create_job(_job(context_answers="What happens? it runs How old? ten years"))
    again = await store.get_job(job.id)
    assert again is not None
    assert [(p.question, p.answer) for p in again.context_pairs] == [
        ("What happens?", "it runs"),
        ("How old?", "ten years"),
    ]


async def test_the_price_confidence_and_notes_are_stored_with_the_price(store: Store) -> None:
    job = await store.create_job(_job())
    (provider, _) = await store.add_providers(job, _TWO)
    update = CallUpdate(
        negotiated_price=120.0,
        minimum_quote=150.0,
        price_confidence={"agreed_price": "high", "first_quote": "medium"},
        price_notes="first quote heard once, ASR",
    )
    stored = await store.update_call(provider.id, update)
    assert stored is not None
    assert stored.price_confidence == {"agreed_price": "high", "first_quote": "medium"}
    assert stored.price_notes == "first quote heard once, ASR"
    assert await store.get_provider(provider.id) == stored
