"""Calling a provider again: every ended attempt kept, follow-ups scheduled, costs summed.

`AttemptStore` is the part of the `Store` interface about attempts; its rules are written once
here, on primitives each backend implements.
"""

from __future__ import annotations

import abc
from datetime import datetime
from typing import Any

from shared.costs import account_of
from shared.models import ATTEMPT_FIELDS, Attempt, CallStatus, Job, Outcome, Provider, utcnow
from shared.storage.where import ENDED, Where
from shared.storage.write_feed import WriteFeed


def new_attempt_row(number: int, reason: str, now: datetime) -> dict[str, Any]:
    """A provider row's call fields for a new attempt, queued now."""
    return {
        "call_status": CallStatus.PENDING.value,
        "attempt": number,
        "attempt_reason": reason,
        "outcome": None,
        "failure_reason": None,
        "negotiated_price": None,
        "minimum_quote": None,
        "conditions": None,
        "call_sid": None,
        "call_transcript": None,
        "transcript_turns": [],
        "queued_at": now,
        "next_attempt_at": None,
        "claimed_by": None,
        "lease_expires_at": None,
        "dialed_at": None,
        "answered_at": None,
        "ended_at": None,
        "duration_seconds": None,
        "cost": None,
        "callback_requested": None,
        "updated_at": now,
    }


class AttemptStore(WriteFeed):
    """Attempts, follow-ups and costs, on top of the provider rows (each write announced to
    the write listeners)."""

    async def call_again(self, provider_id: int, *, reason: str = "again") -> Provider | None:
        """Queue a new attempt for an ended call that did not agree: the ended attempt is
        kept in the attempts table and the provider row starts over as the new attempt.
        `None` when the call has not ended, was agreed, or another request started the new
        attempt first (only one ever does).

        The ended attempt is kept first (under an id unique to it, so keeping it twice is a
        no-op), then the row is reset by a compare-and-set on its attempt number: a finished
        attempt itself never moves again.
        """
        current = await self.get_provider(provider_id)
        if (
            current is None
            or not current.call_status.is_terminal
            or current.outcome is Outcome.AGREED
        ):
            return None
        now = utcnow()
        kept = current.model_dump(include=set(ATTEMPT_FIELDS), mode="python")
        kept["transcript_turns"] = [turn.model_dump() for turn in current.transcript_turns]
        kept |= {
            "id": f"{current.id}:{current.attempt}",
            "provider_id": current.id,
            "created_at": now,
        }
        await self._insert_attempt(kept)
        rows = await self._patch_providers_where(
            new_attempt_row(current.attempt + 1, reason, now),
            Where(provider_id=current.id, attempt=current.attempt, statuses=ENDED),
        )
        if not rows:
            return None
        self._wrote(current.job_id)
        return Provider.model_validate(rows[0])

    async def schedule_follow_up(
        self, provider_id: int, attempt: int, at: datetime | None
    ) -> Provider | None:
        """Set (or, with `None`, clear) when attempt `attempt`'s follow-up is placed; only
        while that attempt is the provider's latest and has ended. The new row, or `None`."""
        rows = await self._patch_providers_where(
            {"next_attempt_at": at, "updated_at": utcnow()},
            Where(provider_id=provider_id, attempt=attempt, statuses=ENDED),
        )
        if not rows:
            return None
        self._wrote(rows[0]["job_id"])
        return Provider.model_validate(rows[0])

    async def due_follow_ups(self, now: datetime) -> list[Provider]:
        """Ended calls, of any job, whose follow-up is due at `now`."""
        return [Provider.model_validate(row) for row in await self._select_due(now)]

    async def list_attempts(self, job_id: str) -> list[Attempt]:
        """Every attempt of a job's calls that has been dialled, earlier ones and the latest,
        by provider then attempt number."""
        kept = [Attempt.model_validate(row) for row in await self._select_attempts(job_id)]
        latest = [
            attempt_of(provider)
            for provider in await self.list_providers(job_id)
            if provider.dialed_at is not None or provider.call_status.is_terminal
        ]
        return sorted([*kept, *latest], key=lambda item: (item.provider_id, item.attempt))

    async def costs_since(self, since: datetime) -> list[tuple[str, float]]:
        """`(job_id, cost)` of every attempt, of any job, that ended at or after `since` and
        has a cost."""
        return [(row["job_id"], float(row["cost"])) for row in await self._select_costs(since)]

    async def account_spend(self, account_id: str | None, since: datetime) -> float:
        """What an account's attempts that ended at or after `since` cost, rounded to four
        decimals. An attempt belongs to its job's account; one whose job has no account, or
        is gone, to the operator's (`None`).

        Computed here from every cost row and its job; the SQL store sums in the database."""
        owners: dict[str, str | None] = {}
        spent = 0.0
        for job_id, cost in await self.costs_since(since):
            if job_id not in owners:
                job = await self.get_job(job_id)
                owners[job_id] = account_of(job) if job is not None else None
            if owners[job_id] == account_id:
                spent += cost
        return round(spent, 4)

    # -- what the rules above need ----------------------------------------------------------

    @abc.abstractmethod
    async def get_job(self, job_id: str) -> Job | None:
        """The job, or None."""

    @abc.abstractmethod
    async def get_provider(self, provider_id: int) -> Provider | None:
        """One provider row, or None."""

    @abc.abstractmethod
    async def list_providers(self, job_id: str) -> list[Provider]:
        """A job's provider rows."""

    @abc.abstractmethod
    async def _patch_providers_where(
        self, values: dict[str, Any], where: Where
    ) -> list[dict[str, Any]]:
        """Update every provider row matching `where` in one atomic statement; those rows."""

    @abc.abstractmethod
    async def _insert_attempt(self, row: dict[str, Any]) -> bool:
        """Keep an ended attempt; `False` (and nothing changed) when its id is already kept."""

    @abc.abstractmethod
    async def _select_attempts(self, job_id: str) -> list[dict[str, Any]]:
        """A job's kept attempts."""

    @abc.abstractmethod
    async def _select_due(self, now: datetime) -> list[dict[str, Any]]:
        """Ended provider rows whose `next_attempt_at` is at or before `now`, in id order."""

    @abc.abstractmethod
    async def _select_costs(self, since: datetime) -> list[dict[str, Any]]:
        """`{job_id, cost}` of every provider row and kept attempt ended since `since` with
        a cost."""


def attempt_of(provider: Provider) -> Attempt:
    """A provider row's latest attempt, in the shape of a kept one."""
    fields = provider.model_dump(include=set(ATTEMPT_FIELDS))
    return Attempt.model_validate(
        fields
        | {
            "id": f"{provider.id}:{provider.attempt}",
            "provider_id": provider.id,
            "created_at": provider.dialed_at or provider.created_at,
        }
    )
