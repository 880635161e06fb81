"""Placing the calls: a queue, Twilio's rate limit, a cap on calls in flight, and a final state
for every call, whatever happens to it.

The rate and the cap are the fleet's, shared by every voice instance on the store
(`shared/storage/fleet.py`, `rate.py`); the dial gate (`dial_gate.py`) clears queued calls
first: one on a do-not-call list ends `canceled`, one outside calling hours waits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial

from shared import metrics
from shared.logs import bind
from shared.models import CallStatus, CallUpdate, Outcome, Provider, utcnow
from shared.settings import Settings
from shared.storage import Store, StoreError
from voice_backend.call.outcome import EndReason
from voice_backend.call.registry import ActiveCalls
from voice_backend.dial_gate import DialGate
from voice_backend.lost_callbacks import LostCallbacks
from voice_backend.rate import DialPacer
from voice_backend.telephony.base import DialError, DialFailure, DialRequest, Telephony
from voice_backend.twilio.callbacks import (
    UNCONNECTED_OUTCOMES,
    AnsweredBy,
    CallUrls,
    TwilioCallStatus,
    answered_by_machine,
)

logger = logging.getLogger(__name__)

#: After Twilio says the call was answered, how long the media stream may take to start.
STREAM_CONNECT_TIMEOUT_SECONDS = 20.0
#: Slack on top of ring time and call time limit before a silent call is closed out.
FINAL_STATUS_SLACK_SECONDS = 120.0

_ABANDONED = "the voice-service instance handling the call stopped"


class Dispatcher:
    """Queues calls and places them within the rate and concurrency limits."""

    def __init__(
        self,
        store: Store,
        telephony: Telephony,
        settings: Settings,
        registry: ActiveCalls,
        instance_id: str,
        *,
        wake: asyncio.Event | None = None,
        on_call_ended: Callable[[int], Awaitable[None]] | None = None,
        refusal: Callable[[Provider], Awaitable[str | None]] | None = None,
    ) -> None:
        """`wake`, when given, is shared with whoever may have work for the dispatcher (due
        follow-ups); `on_call_ended` runs after each call; `refusal` says why a claimed call
        must not be dialled (the spend cap), or `None`."""
        self._store = store
        self._telephony = telephony
        self._settings = settings
        self._registry = registry
        self._instance = instance_id
        self._holding: set[int] = set()
        self._fleet = store.fleet()
        self._pacer = DialPacer(self._fleet, settings.calls_per_second)
        self._wake = wake if wake is not None else asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._timers: dict[int, asyncio.Task[None]] = {}
        self._loops: list[asyncio.Task[None]] = []
        #: After a call ended (follow-ups, the job webhook): `voice_backend.followups`.
        self.on_call_ended = on_call_ended
        #: Why a claimed call must not be dialled (the spend cap), or `None`.
        self.refusal = refusal
        self._lost = LostCallbacks(
            telephony,
            settings.public_base_url,
            still_dialing=self._still_dialing,
            close_out=self._close_out_lost,
            hang_up=self._quiet_hang_up,
        )
        self._gate = DialGate(store, settings)

    @property
    def urls(self) -> CallUrls:
        """The webhook URLs, from PUBLIC_BASE_URL."""
        base = self._settings.public_base_url
        if not base:
            reason = "PUBLIC_BASE_URL (or DOMAIN) is not set: Twilio could not reach us"
            raise DialError(reason, failure=DialFailure.NOT_CONFIGURED)
        return CallUrls(base)

    def lease_until(self) -> datetime:
        """How long a claim made now holds unless renewed."""
        return utcnow() + timedelta(seconds=self._settings.lease_seconds)

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Close out calls this instance had in flight when it died, then dial queued calls
        (those of any instance: the queue is the store) until `stop`."""
        for provider in await self._store.providers_in(
            [CallStatus.DIALING, CallStatus.IN_PROGRESS]
        ):
            if provider.claimed_by not in (None, self._instance):
                continue  # another live instance's call (if it died, its lease runs out)
            await self._fail(provider.id, Outcome.ERROR, "the voice service restarted mid-call")
            if provider.call_sid:
                self._spawn(partial(self._quiet_hang_up, provider.call_sid))
        self._loops = [
            asyncio.create_task(self._run(), name="dispatcher"),
            asyncio.create_task(self._keep_leases(), name="dispatcher-leases"),
        ]

    async def stop(self) -> None:
        """Stop dialing. Queued calls stay queued in the store for the next start."""
        tasks = [*self._loops, *self._tasks, *self._timers.values()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._loops = []

    # -- queueing and dialing --------------------------------------------------------------

    async def start_job(self, job_id: str) -> list[Provider]:
        """Queue a call to every provider of the job not yet called; the newly queued."""
        queued = await self._store.queue_calls(job_id)
        self._wake.set()
        return queued

    def wake(self) -> None:
        """Look for queued calls now rather than at the next poll."""
        self._wake.set()

    def in_flight(self) -> int:
        """Calls holding a slot now."""
        return len(self._holding)

    async def _run(self) -> None:
        """Claim queued calls from the store while the fleet has free slots."""
        while True:
            self._wake.clear()
            try:
                await self._release_finished()
                await self._claim_queued()
            except StoreError as error:
                logger.warning("dispatcher cannot reach the store: %s", error)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._settings.dispatch_poll_seconds):
                    await self._wake.wait()

    async def _claim_queued(self) -> None:
        """Claim queued calls one at a time and dial each once this instance holds the
        fleet's dial slot; meanwhile the next call goes to whichever instance is free. Only
        calls the dial gate cleared just before are claimed (not on a do-not-call list, within
        the callee's calling hours)."""
        cleared = await self._gate.cleared()
        while cleared:
            claimed = await self._fleet.claim_next(
                self._instance, self.lease_until(), self._settings.max_concurrent_calls, cleared
            )
            if claimed is None:
                return  # nothing cleared left, or the fleet is at its cap
            cleared.discard(claimed.id)
            self._holding.add(claimed.id)
            metrics.CALLS_IN_FLIGHT.set(len(self._holding))
            ticket = await self._pacer.wait_for_slot()
            self._spawn(partial(self._dial, claimed, ticket))

    async def _release_finished(self) -> None:
        """Free the slots of calls that ended wherever their stream or callbacks landed."""
        for provider_id in list(self._holding):
            provider = await self._store.get_provider(provider_id)
            if provider is None or provider.call_status.is_terminal:
                self.call_finished(provider_id)

    async def _keep_leases(self) -> None:
        """Renew the leases of this instance's live calls; close out calls whose instance
        stopped renewing (it died), hanging them up so nobody is left on the line."""
        every = self._settings.lease_seconds / 3
        while True:
            try:
                await self._store.renew_leases(self._instance, self.lease_until())
                for provider in await self._store.expire_leases(utcnow(), _ABANDONED):
                    logger.warning(
                        "closed out a call its instance abandoned",
                        extra={"provider_id": provider.id, "call_sid": provider.call_sid},
                    )
                    metrics.CALLS.labels(Outcome.ERROR.value).inc()
                    if provider.call_sid:
                        await self._quiet_hang_up(provider.call_sid)
                    if provider.id in self._holding:
                        self.call_finished(provider.id)
            except StoreError as error:
                logger.warning("cannot renew call leases: %s", error)
            await asyncio.sleep(every)

    async def _dial(self, provider: Provider, ticket: str) -> None:
        provider_id = provider.id
        bind(provider_id=provider_id, job_id=provider.job_id)
        try:
            stop = await self._gate.stop_at_the_slot(provider, self.refusal)
        except BaseException:
            await self._pacer.done(ticket)
            raise
        if stop is not None:
            await self._pacer.done(ticket)  # never dialled: the ticket goes back at once
            await self._fail(provider_id, *stop)
            self._release(provider_id)
            self._ended(provider_id)
            return
        try:
            try:
                call_sid = await self._place(provider)
            finally:
                await self._pacer.done(ticket)  # the rate counts from the request's end
        except DialError as error:
            logger.warning("dial failed: %s", error)
            metrics.DIAL_ERRORS.labels(error.cause).inc()
            await self._fail(provider_id, Outcome.DIAL_ERROR, str(error))
            self._release(provider_id)
            self._ended(provider_id)
            return
        await self._store.update_call(provider_id, CallUpdate(call_sid=call_sid))
        bind(call_sid=call_sid)
        if await self._gate.canceled(provider):  # canceled while this call was being placed
            await self._quiet_hang_up(call_sid)
        logger.info(
            "dialled",
            extra={"provider_id": provider_id, "call_sid": call_sid, "job_id": provider.job_id},
        )
        deadline = (
            self._settings.ring_timeout_seconds
            + self._settings.call_time_limit_seconds
            + FINAL_STATUS_SLACK_SECONDS
        )
        self._timer(
            provider_id, deadline, partial(self._close_out_silent_call, provider_id, call_sid)
        )
        self._spawn(partial(self._lost.watch, provider_id, call_sid))

    async def _place(self, provider: Provider) -> str:
        urls = self.urls
        request = DialRequest(
            provider_id=provider.id,
            to=provider.phone_number,
            twiml_url=urls.twiml(provider.id),
            status_callback_url=urls.status(provider.id),
            amd_callback_url=urls.status(provider.id),
            ring_timeout_seconds=self._settings.ring_timeout_seconds,
            # Twilio's hard stop comes a little after ours, so the agent can say goodbye.
            time_limit_seconds=self._settings.call_time_limit_seconds + 60,
            job=provider.problem,
        )
        return await self._telephony.place_call(request)

    def call_finished(self, provider_id: int) -> None:
        """A call reached its final state: free its slot and timers."""
        timer = self._timers.pop(provider_id, None)
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()
        self._release(provider_id)
        self._ended(provider_id)

    def _ended(self, provider_id: int) -> None:
        if self.on_call_ended is not None:
            self._spawn(partial(self.on_call_ended, provider_id))

    def _release(self, provider_id: int) -> None:
        self._lost.forget(provider_id)
        if provider_id in self._holding:
            self._holding.discard(provider_id)
            metrics.CALLS_IN_FLIGHT.set(len(self._holding))
            self._wake.set()  # a slot is free: look for queued calls now

    # -- Twilio's status callbacks -----------------------------------------------------------

    async def on_status(
        self,
        provider_id: int,
        call_sid: str,
        call_status: TwilioCallStatus | None,
        answered_by: AnsweredBy | None,
    ) -> None:
        """Apply a status or answering-machine callback to the provider's call."""
        bind(provider_id=provider_id, call_sid=call_sid)
        provider = await self._store.get_provider(provider_id)
        if provider is None or (provider.call_sid and provider.call_sid != call_sid):
            logger.warning("status callback for an unknown call", extra={"call_sid": call_sid})
            return
        if provider_id in self._holding:
            self._lost.heard_from(provider_id)
        bridge = self._registry.get(call_sid)
        if answered_by_machine(answered_by):
            if bridge is not None:
                bridge.end(EndReason.VOICEMAIL, f"answered by {answered_by}")
            else:
                await self._fail(provider_id, Outcome.VOICEMAIL, f"answered by {answered_by}")
                await self._quiet_hang_up(call_sid)
                self.call_finished(provider_id)
            return
        if call_status is TwilioCallStatus.IN_PROGRESS:
            if provider.call_status is CallStatus.DIALING:
                self._timer(
                    provider_id,
                    STREAM_CONNECT_TIMEOUT_SECONDS,
                    partial(self._require_stream, provider_id, call_sid),
                )
            return
        if call_status is None or call_status not in UNCONNECTED_OUTCOMES:
            return  # queued, initiated, ringing: nothing to record
        if bridge is not None or provider.call_status is CallStatus.IN_PROGRESS:
            return  # the bridge writes the result of a call that connected
        outcome, reason = UNCONNECTED_OUTCOMES[call_status]
        await self._fail(provider_id, outcome, reason)
        self.call_finished(provider_id)

    async def _still_dialing(self, provider_id: int) -> bool:
        provider = await self._store.get_provider(provider_id)
        return provider is not None and provider.call_status is CallStatus.DIALING

    async def _close_out_lost(self, provider_id: int, outcome: Outcome, reason: str) -> None:
        await self._fail(provider_id, outcome, reason)
        self.call_finished(provider_id)

    async def _require_stream(self, provider_id: int, call_sid: str) -> None:
        provider = await self._store.get_provider(provider_id)
        if provider is None or provider.call_status is not CallStatus.DIALING:
            return
        await self._quiet_hang_up(call_sid)
        await self._fail(provider_id, Outcome.ERROR, "the media stream never connected")
        self.call_finished(provider_id)

    async def _close_out_silent_call(self, provider_id: int, call_sid: str) -> None:
        provider = await self._store.get_provider(provider_id)
        if provider is None or provider.call_status.is_terminal:
            return
        if self._registry.get(call_sid) is not None:
            return  # a live bridge ends itself at its time limit
        await self._quiet_hang_up(call_sid)
        await self._fail(provider_id, Outcome.ERROR, "Twilio never reported the call's end")
        self.call_finished(provider_id)

    # -- helpers ---------------------------------------------------------------------------

    async def _fail(self, provider_id: int, outcome: Outcome, reason: str) -> None:
        after = await self._store.update_call(provider_id, CallUpdate.failed(outcome, reason))
        if after is not None and after.outcome is outcome and after.failure_reason == reason:
            metrics.CALLS.labels(outcome.value).inc()

    async def _quiet_hang_up(self, call_sid: str) -> None:
        try:
            await self._telephony.hang_up(call_sid)
        except Exception as error:  # best effort
            logger.warning("hang-up failed: %s", error, extra={"call_sid": call_sid})

    def _spawn(self, action: Callable[[], Awaitable[None]]) -> None:
        task = asyncio.create_task(_run(action))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(_log_failure)

    def _timer(
        self, provider_id: int, seconds: float, action: Callable[[], Awaitable[None]]
    ) -> None:
        async def fire() -> None:
            await asyncio.sleep(seconds)
            await action()

        previous = self._timers.pop(provider_id, None)
        if previous is not None:
            previous.cancel()
        task = asyncio.create_task(fire())
        task.add_done_callback(_log_failure)
        self._timers[provider_id] = task


async def _run(action: Callable[[], Awaitable[None]]) -> None:
    await action()


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("dispatcher task failed", exc_info=task.exception())
