"""What a price extractor returns, the interface every extractor follows, and the budget check
the voice service applies before storing a price."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from shared.models import TranscriptTurn
from shared.money import dollars


class PriceResult(BaseModel):
    """The price a call ended with, as read from its transcript.

    `agreed_price` is the final price both sides agreed to, or None when there was no deal.
    `first_quote` is the first job price the provider named (stored as `minimum_quote`).
    `conditions` are the terms attached to the deal, as said ("if I come this afternoon",
    "plus parts"). `source` says which extractor read it; `fallback_reason` says why the Grok
    extractor fell back to the offline one, when it did.
    """

    agreed_price: float | None = Field(default=None, ge=0)
    first_quote: float | None = Field(default=None, ge=0)
    conditions: str | None = None
    source: Literal["grok", "offline"]
    fallback_reason: str | None = None


class PriceExtractor(Protocol):
    """Reads the agreed price from a call's transcript."""

    async def extract(self, turns: list[TranscriptTurn]) -> PriceResult:
        """The price agreed in `turns` (`assistant` is our agent, `user` the provider)."""
        ...


@dataclass(frozen=True)
class BudgetCheck:
    """A price checked against the job's maximum before it is stored.

    `price` is what to store as the negotiated price (never changed: the provider agreed to
    it). `over_budget` is True when it is above the job's `max_price`; `note` is then one line
    saying so, which the caller stores with the outcome (the voice service puts it in
    `failure_reason`) so the price is never shown as within budget.
    """

    price: float | None
    over_budget: bool
    note: str | None


def check_budget(result: PriceResult, max_price: float | None) -> BudgetCheck:
    """Check an agreed price against the job's `max_price` (None: no maximum set)."""
    price = result.agreed_price
    if price is None or max_price is None or price <= max_price:
        return BudgetCheck(price=price, over_budget=False, note=None)
    note = f"over budget: agreed {dollars(price)} is above the job's maximum {dollars(max_price)}"
    return BudgetCheck(price=price, over_budget=True, note=note)
