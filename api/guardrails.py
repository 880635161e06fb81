"""The dialing guardrails at the job API's door: which numbers a job may hold, and whether an
account may start more calls today. The rules themselves live in `shared.dialing`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import HTTPException, status

from api.providers import not_yet_in
from shared.dialing import DAILY_CALL_WINDOW
from shared.models import CallStatus, Job, Provider, ProviderCreate, utcnow
from shared.settings import Settings
from shared.storage import Store


async def admissible(
    store: Store,
    job: Job,
    candidates: Sequence[ProviderCreate],
    existing: Sequence[Provider],
    settings: Settings,
) -> list[ProviderCreate]:
    """The candidates the job does not hold yet, or `422` (nothing stored) when one is on the
    do-not-call list or the job would pass `MAX_PROVIDERS_PER_JOB`."""
    fresh = not_yet_in(candidates, existing)
    blocked = await store.blocked_numbers([item.phone_number for item in fresh], job.account_id)
    if blocked:
        errors: list[dict[str, Any]] = [
            {
                "loc": ["body", "providers", index, "phone_number"],
                "msg": f"{item.phone_number} is on the do-not-call list: never dialled",
                "type": "value_error.do_not_call",
                "input": item.phone_number,
            }
            for index, item in enumerate(fresh)
            if item.phone_number in blocked
        ]
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, errors)
    if len(existing) + len(fresh) > settings.max_providers_per_job:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"a job holds at most {settings.max_providers_per_job} providers "
            f"(it has {len(existing)}; this request adds {len(fresh)})",
        )
    return fresh


async def without_blocked(
    store: Store, job: Job, candidates: list[ProviderCreate]
) -> list[ProviderCreate]:
    """The candidates not on the do-not-call list (for providers a search found)."""
    blocked = await store.blocked_numbers(
        [item.phone_number for item in candidates], job.account_id
    )
    return [item for item in candidates if item.phone_number not in blocked]


async def check_daily_quota(
    store: Store, job: Job, providers: Sequence[Provider], settings: Settings
) -> None:
    """`429` if queueing the job's uncalled providers would pass the account's
    `DAILY_CALL_LIMIT` (calls placed in the last 24 hours plus those waiting in the queue)."""
    waiting = [
        provider
        for provider in providers
        if provider.call_status is CallStatus.PENDING and provider.queued_at is None
    ]
    await check_quota(store, job, len(waiting), settings)


async def check_quota(store: Store, job: Job, adding: int, settings: Settings) -> None:
    """`429` if `adding` more calls for the job's account would pass `DAILY_CALL_LIMIT`."""
    if adding <= 0:
        return
    used = await store.calls_counted(job.account_id, utcnow() - DAILY_CALL_WINDOW)
    if used + adding > settings.daily_call_limit:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"daily call limit reached: {used} of {settings.daily_call_limit} calls used or "
            f"queued in the last 24 hours; this job would add {adding}",
        )
