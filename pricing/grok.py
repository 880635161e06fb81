"""The Grok price extractor: xai-sdk's async gRPC client with structured output.

The transcript goes to a Grok chat model with rules for reading it (the original's rules plus
the cases it got wrong), and the reply is parsed into `GrokPriceReply` through `chat.parse`, so
the model answers in that JSON schema. Transient gRPC errors are retried with backoff; any
failure — an error, a timeout, a reply that does not fit the schema — falls back to the offline
extractor, and the result says why in `fallback_reason`.
"""

from __future__ import annotations

import logging

import grpc
from pydantic import BaseModel, Field, ValidationError
from xai_sdk.chat import system, user

from pricing.base import PriceExtractor, PriceResult
from pricing.offline import OfflinePriceExtractor
from shared.closings import AGREED_SENTENCE, NO_AGREEMENT_SENTENCE
from shared.models import TranscriptTurn, format_transcript
from shared.xai import XaiChat

logger = logging.getLogger(__name__)

SYSTEM_PROMPT = f"""\
You are analyzing a phone call transcript between an assistant calling for a homeowner \
([ASSISTANT]) and a home-service provider ([USER]), such as a plumber or an electrician. The \
assistant negotiates the price of one job. The transcript comes from speech recognition: \
punctuation may be missing and numbers may be spelled out in words.

Extract:
- agreed_price: the FINAL AGREED-UPON PRICE for the job in US dollars, as a number, or null if \
no price was agreed.
- first_quote: the first total price the provider named for the job, or null if they never \
named one.
- conditions: the conditions attached to the agreed price as the provider or assistant said \
them (for example "if I come this afternoon", "plus parts", "cash only"), or null if none.

Rules:
1. Look for the final price that was agreed upon, not initial quotes. A later offer replaces an \
earlier one, even after an earlier agreement.
2. A price counts as agreed only when the other side accepted it. A provider's offer is agreed \
when the assistant accepts it. The assistant's budget or counter-offer is NOT the price unless \
the provider accepted it (for example "yeah, I can do one fifty"). The last number said is \
often a rejected counter-offer or the homeowner's budget: do not report it unless it was \
accepted.
3. If no price was agreed upon, agreed_price is null: an offer that was turned down, a call that \
ended with "let me think about it", "I'll call you back" or "I need to check", or a provider \
who declined the job. The assistant ends a call without agreement with \
"{NO_AGREEMENT_SENTENCE}", and a call with agreement with "{AGREED_SENTENCE}".
4. An hourly rate or a price range is not an agreed price unless a total for the job was \
agreed. A trip, diagnostic or service-call fee is not the job's price unless that fee is what \
was agreed for the whole job.
5. Read numbers as people say them: "one fifty" is 150, "one-seventy-five" is 175, "a buck \
fifty" is 150, "two hundred even" is 200, "twelve hundred" is 1200, "$1,200" is 1200, "eighty \
nine fifty" is 89.50, "two and a half grand" is 2500. "Fifty off" a price leaves the price \
minus fifty.
6. Times, years, sizes, counts, addresses and phone numbers are never prices.
7. Respond with ONLY the JSON object: numbers without "$" or commas.
"""


class GrokPriceReply(BaseModel):
    """The structured reply Grok is asked for (its JSON schema is sent with the request)."""

    agreed_price: float | None = Field(
        description="Final price both sides agreed for the job, in US dollars; null if none.",
        ge=0,
    )
    first_quote: float | None = Field(
        description="First total price the provider named for the job; null if none.",
        ge=0,
    )
    conditions: str | None = Field(
        description="Conditions attached to the agreed price, as said; null if none.",
    )


class GrokPriceExtractor:
    """Asks a Grok chat model for the price, falling back to the offline reading on failure."""

    def __init__(
        self,
        api_key: str,
        *,
        model: str,
        api_host: str = "api.x.ai",
        timeout: float = 20.0,
        retries: int = 2,
        backoff: float = 0.5,
        fallback: PriceExtractor | None = None,
    ) -> None:
        """`timeout` is per attempt, in seconds; `retries` counts the attempts after the first,
        made only on transient errors, `backoff` seconds apart and doubling."""
        self._chat = XaiChat(
            api_key,
            model=model,
            api_host=api_host,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
        )
        self._timeout = timeout
        self._fallback = fallback or OfflinePriceExtractor()

    async def extract(self, turns: list[TranscriptTurn]) -> PriceResult:
        """The price agreed in `turns`, as Grok reads it (or the offline reading, with why)."""
        if not turns:
            return await self._fallback.extract(turns)
        try:
            reply = await self._ask(turns)
        except Exception as error:  # any failure: the offline reading still gives an answer
            reason = _describe(error, self._timeout)
            logger.warning("price extraction fell back offline: %s", reason)
            result = await self._fallback.extract(turns)
            return result.model_copy(update={"source": "offline", "fallback_reason": reason})
        return PriceResult(
            agreed_price=reply.agreed_price,
            first_quote=reply.first_quote,
            conditions=(reply.conditions or "").strip() or None,
            source="grok",
        )

    async def _ask(self, turns: list[TranscriptTurn]) -> GrokPriceReply:
        return await self._chat.ask(
            GrokPriceReply, [system(SYSTEM_PROMPT), user(format_transcript(turns))]
        )


def _describe(error: BaseException, timeout: float) -> str:
    """One line saying why Grok gave no usable answer."""
    if isinstance(error, grpc.aio.AioRpcError):
        if error.code() is grpc.StatusCode.DEADLINE_EXCEEDED:
            text = f"grok timed out after {timeout:g}s"
        else:
            text = f"grok error {error.code().name}: {error.details() or 'no details'}"
    elif isinstance(error, ValidationError):
        first = error.errors()[0]
        text = f"grok reply malformed: {first.get('msg', 'does not match the schema')}"
    elif isinstance(error, TimeoutError):
        text = f"grok timed out after {timeout:g}s"
    else:
        text = f"grok failed: {type(error).__name__}: {error}"
    return " ".join(text.split())[:300]
