"""What every call bridge shares: the services built once in the app's lifespan."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from pricing.base import PriceExtractor, check_budget
from shared import metrics
from shared.models import CallUpdate, Provider, TranscriptTurn
from shared.settings import Settings
from shared.storage import Store
from voice_backend.agents.base import AgentFactory
from voice_backend.call.registry import ActiveCalls
from voice_backend.call.results import ResultWriter
from voice_backend.dial_gate import record_do_not_call
from voice_backend.security import CallTokens
from voice_backend.telephony.base import Telephony

logger = logging.getLogger(__name__)


@dataclass
class CallServices:
    """The adapters a call needs, handed to each bridge."""

    settings: Settings
    store: Store
    telephony: Telephony
    tokens: CallTokens
    agent_factory: AgentFactory
    extractor: PriceExtractor
    results: ResultWriter
    registry: ActiveCalls = field(default_factory=ActiveCalls)
    on_call_finished: Callable[[int], None] = lambda _provider_id: None
    first_audio_seconds: deque[float] = field(default_factory=lambda: deque(maxlen=1000))

    def call_finished(self, provider_id: int) -> None:
        """A call's bridge has written its result."""
        self.on_call_finished(provider_id)

    def observe_first_audio(self, seconds: float) -> None:
        """Time from the stream's start to the agent's first audio."""
        self.first_audio_seconds.append(seconds)
        metrics.FIRST_AUDIO.observe(seconds)

    async def result_for(self, provider: Provider, turns: list[TranscriptTurn]) -> CallUpdate:
        """The price fields of a call's result, read from its transcript (and the provider's
        number put on the do-not-call list if they asked for that)."""
        if not any(turn.role == "user" for turn in turns):
            return CallUpdate()
        said = [turn.text for turn in turns if turn.role == "user"]
        await record_do_not_call(self.store, provider, said)
        try:
            result = await self.extractor.extract(turns)
        except Exception:  # a result without a price beats no result
            logger.exception("price extraction failed", extra={"provider_id": provider.id})
            metrics.PRICE_EXTRACTION_FAILURES.labels("none").inc()
            return CallUpdate(failure_reason="price extraction failed")
        metrics.PRICE_EXTRACTIONS.labels(result.source).inc()
        if result.fallback_reason:
            metrics.PRICE_EXTRACTION_FAILURES.labels("grok").inc()
        budget = check_budget(result, provider.max_price)
        # A price over budget is stored, since it is what was agreed, but never silently.
        return CallUpdate(
            negotiated_price=budget.price,
            minimum_quote=result.first_quote,
            conditions=result.conditions,
            price_confidence=result.confidence.model_dump(exclude={"notes"}),
            price_notes="; ".join(result.confidence.notes) or None,
            failure_reason=budget.note,
        )
