"""What every call bridge shares: the services built once in the app's lifespan."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pricing.base import PriceExtractor, check_budget
from shared import metrics
from shared.models import CallUpdate, Provider, TranscriptTurn
from shared.settings import Settings
from shared.storage import Store
from voice_backend.agents.base import AgentFactory
from voice_backend.call.results import ResultWriter
from voice_backend.security import CallTokens
from voice_backend.telephony.base import Telephony

if TYPE_CHECKING:
    from voice_backend.call.bridge import CallBridge

logger = logging.getLogger(__name__)


class ActiveCalls:
    """The bridges running in this process, by call SID, and the call tokens already used."""

    def __init__(self, token_memory_seconds: float = 3600.0) -> None:
        self._bridges: dict[str, CallBridge] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self._used_tokens: dict[str, float] = {}
        self._token_memory = token_memory_seconds

    def add(self, call_sid: str, bridge: CallBridge) -> None:
        self._bridges[call_sid] = bridge
        self._idle.clear()

    def remove(self, call_sid: str, bridge: CallBridge) -> None:
        if self._bridges.get(call_sid) is bridge:
            del self._bridges[call_sid]
        if not self._bridges:
            self._idle.set()

    async def wait_idle(self) -> None:
        """Until no bridge runs."""
        await self._idle.wait()

    def get(self, call_sid: str) -> CallBridge | None:
        return self._bridges.get(call_sid)

    def all(self) -> list[CallBridge]:
        return list(self._bridges.values())

    def claim_token(self, token: str) -> bool:
        """`True` the first time a token is presented; a replay gets `False`."""
        now = time.monotonic()
        for old, seen in list(self._used_tokens.items()):
            if now - seen > self._token_memory:
                del self._used_tokens[old]
        if token in self._used_tokens:
            return False
        self._used_tokens[token] = now
        return True


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
        """The price fields of a call's result, read from its transcript."""
        if not any(turn.role == "user" for turn in turns):
            return CallUpdate()
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
