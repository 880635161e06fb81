"""The provider's answer to a price the agent asked back ("so that's $140, right?"): a yes
makes it the deal, a new price is a counter-offer, "sorry, what?" leaves it unanswered."""

from __future__ import annotations

from pricing import cues
from pricing.dialogue import Deal, Negotiation
from pricing.fees import fee_put_right, waived
from pricing.numbers import misheard
from pricing.reading import Mention, Reading, _has


def cut_short(mention: Mention, reading: Reading) -> bool:
    """Whether a provider's price is in the last sentence of a turn that was cut off."""
    return reading.cut_off and mention.question


def answer_confirmation(state: Negotiation, reading: Reading, prices: list[Mention]) -> bool:
    """The provider's answer to the agent's question to confirm; True when it is dealt
    with. "Sorry, what was that?" or talk of something else leaves it unanswered."""
    value = state.confirming
    deal = state.proposal or Deal(value or 0)
    if deal.fees and _has(reading.tokens, cues.WAIVE):
        deal = waived(deal, reading)  # "sure, and I'll waive the trip fee"
    asked = {value, deal.value}  # the job's price, or the total with its fees
    named = [m.value for m in prices]
    said = [m.value for m in prices if not cut_short(m, reading)]
    yes = (reading.accept_weak and not reading.negative) or bool(asked & set(said))
    if yes and all(v in asked for v in named):
        deal = fee_put_right(deal, reading)  # "yep, plus the thirty dollar trip charge"
        state.agree(Deal(deal.value, deal.conditions + reading.conditions, deal.fees))
        state.confirming = None
        state.confirmed = True
        return True
    if named:
        state.confirming = None  # a new price: read as a counter-offer
        first = state.first_quote
        put_right = first is not None and any(misheard(first, v) for v in named)
        if reading.negative and first == value and put_right:
            # "$315?" / "no, three fifty": the first quote was misheard, and is put right
            state.first_quote = None
        return False
    if reading.negative and not reading.unheard:
        state.confirming = None
        state.proposal = None
    return True
