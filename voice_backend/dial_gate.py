"""What the dispatcher asks before and after it dials: whether the number is one the guardrails
dial at all, the do-not-call list, calling hours in the callee's time zone, and whether the job
was canceled meanwhile. The rules are in `shared.dialing` and `shared.calling_hours`; this
module applies them to a queued call."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from shared.calling_hours import Window, parse_window, within_calling_hours
from shared.dialing import NumberRefused, dialable_number
from shared.models import CallStatus, CallUpdate, Outcome, Provider, utcnow
from shared.settings import Settings, Telephony
from shared.storage import Store

logger = logging.getLogger(__name__)

ALWAYS = "00:00-24:00"


class DialGate:
    """Decides, call by call, whether a queued call may be dialled now."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        # Simulated providers live on this machine: they take calls at any hour.
        hours = ALWAYS if settings.telephony is Telephony.SIM else settings.calling_hours
        self._window: Window = parse_window(hours)
        self._real = settings.telephony is Telephony.TWILIO
        self._region = settings.default_region
        self._regions = settings.dial_countries

    def _refused(self, provider: Provider) -> str | None:
        """Why a real call must not go to this number (the job API's guardrails, asked again:
        a row written past the API, by a user's own Supabase token or before the guardrails
        existed, is never dialled), or `None`."""
        if not self._real:
            return None
        try:
            dialable_number(provider.phone_number, self._region, self._regions)
        except NumberRefused as error:
            return str(error)
        return None

    async def holds_back(self, provider: Provider, now: datetime | None = None) -> bool:
        """`True` when this call must not be claimed now: its number is one the guardrails
        refuse (then it ends `failed`, outcome `dial_error`) or on a do-not-call list (then
        `failed`, outcome `canceled`), or it is outside the callee's calling hours (then it
        waits, and its row says until when)."""
        now = now or utcnow()
        refused = self._refused(provider)
        if refused is not None:
            await self._store.update_call(
                provider.id, CallUpdate.failed(Outcome.DIAL_ERROR, refused)
            )
            logger.warning("not dialled: %s", refused, extra={"provider_id": provider.id})
            return True
        if provider.not_before is not None and provider.not_before > now:
            return True  # still waiting: no need to ask the store again
        blocked = await self._store.blocked_numbers([provider.phone_number], provider.account_id)
        if blocked:
            reason = "the number is on the do-not-call list"
            await self._store.update_call(provider.id, CallUpdate.failed(Outcome.CANCELED, reason))
            logger.info("not dialled: on the do-not-call list", extra={"provider_id": provider.id})
            return True
        until = within_calling_hours(provider.phone_number, now, self._window)
        if until is None:
            return False
        if provider.not_before != until:
            await self._store.defer_call(provider.id, until)
            logger.info(
                "outside calling hours; the call waits",
                extra={"provider_id": provider.id, "until": until.isoformat()},
            )
        return True

    async def cleared(self) -> set[int]:
        """The ids of the queued calls that may be dialled now (see `holds_back` for what
        becomes of the others)."""
        now = utcnow()
        return {
            provider.id
            for provider in await self._store.providers_in([CallStatus.PENDING], queued=True)
            if not await self.holds_back(provider, now)
        }

    async def stop_at_the_slot(
        self, provider: Provider, refusal: Callable[[Provider], Awaitable[str | None]] | None
    ) -> tuple[Outcome, str] | None:
        """Why a claimed call whose dial slot came must not be dialled after all: `refusal`'s
        reason (the spend cap), or its job canceled while it waited for the slot (up to a
        second at the default rate: it was still only queued); `None` to dial."""
        reason = await refusal(provider) if refusal is not None else None
        if reason is not None:
            return Outcome.DIAL_ERROR, reason
        if await self.canceled(provider):
            return Outcome.CANCELED, "the job was canceled"
        return None

    async def canceled(self, provider: Provider) -> bool:
        """Whether the provider's job was canceled (checked once a call has its SID)."""
        job = await self._store.get_job(provider.job_id)
        return job is not None and job.status == "canceled"


async def record_do_not_call(store: Store, provider: Provider, said: list[str]) -> bool:
    """When the provider asked not to be called again, put their number on everyone's
    do-not-call list (every instance and account honours it from then on) and on the job's
    account's own (where the account sees it); whether it was."""
    from shared.dialing import asks_not_to_be_called

    if not any(asks_not_to_be_called(text) for text in said):
        return False
    added = await store.add_do_not_call(provider.phone_number, None, "callee")
    if provider.account_id is not None:
        await store.add_do_not_call(provider.phone_number, provider.account_id, "callee")
    logger.info(
        "the provider asked not to be called again: number put on the do-not-call list",
        extra={"provider_id": provider.id, "new": added},
    )
    return True
