"""What calls cost: an estimate per attempt from per-minute rates, sums per job and per
account, and the optional daily spend cap.

Telephony is billed per started minute (Twilio rounds each call up to the whole minute); the
voice model per minute of conversation, only for calls whose media stream ran. Both rates are
settings (`TELEPHONY_COST_PER_MINUTE`, `MODEL_COST_PER_MINUTE`), so the figures are estimates
in dollars, not an invoice.

An account is the job's `account_id` where jobs carry one; without accounts every job belongs
to the one operator account (`None`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

from shared.models import Attempt, Job, utcnow
from shared.money import dollars

#: The spend cap looks back this far.
SPEND_WINDOW = timedelta(hours=24)


class Rates(Protocol):
    """The settings a cost needs."""

    telephony_cost_per_minute: float
    model_cost_per_minute: float


class CostStore(Protocol):
    """What the sums read from the store."""

    async def account_spend(self, account_id: str | None, since: datetime) -> float:
        """What an account's attempts that ended since `since` cost."""
        ...


def call_cost(duration_seconds: float, *, connected: bool, rates: Rates) -> float:
    """The estimated cost of one attempt of `duration_seconds` (answered to hung up)."""
    seconds = max(0.0, duration_seconds)
    telephony = math.ceil(seconds / 60) * rates.telephony_cost_per_minute
    model = seconds / 60 * rates.model_cost_per_minute if connected else 0.0
    return round(telephony + model, 4)


def total_cost(attempts: Iterable[Attempt]) -> float:
    """What a set of attempts cost together (those without a cost count nothing)."""
    return round(sum(attempt.cost or 0.0 for attempt in attempts), 4)


def account_of(job: Job) -> str | None:
    """The account a job belongs to (`None`: the operator's, where there are no accounts)."""
    account = getattr(job, "account_id", None)
    return str(account) if account is not None else None


async def spend_cap_reason(
    store: CostStore, account_id: str | None, cap: float | None, now: datetime | None = None
) -> str | None:
    """Why no more calls may be dialled for the account today, or `None` when they may."""
    if cap is None:
        return None
    spent = await store.account_spend(account_id, (now or utcnow()) - SPEND_WINDOW)
    if spent < cap:
        return None
    return (
        f"daily spend cap reached: calls of the last 24 hours cost {dollars(spent, cents=True)}, "
        f"the cap is {dollars(cap, cents=True)} (DAILY_SPEND_CAP)"
    )
