"""What a price extractor returns, the interface every extractor follows, and the budget check
the voice service applies before storing a price."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from shared.models import TranscriptTurn
from shared.money import dollars

Level = Literal["high", "medium", "low"]


class PriceConfidence(BaseModel):
    """How sure the reader is of each figure, and why.

    `agreed_price` and `first_quote` are `high`, `medium` or `low` (None when there is no such
    figure); `notes` say why a figure is less than sure, or why there is none ("confirmation
    not heard", "first quote heard once, ASR").
    """

    agreed_price: Level | None = None
    first_quote: Level | None = None
    notes: list[str] = Field(default_factory=list)


class PriceResult(BaseModel):
    """The price a call ended with, as read from its transcript.

    `agreed_price` is the final price both sides agreed to, or None when there was no deal.
    `first_quote` is the first job price the provider named (stored as `minimum_quote`).
    `conditions` are the terms attached to the deal, as said ("if I come this afternoon",
    "plus parts"). `confidence` says how sure the reader is of each figure and why. `source`
    says which extractor read it; `fallback_reason` says why the Grok extractor fell back to
    the offline one, when it did.
    """

    agreed_price: float | None = Field(default=None, ge=0)
    first_quote: float | None = Field(default=None, ge=0)
    conditions: str | None = None
    confidence: PriceConfidence = Field(default_factory=PriceConfidence)
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
