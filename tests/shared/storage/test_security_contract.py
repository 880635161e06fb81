"""What every store does for accounts and the dialing guardrails: SQLite, real Postgres (schema
from SQLAlchemy and from the shipped migrations), and Supabase through a PostgREST server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from shared.models import CallStatus, CallUpdate, JobCreate, Outcome, ProviderCreate, utcnow
from shared.storage.base import Store
from tests.shared.storage.backends import BACKENDS, open_backend


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[Store]:  # type: ignore[no-untyped-def]
    async with open_backend(request, request.param, tmp_path) as opened:
        yield opened


def _provider(number: str, name: str = "Ace Plumbing") -> ProviderCreate:
    return ProviderCreate(service_provider=name, phone_number=number)


async def test_one_number_from_twenty_concurrent_requests_is_one_row(store: Store) -> None:
    job = await store.create_job(JobCreate(problem="a leak", zip_code="94110"))
    answers = await asyncio.gather(
        *(store.add_providers(job, [_provider("+14155550100", f"P{i}")]) for i in range(20))
    )
    rows = await store.list_providers(job.id)
    assert [row.phone_number for row in rows] == ["+14155550100"]
    assert sum(len(answer) for answer in answers) == 1
    # Another job may hold the same number.
    other = await store.create_job(JobCreate(problem="a leak", zip_code="94110"))
    assert len(await store.add_providers(other, [_provider("+14155550100")])) == 1


async def test_a_batch_keeps_its_new_numbers_and_skips_the_known(store: Store) -> None:
    job = await store.create_job(JobCreate(problem="a leak", zip_code="94110"))
    await store.add_providers(job, [_provider("+14155550100")])
    added = await store.add_providers(
        job, [_provider("+14155550100", "Again"), _provider("+14155550101", "New")]
    )
    assert [row.service_provider for row in added] == ["New"]


async def test_jobs_are_listed_per_account(store: Store) -> None:
    mine = await store.create_job(JobCreate(problem="a", zip_code="1", account_id="alice"))
    await store.create_job(JobCreate(problem="b", zip_code="1", account_id="bob"))
    assert [job.id for job in await store.list_jobs(10, "alice")] == [mine.id]
    assert len(await store.list_jobs(10)) == 2
    (provider,) = await store.add_providers(mine, [_provider("+14155550100")])
    assert provider.account_id == "alice"


async def test_users_and_keys(store: Store) -> None:
    alice = await store.create_user("alice", "hash-1")
    assert alice is not None
    assert await store.create_user("alice", "hash-2") is None  # the name is taken
    user, password_hash = await store.user_login("alice") or (None, None)
    assert user == alice and password_hash == "hash-1"
    key = await store.create_key(alice.id, "laptop", "key-hash")
    assert await store.key_by_hash("key-hash") == key
    assert key.usable(utcnow())
    assert [k.id for k in await store.list_keys(alice.id)] == [key.id]
    assert await store.revoke_key(key.id, user_id="someone-else") is None
    revoked = await store.revoke_key(key.id, user_id=alice.id)
    assert revoked is not None and not revoked.usable(utcnow())
    session = await store.create_key(
        alice.id, "session", "s-hash", "session", utcnow() - timedelta(seconds=1)
    )
    assert not session.usable(utcnow())
    assert await store.list_keys(alice.id) == [revoked]


async def test_do_not_call_lists(store: Store) -> None:
    assert await store.add_do_not_call("+14155550100", "alice", "account")
    assert not await store.add_do_not_call("+14155550100", "alice", "account")
    assert await store.add_do_not_call("+14155550101", None, "callee")
    numbers = ["+14155550100", "+14155550101", "+14155550102"]
    assert await store.blocked_numbers(numbers, "alice") == {"+14155550100", "+14155550101"}
    assert await store.blocked_numbers(numbers, "bob") == {"+14155550101"}
    # Each account sees its own list; everyone's (numbers other accounts' calls put there)
    # holds for bob too, but only the operator sees it.
    assert await store.list_do_not_call("bob") == []
    listed = await store.list_do_not_call("alice")
    assert [(entry.phone_number, entry.account_id) for entry in listed] == [
        ("+14155550100", "alice")
    ]
    listed = await store.list_do_not_call(None)
    assert [(entry.phone_number, entry.account_id) for entry in listed] == [("+14155550101", None)]
    assert await store.remove_do_not_call("+14155550100", "alice")
    assert not await store.remove_do_not_call("+14155550100", "alice")
    assert await store.blocked_numbers(numbers, "alice") == {"+14155550101"}


async def test_cancel_ends_every_call_not_placed_and_none_is_claimed(store: Store) -> None:
    job = await store.create_job(JobCreate(problem="a", zip_code="1", account_id="alice"))
    first, second, third = await store.add_providers(
        job, [_provider(f"+1415555010{i}", f"P{i}") for i in range(3)]
    )
    await store.queue_calls(job.id)
    assert await store.claim_call(first.id, "instance") is not None
    assert await store.calls_counted("alice", utcnow() - timedelta(days=1)) == 3
    canceled = await store.cancel_job(job.id)
    assert sorted(p.id for p in canceled) == [second.id, third.id]
    assert await store.claim_call(second.id, "instance") is None
    rows = {row.id: row for row in await store.list_providers(job.id)}
    assert rows[second.id].call_status is CallStatus.FAILED
    assert rows[second.id].outcome is Outcome.CANCELED
    assert rows[first.id].call_status is CallStatus.DIALING
    assert (await store.get_job(job.id)).status == "canceled"  # type: ignore[union-attr]
    # One placed call counts against the quota; canceled ones do not.
    assert await store.calls_counted("alice", utcnow() - timedelta(days=1)) == 1
    assert await store.calls_counted("bob", utcnow() - timedelta(days=1)) == 0


async def test_a_waiting_call_says_until_when(store: Store) -> None:
    job = await store.create_job(JobCreate(problem="a", zip_code="1"))
    (provider,) = await store.add_providers(job, [_provider("+14155550100")])
    until = utcnow() + timedelta(hours=3)
    waiting = await store.defer_call(provider.id, until)
    assert waiting is not None and waiting.not_before == until


async def test_every_attempt_counts_against_the_daily_quota(store: Store) -> None:
    """Calling one provider again (by hand or as a follow-up) is one more call placed: the
    earlier attempts count too, not only the provider's latest."""
    day_ago = utcnow() - timedelta(days=1)
    job = await store.create_job(JobCreate(problem="a", zip_code="1", account_id="alice"))
    (provider,) = await store.add_providers(job, [_provider("+14155550100")])
    await store.queue_calls(job.id)
    for attempt in range(3):
        assert await store.claim_call(provider.id, "instance") is not None  # dialled
        await store.update_call(
            provider.id,
            CallUpdate(call_status=CallStatus.FAILED, outcome=Outcome.BUSY, ended_at=utcnow()),
        )
        assert await store.calls_counted("alice", day_ago) == attempt + 1
        assert await store.call_again(provider.id) is not None  # queued: one more
        assert await store.calls_counted("alice", day_ago) == attempt + 2
    assert await store.calls_counted("bob", day_ago) == 0
    assert await store.calls_counted(None, day_ago) == 0
    # Attempts dialled before the window are not counted.
    assert await store.calls_counted("alice", utcnow() + timedelta(seconds=1)) == 1
