"""The Grok price extractor: xai-sdk's async gRPC client with structured output.

The transcript goes to a Grok chat model with rules for reading it (the offline reader's: a deal
needs both sides, the first quote is the provider's first price for the job, a fee is the job
when the job is a diagnosis), and the reply is parsed into `GrokPriceReply` through
`chat.parse`, so the model answers in that JSON schema. The offline reading of the same call
checks it: where the two disagree, the figure's confidence is at most `medium`. Transient gRPC
errors are retried with backoff; any failure — an error, a timeout, a reply that does not fit
the schema — falls back to the offline extractor, and the result says why in `fallback_reason`.
"""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import BaseModel, Field
from xai_sdk.chat import system, user

from pricing.base import PriceConfidence, PriceExtractor, PriceResult
from pricing.confidence import UNANSWERED
from pricing.offline import OfflinePriceExtractor
from shared.model_errors import describe_failure
from shared.models import TranscriptTurn, format_transcript
from shared.money import dollars
from shared.xai import XaiChat

logger = logging.getLogger(__name__)

SYSTEM_PROMPT = """\
You are analyzing a phone call transcript between an assistant calling for a homeowner \
([ASSISTANT]) and a home-service provider ([USER]), such as a plumber or an electrician. The \
assistant negotiates the price of one job. The transcript comes from speech recognition: \
punctuation may be missing and numbers may be spelled out in words.

Extract:
- agreed_price: the FINAL AGREED-UPON PRICE for the job in US dollars, as a number, or null if \
no price was agreed.
- first_quote: the provider's first price for the job, or null if they never named one.
- conditions: the conditions attached to the agreed price, as short clauses in the provider's \
words, each once, separated by "; " (for example "if I come this afternoon; cash"), or null.
- agreed_price_confidence and first_quote_confidence: "high", "medium" or "low" (null when the \
figure is null), and notes: short reasons for any figure that is not "high" or is null \
("confirmation not heard", "first quote heard once, ASR").

Rules:
1. A deal needs both sides. It is a price the provider offered or accepted AND the assistant \
accepted (or the reverse), with nothing taken back after it. The assistant accepts an offer by \
restating it in a statement: "Okay, $200." or "Alright, $145. Thank you!" is a deal. A price \
the assistant asks back ("So $140, right?", "just to confirm, $175?") or a sentence cut off \
mid-way is a question: it is a deal only if the provider then says yes. If the provider never \
answers it ("sorry, what was that?", "hello?", hangs up), agreed_price is null; the assistant \
saying the price again after "say again?" is the same question, still unanswered. A yes that \
trails into a sentence cut off mid-way, or into a word the hang-up cut of any length ("uh \
yeah i think we c", "yeah i think one sev"), is no answer; a yes that is a whole answer on its \
own ("sure", "yes", "okay", "deal", "sounds good") before the cut ("okay it shou") is still a \
yes. Neither is a \
yes that waits on someone else ("I think $450 works, but I need to confirm with my \
supervisor"), even if the assistant then says "$450 pending their okay" and the provider says \
"okay".
2. The assistant's budget or counter-offer is NOT the price unless the provider accepted it \
(for example "yeah, I can do one fifty"). A later offer replaces an earlier one, even after an \
earlier agreement; a yes taken back in the same breath ("yeah one fifty, oh wait, let me check \
with my boss") is no yes, and so is the assistant's own yes taken back ("actually, sorry, \
they found someone cheaper, so we'll pass"). A plan or extra offered after the deal ("we also \
have a maintenance plan, $149 a year") does not replace it unless the assistant accepts it, \
and the assistant putting that extra off ("I'll ask them about the sealant") \
leaves the deal standing. A bare "Okay." to the price the provider came down to after the \
assistant's counter accepts it; "alright, no problem then" after the provider turned the \
assistant's counter down is a goodbye, not a yes to the provider's price. The assistant's \
counter asked without a question mark ("would ninety work") that the provider accepts ("yes \
ninety is fine") is the deal unless the assistant then declines or puts it off; a "thanks" \
after it closes it.
3. If no price was agreed, agreed_price is null: an offer turned down, a call that ended with \
"let me think about it", "I'll call you back", "I'll pass that along", or a provider who \
declined the job or put off the answer. The assistant's closings vary: "I need to think about \
it and will call you back" ends without agreement; "I will reach out to you again shortly" \
(or "I'll be in touch", "talk to you soon", "I'll pass it along and we'll be in touch") after \
a price was accepted ends with agreement; so does "Okay, $160. I'll get back to you to \
schedule.", but "Okay, $160. I'll check with the homeowner and get back to you." does not.
4. The first quote is the provider's first price for the job itself. It is never a number \
heard before the assistant described the job (a greeting, a ticket or street number, years in \
business), never a street number, a count, a year (said as words before the thing it dates \
too: "a twenty fifteen washer" is 2015, not $20.15), a time of day, a size ("twelve thousand \
BTU"), a model or refrigerant name ("R-410"), a phone number, nor the assistant's own budget or \
counter. When several items were priced, it is the first price of the item that was booked; \
when both were booked, the first price named for one of them, not their total ("front door \
$200, the back door $150" / "both for $330": 200), unless the provider named a price for both \
together that the assistant took ("or two hundred for both" / "both for $200": 200). A \
price the provider names while turning the job \
down ("we're booked, normally it'd be $240") is still the first quote. A job price said in \
parts that the assistant adds up ("two twenty plus forty for the roof cap" / "so $260 total?") \
is that sum, but an extra service or a fee on top ("install one fifty plus thirty five to haul \
the old one" / "$185 total", "$180, and a $40 weekend charge on top") is not in the first \
quote (150, 180), though it is in the deal. A \
first price said per visit ("mow and edge, $60 a visit") is the job's price. A first price \
misheard and put right ("$315?" / "no, three fifty three fifty", or "one fifteen, I mean one \
fifty") is the figure put right, and a number word cut and said again at once ("one twenty \
fi five") is said once (125); a price raised for a reason ("no, $210, the $190 was without \
the flange") leaves the first figure as the first quote.
5. An hourly rate or a price range is not an agreed price unless a total for the job was \
agreed. A trip, dispatch, fuel or permit fee is not the job's price; a mandatory fee the \
assistant accepted together with the job ("so $190 total with the trip charge") is part of \
the agreed price, and so is a fee said "plus" the offer when the assistant accepts the offer in \
words ("tune-up eighty nine plus trip charge of twenty nine" / "Okay, that works" is 118), \
unless the fee was waived; "$300 with the diagnostic waived" is a job price of 300. A \
not-to-exceed figure both accept ("ninety an hour, not to exceed \
four hundred" / "not to exceed $400 works") is the agreed price. A diagnostic, inspection, \
test or maintenance-visit fee IS the job's price, and the first quote, when the diagnosis, \
inspection or maintenance visit (a tune-up, an annual check) is the job the assistant called \
about; a price "a year", "a month" or "a quarter" is a plan's rate, not the job's price.
6. Read numbers as people say them: "one fifty" is 150, "one-seventy-five" is 175, "a buck \
fifty" is 150, "two hundred even" is 200, "twelve hundred" is 1200, "$1,200" is 1200, "eighty \
nine fifty" is 89.50, "a hundred forty nine ninety five" is 149.95, "thirty two fifty" \
is 3250 for a roof but 32.50 for a key, "two and a half grand" is 2500, "three and a half" \
in a talk about \
hundreds is 350, "six bills" is 600. "Fifty off" a price leaves the price minus fifty.
7. Respond with ONLY the JSON object: numbers without "$" or commas.
"""

Level = Literal["high", "medium", "low"]


class GrokPriceReply(BaseModel):
    """The structured reply Grok is asked for (its JSON schema is sent with the request)."""

    agreed_price: float | None = Field(
        description=(
            "Final price both sides agreed for the job, in US dollars, with any mandatory fee "
            "the assistant accepted with it; null if none, or if the provider never answered "
            "the assistant's question to confirm it."
        ),
        ge=0,
    )
    first_quote: float | None = Field(
        description=(
            "The provider's first price for the job itself: never a number said before the job "
            "was described, an address, a count, a year, a time, a size, or the assistant's "
            "budget or counter; a diagnostic, inspection or visit fee when that is the job; "
            "null if none."
        ),
        ge=0,
    )
    conditions: str | None = Field(
        description="Conditions of the agreed price, short clauses in the provider's words.",
    )
    agreed_price_confidence: Level | None = Field(
        default=None, description="How sure the agreed price is; null when it is null."
    )
    first_quote_confidence: Level | None = Field(
        default=None, description="How sure the first quote is; null when it is null."
    )
    notes: list[str] = Field(
        default_factory=list, description="Why a figure is not sure, or why there is none."
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
            reason = describe_failure(error, self._timeout)
            logger.warning("price extraction fell back offline: %s", reason)
            result = await self._fallback.extract(turns)
            return result.model_copy(update={"source": "offline", "fallback_reason": reason})
        offline = await self._fallback.extract(turns)
        return PriceResult(
            agreed_price=reply.agreed_price,
            first_quote=reply.first_quote,
            conditions=(reply.conditions or "").strip() or None,
            confidence=_confidence(reply, offline),
            source="grok",
        )

    async def _ask(self, turns: list[TranscriptTurn]) -> GrokPriceReply:
        return await self._chat.ask(
            GrokPriceReply, [system(SYSTEM_PROMPT), user(format_transcript(turns))]
        )


_RANK: dict[str, int] = {"low": 0, "medium": 1, "high": 2}


def _lower(first: Level | None, second: Level | None) -> Level | None:
    if first is None or second is None:
        return first or second
    return first if _RANK[first] <= _RANK[second] else second


def _confidence(reply: GrokPriceReply, offline: PriceResult) -> PriceConfidence:
    """Grok's own confidence, checked against the offline reading of the same call: where they
    disagree on a figure, it is at most `medium`, and a note says what the other read; a deal
    Grok reports where the offline reader heard the provider's confirmation go unanswered is
    `low`. Every figure that is not `high` carries a reason."""
    notes = [note.strip() for note in reply.notes if note.strip()]
    reasons = bool(notes)
    agreed = reply.agreed_price_confidence or ("high" if reply.agreed_price is not None else None)
    quote = reply.first_quote_confidence or ("high" if reply.first_quote is not None else None)
    if reply.agreed_price != offline.agreed_price:
        agreed = _lower(agreed, "medium")
        notes.append(f"the offline reader heard agreed {_plain(offline.agreed_price)}")
        if reply.agreed_price is not None and UNANSWERED in offline.confidence.notes:
            agreed = "low"
            notes.append(f"{UNANSWERED} (offline reader)")
    if reply.first_quote != offline.first_quote:
        quote = _lower(quote, "medium")
        notes.append(f"the offline reader heard first quote {_plain(offline.first_quote)}")
    first, agreed_price = reply.first_quote, reply.agreed_price
    # the offline reader knows when a deal only tops the first quote by its fees ("$150, plus a
    # $40 trip charge" / "so $190 total"): where both read the same figures, its word stands
    same = (first, agreed_price) == (offline.first_quote, offline.agreed_price)
    fees_only = same and offline.confidence.first_quote != "low"
    if first is not None and agreed_price is not None and first < agreed_price and not fees_only:
        quote = "low"
        notes.append("first quote below the agreed price")
    if not reasons:
        # Grok was unsure and said not why: the level alone would be a mark without a reason
        for figure, level in (("agreed price", agreed), ("first quote", quote)):
            if level in ("medium", "low") and not any(figure in note for note in notes):
                notes.append(f"Grok was not sure of the {figure}")
    return PriceConfidence(agreed_price=agreed, first_quote=quote, notes=notes)


def _plain(value: float | None) -> str:
    return dollars(value, none="none")
