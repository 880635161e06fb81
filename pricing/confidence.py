"""How sure the offline reading is of each figure, and why: the confidence that travels with a
price to the store, the board, the CLI and the demo."""

from __future__ import annotations

from pricing.base import Level, PriceConfidence
from pricing.dialogue import Deal, Negotiation

#: The note for a price the agent asked back that the provider never confirmed.
UNANSWERED = "confirmation not heard"


def _heard(state: Negotiation, value: float, what: str, notes: list[str]) -> Level:
    """`medium` for a figure said once and only in words (speech recognition), else `high`."""
    if state.times_said.get(value, 0) <= 1 and value not in state.said_in_digits:
        notes.append(f"{what} heard once, ASR")
        return "medium"
    return "high"


def assess(state: Negotiation, agreed: Deal | None) -> PriceConfidence:
    """The confidence of the agreed price and the first quote read from `state`."""
    notes: list[str] = []
    agreed_level: Level | None = None
    if agreed is None:
        if state.confirming is not None:
            notes.append(UNANSWERED)
        elif state.waiting:
            notes.append("the provider put the answer off")
    elif state.confirmed:
        agreed_level = "high"  # asked back and confirmed
    elif state.by_closing:
        agreed_level = "medium"
        notes.append("agreed only in the agent's closing")
    elif agreed.fees and not state.times_said.get(agreed.value):
        agreed_level = "medium"  # "eighty nine plus trip charge of twenty nine" / "that works"
        notes.append("agreed price adds the fees said with the offer")
    else:
        agreed_level = _heard(state, agreed.value, "agreed price", notes)
    quote_level: Level | None = None
    quote = state.first_quote
    if quote is not None:
        # the first quote is the job's price: compared with the deal's, fees left out
        if agreed is not None and quote < agreed.value - agreed.fees:
            quote_level = "low"
            notes.append("first quote below the agreed price")
        else:
            quote_level = _heard(state, quote, "first quote", notes)
    return PriceConfidence(agreed_price=agreed_level, first_quote=quote_level, notes=notes)
