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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.models import (
    CallStatus,
    CallUpdate,
    Job,
    JobCreate,
    Provider,
    ProviderCreate,
    statuses_before,
    utcnow,
)
from shared.storage.aggregates import JobFigures

if TYPE_CHECKING:
    from shared.storage.fleet import Fleet


class StoreError(Exception):
    """The store could not be reached or refused an operation."""


@dataclass(frozen=True)
class Where:
    """Which provider rows a bulk update touches (every given condition must hold)."""

    job_id: str | None = None
    statuses: tuple[str, ...] | None = None
    queued: bool | None = None
    claimed_by: str | None = None
    #: Only rows whose lease ran out before this time (rows without a lease never match).
    lease_before: datetime | None = None


_LIVE = (CallStatus.DIALING.value, CallStatus.IN_PROGRESS.value)


class Store(abc.ABC):
    """Jobs and providers, persisted."""

    # -- lifecycle -------------------------------------------------------------------------

    async def open(self) -> None:  # noqa: B027 - optional hook
        """Connect, and create the schema where the backend owns it."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    @abc.abstractmethod
    async def ping(self) -> None:
        """Raise `StoreError` unless the store answers."""

    # -- changes ---------------------------------------------------------------------------

    def add_write_listener(self, listener: Callable[[frozenset[str]], None]) -> Callable[[], None]:
        """Call `listener` with the ids of the jobs each write through this store touched;
        returns the function that removes it. (The change feed uses it to publish this
        process's own writes at once.)"""
        listeners: list[Callable[[frozenset[str]], None]] = self.__dict__.setdefault(
            "_write_listeners", []
        )
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    def announce_write(self, *job_ids: str) -> None:
        """Tell the write listeners these jobs changed (for writes made by a helper of the
        store, such as the fleet's claims, rather than by its own methods)."""
        self._wrote(*job_ids)

    def fleet(self) -> Fleet:
        """The limits the voice instances sharing this store share (see `fleet.py`)."""
        from shared.storage.fleet import LocalFleet

        return LocalFleet(self)

    def _wrote(self, *job_ids: str) -> None:
        if not job_ids:
            return
        touched = frozenset(job_ids)
        for listener in list(self.__dict__.get("_write_listeners", ())):
            listener(touched)

    async def changed_jobs(self, since: datetime) -> dict[str, datetime]:
        """Every job whose row, or one of whose providers' rows, was updated at or after
        `since`, with the newest such `updated_at`."""
        changed: dict[str, datetime] = {}
        for job_id, updated in await self._select_changed_since(since):
            if updated is not None and (job_id not in changed or updated > changed[job_id]):
                changed[job_id] = updated
        return changed

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

    async def list_jobs(self, limit: int = 100) -> list[Job]:
        """The newest jobs first."""
        return [Job.model_validate(row) for row in await self._select_jobs(limit)]

    async def update_job(self, job_id: str, **fields: Any) -> Job | None:
        """Change a job's fields (those of `JobCreate`); `None` values are left out."""
        allowed = set(JobCreate.model_fields)
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"unknown job fields: {sorted(unknown)}")
        values = {key: value for key, value in fields.items() if value is not None}
        values["updated_at"] = utcnow()
        row = await self._patch_job(job_id, values)
        if not row:
            return None
        self._wrote(job_id)
        return Job.model_validate(row)

    # -- providers -------------------------------------------------------------------------

    async def add_providers(self, job: Job, providers: Sequence[ProviderCreate]) -> list[Provider]:
        """Store providers for a job, all or none, copying in the job's details."""
        now = utcnow()
        rows: list[dict[str, Any]] = [
            {
                "job_id": job.id,
                "service_provider": provider.service_provider,
                "phone_number": provider.phone_number,
                "context_answers": job.context_answers,
                "house_address": job.house_address,
                "zip_code": job.zip_code,
                "max_price": job.max_price,
                "problem": job.problem,
                "call_status": CallStatus.PENDING.value,
                "transcript_turns": [],
                "created_at": now,
                "updated_at": now,
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
            {"lease_expires_at": until}, Where(statuses=_LIVE, claimed_by=owner)
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
            Where(statuses=_LIVE, lease_before=now),
        )
        self._wrote(*(row["job_id"] for row in rows))
        return [Provider.model_validate(row) for row in rows]

    # -- figures ---------------------------------------------------------------------------

    async def job_figures(self, limit: int) -> list[JobFigures] | None:
        """Call figures of the newest `limit` jobs, computed by the database; `None` when
        this backend cannot aggregate (then callers compute them from the rows)."""
        return None

    # -- primitives ------------------------------------------------------------------------

    @abc.abstractmethod
    async def _insert_job(self, row: dict[str, Any]) -> dict[str, Any]: ...

    @abc.abstractmethod
    async def _select_job(self, job_id: str) -> dict[str, Any] | None: ...

    @abc.abstractmethod
    async def _select_jobs(self, limit: int) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    async def _patch_job(self, job_id: str, values: dict[str, Any]) -> dict[str, Any] | None: ...

    @abc.abstractmethod
    async def _insert_providers(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]: ...

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
    async def _select_changed_since(self, since: datetime) -> list[tuple[str, datetime | None]]:
        """(job id, updated_at) of the job rows and provider rows updated at or after
        `since` (several per job allowed)."""

    @abc.abstractmethod
    async def _patch_providers_where(
        self, values: dict[str, Any], where: Where
    ) -> list[dict[str, Any]]:
        """Update every provider row matching `where` in one atomic statement; those rows,
        in id order."""
