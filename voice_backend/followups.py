"""After a call ends: follow-ups for busy and unanswered lines, and the job webhook.

A busy or unanswered call is tried again by itself on the job's schedule
(`followup_minutes`, default 30 and 120 minutes after the call ended): the n-th attempt
waits the n-th delay. A follow-up falls inside calling hours (it waits for the next opening;
simulated providers are called at any hour) and never past the job's deadline (`date_needed`
when it is a date: the end of that day where the provider is). The ended attempt keeps
showing, with the time of the next one (`next_attempt_at`); when that time comes, `run`
starts the new attempt (`Store.call_again`, one winner even with several instances) and the
dispatcher dials it.
A provider who asked to be called back is not called again by itself: the homeowner confirms
(the dashboard offers it). A follow-up that would pass the account's `DAILY_CALL_LIMIT` is
dropped instead.

Once every call of a job has ended and none waits for a follow-up, the job webhook is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from shared.calling_hours import callee_zones, within_calling_hours
from shared.costs import total_cost
from shared.dialing import DAILY_CALL_WINDOW
from shared.models import FOLLOW_UP_OUTCOMES, Job, Outcome, Provider, utcnow
from shared.settings import Settings, Telephony
from shared.storage import Store, StoreError
from voice_backend.webhook import CALLS_ENDED, JobWebhook

logger = logging.getLogger(__name__)


def job_deadline(job: Job, phone: str | None = None) -> datetime | None:
    """The end of the day the job is needed by, when `date_needed` is a date: in the callee's
    time zone (the latest of the zones `phone` may ring in), UTC without one."""
    text = (job.date_needed or "").strip()
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        return None
    zones = callee_zones(phone) if phone else [UTC]
    return max(datetime.combine(day, time(23, 59, 59), tzinfo=zone) for zone in zones)


def follow_up_time(
    job: Job, provider: Provider, *, calling_hours: str | None, now: datetime | None = None
) -> datetime | None:
    """When to call a provider again by itself, or `None` for no follow-up.

    `calling_hours` is `None` for providers called at any hour (simulated ones).
    """
    if provider.outcome not in FOLLOW_UP_OUTCOMES or provider.callback_requested:
        return None
    schedule = job.followup_schedule()
    index = provider.attempt - 1
    if index >= len(schedule):
        return None
    due = (provider.ended_at or now or utcnow()) + timedelta(minutes=schedule[index])
    if calling_hours is not None:
        due = within_calling_hours(provider.phone_number, due, calling_hours) or due
    deadline = job_deadline(job, provider.phone_number)
    if deadline is not None and due > deadline:
        return None
    return due


def calls_ended_notice(job: Job, providers: list[Provider], cost: float) -> dict[str, Any]:
    """The webhook's body: the job and each provider's latest attempt."""
    agreed = [p for p in providers if p.outcome is Outcome.AGREED and p.negotiated_price]
    best = min(agreed, key=lambda p: p.negotiated_price or 0.0, default=None)
    best_deal = None
    if best is not None:
        best_deal = {"provider_id": best.id, "name": best.service_provider}
        best_deal["price"] = best.negotiated_price
    return {
        "event": CALLS_ENDED,
        "job_id": job.id,
        "problem": job.problem,
        "zip_code": job.zip_code,
        "max_price": job.max_price,
        "total_cost": cost,
        "best": best_deal,
        "providers": [
            {
                "provider_id": p.id,
                "name": p.service_provider,
                "phone": p.phone_number,
                "attempt": p.attempt,
                "call_status": p.call_status.value,
                "outcome": p.outcome.value if p.outcome else None,
                "first_quote": p.minimum_quote,
                "negotiated_price": p.negotiated_price,
                "conditions": p.conditions,
                "cost": p.cost,
                "ended_at": p.ended_at.isoformat() if p.ended_at else None,
            }
            for p in providers
        ],
    }


class AfterCall:
    """Runs once a call has ended (the dispatcher calls `call_ended`)."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        webhook: JobWebhook | None,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self._store = store
        self._wake = wake
        self._loop: asyncio.Task[None] | None = None
        self._settings = settings
        self._webhook = webhook
        self._notified: set[tuple[str, tuple[tuple[int, int], ...]]] = set()
        self._tasks: set[asyncio.Task[bool]] = set()

    @property
    def _hours(self) -> str | None:
        sim = self._settings.telephony is Telephony.SIM
        return None if sim else self._settings.calling_hours

    async def call_ended(self, provider_id: int) -> None:
        """Schedule the provider's follow-up, then tell the webhook if the job is done."""
        try:
            provider = await self._store.get_provider(provider_id)
            if provider is None or not provider.call_status.is_terminal:
                return
            job = await self._store.get_job(provider.job_id)
            if job is None or job.status == "canceled":
                return
            due = follow_up_time(job, provider, calling_hours=self._hours)
            if due is not None and provider.next_attempt_at is None:
                scheduled = await self._store.schedule_follow_up(provider.id, provider.attempt, due)
                if scheduled is not None:
                    logger.info(
                        "follow-up scheduled for %s",
                        due.isoformat(timespec="seconds"),
                        extra={"provider_id": provider.id, "attempt": provider.attempt + 1},
                    )
                    return
            await self._maybe_notify(job)
        except StoreError as error:
            logger.warning("after-call work skipped: %s", error, extra={"provider_id": provider_id})

    async def _maybe_notify(self, job: Job) -> None:
        if self._webhook is None:
            return
        providers = await self._store.list_providers(job.id)
        if not providers or not all(
            p.call_status.is_terminal and p.next_attempt_at is None for p in providers
        ):
            return
        key = (job.id, tuple((p.id, p.attempt) for p in providers))
        if key in self._notified:
            return
        self._notified.add(key)
        cost = total_cost(await self._store.list_attempts(job.id))
        notice = calls_ended_notice(job, providers, cost)
        task = asyncio.create_task(self._webhook.deliver(CALLS_ENDED, notice))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def start(self) -> None:
        """Place follow-ups as they fall due, until `stop`."""
        self._loop = asyncio.create_task(self._run(), name="follow-ups")

    async def place_due(self, now: datetime | None = None) -> list[Provider]:
        """Start every follow-up due at `now`; the new attempts this instance started."""
        started = []
        now = now or utcnow()
        for provider in await self._store.due_follow_ups(now):
            if await self._past_daily_limit(provider, now):
                continue
            again = await self._store.call_again(provider.id, reason="follow_up")
            if again is not None:
                logger.info(
                    "follow-up queued", extra={"provider_id": again.id, "attempt": again.attempt}
                )
                started.append(again)
        if started:
            self._wake()
        return started

    async def _past_daily_limit(self, provider: Provider, now: datetime) -> bool:
        """Whether one more call would pass the account's `DAILY_CALL_LIMIT`; the follow-up is
        then dropped (the homeowner can call again once the limit allows)."""
        used = await self._store.calls_counted(provider.account_id, now - DAILY_CALL_WINDOW)
        if used < self._settings.daily_call_limit:
            return False
        await self._store.schedule_follow_up(provider.id, provider.attempt, None)
        logger.info(
            "follow-up dropped: the account reached its daily call limit",
            extra={"provider_id": provider.id, "used": used},
        )
        return True

    async def _run(self) -> None:
        while True:
            try:
                await self.place_due()
            except StoreError as error:
                logger.warning("cannot look for due follow-ups: %s", error)
            await asyncio.sleep(self._settings.dispatch_poll_seconds)

    async def stop(self) -> None:
        """Stop placing follow-ups and deliveries still retrying."""
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
            self._loop = None
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._webhook is not None:
            await self._webhook.close()
