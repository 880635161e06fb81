"""The storage interface both services use, and the lifecycle rules every backend shares.

A backend implements a handful of primitives (`_insert_*`, `_select_*`, `_patch_provider`);
the rules that give the call lifecycle its meaning live here once:

* a `None` never clears a stored value (the original's semantics for prices);
* a call only moves forward, and a finished call (`completed`/`failed`) never moves again;
* queueing and claiming calls are compare-and-set, so no provider is dialled twice, even
  with several processes sharing one store.
"""

from __future__ import annotations

import abc
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from shared.context import ContextAnswer
from shared.models import (
    CallStatus,
    CallUpdate,
    Job,
    JobCreate,
    Outcome,
    Provider,
    ProviderCreate,
    TranscriptTurn,
    format_transcript,
    statuses_before,
    utcnow,
)
from shared.storage.accounts import AccountStore
from shared.storage.attempts import AttemptStore
from shared.storage.errors import StoreError as StoreError  # re-exported: every backend raises it
from shared.storage.figures import FiguresStore
from shared.storage.fleet import Fleet, LocalFleet
from shared.storage.where import LIVE, Where
from shared.storage.write_feed import WriteFeed


def _pairs(job: Job) -> list[dict[str, str]]:
    """The job's answers as the JSON the `context_pairs` column holds."""
    return [pair.model_dump() for pair in job.context_pairs]


class Store(AccountStore, AttemptStore, FiguresStore, WriteFeed):
    """Jobs, providers and accounts, persisted."""

    # -- lifecycle -------------------------------------------------------------------------

    async def open(self) -> None:
        """Connect, and create the schema where the backend owns it."""

    async def close(self) -> None:
        """Release connections."""

    @abc.abstractmethod
    async def ping(self) -> None:
        """Raise `StoreError` unless the store answers."""

    # -- the fleet -------------------------------------------------------------------------

    def fleet(self) -> Fleet:
        """The limits the voice instances sharing this store share (see `fleet.py`)."""
        return LocalFleet(self)

    # -- jobs ------------------------------------------------------------------------------

    async def create_job(self, job: JobCreate) -> Job:
        """Store a new job and return it with its id."""
        now = utcnow()
        row = job.model_dump() | {"id": str(uuid.uuid4()), "created_at": now, "updated_at": now}
        created = Job.model_validate(await self._insert_job(row))
        self._wrote(created.id)
        return created

    async def get_job(self, job_id: str) -> Job | None:
        """The job, or `None`."""
        row = await self._select_job(job_id)
        return Job.model_validate(row) if row else None

    async def list_jobs(self, limit: int = 100, account_id: str | None = None) -> list[Job]:
        """The newest jobs first: the account's, or everyone's when `account_id` is `None`."""
        return [Job.model_validate(row) for row in await self._select_jobs(limit, account_id)]

    async def update_job(self, job_id: str, **fields: Any) -> Job | None:
        """Change a job's fields (those of `JobCreate`); `None` values are left out."""
        allowed = set(JobCreate.model_fields)
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"unknown job fields: {sorted(unknown)}")
        values = {key: value for key, value in fields.items() if value is not None}
        if "context_pairs" in values:
            values["context_pairs"] = [
                ContextAnswer.model_validate(pair).model_dump() for pair in values["context_pairs"]
            ]
        values["updated_at"] = utcnow()
        row = await self._patch_job(job_id, values)
        if not row:
            return None
        self._wrote(job_id)
        return Job.model_validate(row)

    # -- providers -------------------------------------------------------------------------

    async def add_providers(self, job: Job, providers: Sequence[ProviderCreate]) -> list[Provider]:
        """Store providers for a job, copying in the job's details. A number the job already
        has is left out, even when another request adds it at the same moment (a unique key);
        the answer lists the rows this call stored."""
        now = utcnow()
        rows: list[dict[str, Any]] = [
            {
                "job_id": job.id,
                "service_provider": provider.service_provider,
                "phone_number": provider.phone_number,
                "context_answers": job.context_answers,
                "context_pairs": _pairs(job),
                "house_address": job.house_address,
                "zip_code": job.zip_code,
                "max_price": job.max_price,
                "problem": job.problem,
                "call_status": CallStatus.PENDING.value,
                "transcript_turns": [],
                "attempt": 1,
                "created_at": now,
                "updated_at": now,
                "account_id": job.account_id,
            }
            for provider in providers
        ]
        if not rows:
            return []
        added = [Provider.model_validate(row) for row in await self._insert_providers(rows)]
        self._wrote(job.id)
        return added

    async def refresh_job_copies(self, job: Job) -> int:
        """Copy the job's current details into its providers not called yet (those already
        called keep what their call was about); how many were refreshed."""
        rows = await self._patch_providers_where(
            {
                "context_answers": job.context_answers,
                "context_pairs": _pairs(job),
                "house_address": job.house_address,
                "zip_code": job.zip_code,
                "max_price": job.max_price,
                "problem": job.problem,
                "updated_at": utcnow(),
            },
            Where(job_id=job.id, statuses=(CallStatus.PENDING.value,), queued=False),
        )
        if rows:
            self._wrote(job.id)
        return len(rows)

    async def get_provider(self, provider_id: int) -> Provider | None:
        """The provider, or `None`."""
        row = await self._select_provider(provider_id)
        return Provider.model_validate(row) if row else None

    async def list_providers(self, job_id: str) -> list[Provider]:
        """A job's providers, in the order they were added."""
        return [Provider.model_validate(row) for row in await self._select_providers(job_id)]

    async def providers_in(
        self, statuses: Iterable[CallStatus], *, queued: bool | None = None
    ) -> list[Provider]:
        """Providers, of any job, whose call is in one of `statuses` (and queued or not)."""
        rows = await self._select_by_status([status.value for status in statuses], queued)
        return [Provider.model_validate(row) for row in rows]

    async def update_call(self, provider_id: int, update: CallUpdate) -> Provider | None:
        """Apply a call update under the lifecycle rules; `None` if the provider is unknown."""
        values = update.other_fields()
        status_values = update.status_fields()
        now = utcnow()
        if update.call_status is not None:
            moved = await self._patch_provider(
                provider_id,
                values | status_values | {"updated_at": now},
                only_if_status_in=[status.value for status in statuses_before(update.call_status)],
            )
            if moved is not None:
                self._wrote(moved["job_id"])
                return Provider.model_validate(moved)
        if not values:
            return await self.get_provider(provider_id)
        row = await self._patch_provider(provider_id, values | {"updated_at": now})
        if not row:
            return None
        self._wrote(row["job_id"])
        return Provider.model_validate(row)

    async def save_live_transcript(
        self,
        provider_id: int,
        turns: Sequence[TranscriptTurn],
        first_quote: float | None = None,
    ) -> Provider | None:
        """Store the transcript so far (and the first quote, once heard) of a call in progress.

        Only a call still `in_progress` takes it: a finished call never moves, so a write that
        arrives after the call's final result changes nothing (`None` is returned then, and
        for an unknown provider)."""
        values: dict[str, Any] = {
            "transcript_turns": [turn.model_dump() for turn in turns],
            "call_transcript": format_transcript(list(turns)),
            "updated_at": utcnow(),
        }
        if first_quote is not None:
            values["minimum_quote"] = first_quote
        row = await self._patch_provider(
            provider_id, values, only_if_status_in=[CallStatus.IN_PROGRESS.value]
        )
        if not row:
            return None
        self._wrote(row["job_id"])
        return Provider.model_validate(row)

    async def queue_calls(self, job_id: str) -> list[Provider]:
        """Mark every provider of the job not yet called as queued; return only those newly
        queued. Calling it again queues nobody twice."""
        now = utcnow()
        rows = await self._patch_providers_where(
            {"queued_at": now, "updated_at": now},
            Where(job_id=job_id, statuses=(CallStatus.PENDING.value,), queued=False),
        )
        if rows:
            self._wrote(job_id)
        return [Provider.model_validate(row) for row in rows]

    async def cancel_job(self, job_id: str) -> list[Provider]:
        """Cancel a job: every call not placed yet (queued or not) ends `failed` with outcome
        `canceled`, atomically, so no dispatcher can claim it after; those calls."""
        now = utcnow()
        rows = await self._patch_providers_where(
            {
                "call_status": CallStatus.FAILED.value,
                "outcome": Outcome.CANCELED.value,
                "failure_reason": "the job was canceled",
                "ended_at": now,
                "updated_at": now,
            },
            Where(job_id=job_id, statuses=(CallStatus.PENDING.value,)),
        )
        # Follow-ups scheduled for ended calls are dropped too.
        await self._patch_providers_where(
            {"next_attempt_at": None, "updated_at": now},
            Where(
                job_id=job_id,
                statuses=(CallStatus.COMPLETED.value, CallStatus.FAILED.value),
            ),
        )
        await self._patch_job(job_id, {"status": "canceled", "updated_at": now})
        self._wrote(job_id)
        return [Provider.model_validate(row) for row in rows]

    async def defer_call(self, provider_id: int, until: datetime | None) -> Provider | None:
        """Note that a queued call waits until `until` (or no longer, with `None`)."""
        row = await self._patch_provider(
            provider_id,
            {"not_before": until, "updated_at": utcnow()},
            only_if_status_in=[CallStatus.PENDING.value],
        )
        if not row:
            return None
        self._wrote(row["job_id"])
        return Provider.model_validate(row)

    async def claim_call(
        self, provider_id: int, owner: str, lease_until: datetime | None = None
    ) -> Provider | None:
        """Take a queued call for dialing: only one claimant ever succeeds. The claim holds
        until `lease_until`, unless the owner renews it."""
        now = utcnow()
        row = await self._patch_provider(
            provider_id,
            {
                "call_status": CallStatus.DIALING.value,
                "claimed_by": owner,
                "lease_expires_at": lease_until,
                "dialed_at": now,
                "updated_at": now,
            },
            only_if_status_in=[CallStatus.PENDING.value],
            only_if_queued=True,
        )
        if not row:
            return None
        self._wrote(row["job_id"])
        return Provider.model_validate(row)

    async def begin_stream(
        self, provider_id: int, call_sid: str, owner: str, lease_until: datetime | None = None
    ) -> Provider | None:
        """A dialled call's media stream starts here: `dialing` → `in_progress`, owned from
        now on by `owner` (the instance serving the stream). Only one stream ever starts."""
        now = utcnow()
        row = await self._patch_provider(
            provider_id,
            {
                "call_status": CallStatus.IN_PROGRESS.value,
                "call_sid": call_sid,
                "claimed_by": owner,
                "lease_expires_at": lease_until,
                "answered_at": now,
                "updated_at": now,
            },
            only_if_status_in=[CallStatus.DIALING.value],
        )
        if not row:
            return None
        self._wrote(row["job_id"])
        return Provider.model_validate(row)

    async def renew_leases(self, owner: str, until: datetime) -> int:
        """Extend the lease of every live call `owner` holds; how many."""
        rows = await self._patch_providers_where(
            {"lease_expires_at": until}, Where(statuses=LIVE, claimed_by=owner)
        )
        return len(rows)

    async def expire_leases(self, now: datetime, reason: str) -> list[Provider]:
        """Close out live calls whose owner stopped renewing their lease (it died): they end
        `failed` with outcome `error` and `reason`. Atomic: each call is closed out once."""
        rows = await self._patch_providers_where(
            {
                "call_status": CallStatus.FAILED.value,
                "outcome": "error",
                "failure_reason": reason,
                "ended_at": now,
                "updated_at": now,
            },
            Where(statuses=LIVE, lease_before=now),
        )
        self._wrote(*(row["job_id"] for row in rows))
        return [Provider.model_validate(row) for row in rows]

    # -- primitives ------------------------------------------------------------------------

    @abc.abstractmethod
    async def _insert_job(self, row: dict[str, Any]) -> dict[str, Any]: ...

    @abc.abstractmethod
    async def _select_job(self, job_id: str) -> dict[str, Any] | None: ...

    @abc.abstractmethod
    async def _select_jobs(self, limit: int, account_id: str | None) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    async def _patch_job(self, job_id: str, values: dict[str, Any]) -> dict[str, Any] | None: ...

    @abc.abstractmethod
    async def _insert_providers(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Insert in one statement, leaving out rows whose (job, number) is stored already;
        the rows inserted, in id order."""

    @abc.abstractmethod
    async def _select_provider(self, provider_id: int) -> dict[str, Any] | None: ...

    @abc.abstractmethod
    async def _select_providers(self, job_id: str) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    async def _select_by_status(
        self, statuses: list[str], queued: bool | None
    ) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    async def _patch_provider(
        self,
        provider_id: int,
        values: dict[str, Any],
        *,
        only_if_status_in: list[str] | None = None,
        only_if_queued: bool = False,
    ) -> dict[str, Any] | None:
        """Update one row (atomically, under the conditions); the new row or `None`."""

    @abc.abstractmethod
    async def _patch_providers_where(
        self, values: dict[str, Any], where: Where
    ) -> list[dict[str, Any]]:
        """Update every provider row matching `where` in one atomic statement; those rows,
        in id order."""
