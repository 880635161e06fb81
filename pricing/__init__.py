"""Price extraction: the price a provider agreed to, read from the call's transcript.

`make_extractor(settings)` gives the Grok extractor when `XAI_API_KEY` is set (it falls back to
the offline one on any failure), else the offline extractor. Both return a `PriceResult`;
`check_budget` flags a price above the job's `max_price` before it is stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pricing.base import (
    BudgetCheck,
    PriceExtractor,
    PriceResult,
    check_budget,
)
from pricing.offline import OfflinePriceExtractor

if TYPE_CHECKING:
    from shared.settings import Settings

__all__ = [
    "BudgetCheck",
    "OfflinePriceExtractor",
    "PriceExtractor",
    "PriceResult",
    "check_budget",
    "make_extractor",
]


def make_extractor(settings: Settings, *, offline: bool = False) -> PriceExtractor:
    """The extractor the settings call for: Grok when an xAI key is set and `offline` is not
    asked for, else the offline reader."""
    api_key = settings.secret(settings.xai_api_key)
    if offline or not api_key:
        return OfflinePriceExtractor()
    # Imported here: xai-sdk (gRPC, OpenTelemetry) is heavy, and the offline path needs none of it.
    from pricing.grok import GrokPriceExtractor

    return GrokPriceExtractor(
        api_key,
        model=settings.price_model,
        api_host=settings.xai_api_host,
        timeout=settings.price_timeout_seconds,
    )
