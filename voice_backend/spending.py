"""What calls cost, as the voice service records and limits it.

* `record_duration`: Twilio's final status callback carries `CallDuration` (whole seconds from
  answer to hang-up; the simulated Twilio sends the simulated one); it is stored on the
  attempt with its estimated cost (`shared.costs.call_cost`).
* `SpendGuard`: before a call is dialled, the account's spend of the last 24 hours is checked
  against `DAILY_SPEND_CAP`; over it, the call is not dialled and says why.
"""

from __future__ import annotations

import logging

from shared.costs import account_of, call_cost, spend_cap_reason
from shared.models import CallUpdate, Provider
from shared.settings import Settings
from shared.storage import Store, StoreError

logger = logging.getLogger(__name__)


async def record_duration(
    store: Store, settings: Settings, provider_id: int, call_sid: str, duration: str | None
) -> Provider | None:
    """Store a finished call's duration and cost; `None` (nothing stored) when the callback
    is not about the provider's current attempt or carries no duration."""
    if duration is None or not duration.strip().isdigit():
        return None
    provider = await store.get_provider(provider_id)
    if provider is None or provider.call_sid != call_sid:
        return None  # an earlier attempt's late callback: that attempt is kept as it was
    seconds = float(duration)
    cost = call_cost(seconds, connected=provider.answered_at is not None, rates=settings)
    return await store.update_call(provider_id, CallUpdate(duration_seconds=seconds, cost=cost))


class SpendGuard:
    """Refuses to dial once an account's calls of the last 24 hours reached the cap."""

    def __init__(self, store: Store, cap: float | None) -> None:
        self._store = store
        self._cap = cap

    async def refusal(self, provider: Provider) -> str | None:
        """Why this call must not be dialled now, or `None`."""
        if self._cap is None:
            return None
        try:
            job = await self._store.get_job(provider.job_id)
            account = account_of(job) if job is not None else None
            reason = await spend_cap_reason(self._store, account, self._cap)
        except StoreError as error:
            # The dial itself needs the store next: let it fail there, with its own reason.
            logger.warning("spend cap not checked: %s", error, extra={"provider_id": provider.id})
            return None
        if reason:
            logger.warning("call not dialled: %s", reason, extra={"provider_id": provider.id})
        return reason
