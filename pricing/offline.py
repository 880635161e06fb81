"""The offline price extractor: a deterministic reading of the whole call.

It follows the negotiation turn by turn, as a person reading the transcript would:

* a provider's price is an *offer*; the agent accepting it makes it the deal;
* the agent's price (a counter-offer, a budget) is a *proposal*; it is the deal only if the
  provider accepts it ("yeah, I can do one fifty");
* a later offer replaces an earlier one, even after a deal (the deal is then reopened);
* an offer turned down, a decision put off ("let me think about it", "I'll call you back") or
  a provider declining the job leaves no deal;
* hourly rates, ranges, trip and diagnostic fees are not a job price unless a total is agreed;
* the agent's own closing lines are the last word: "I need to think about it and will call you
  back" ends the call without a deal; "I will reach out to you again shortly" accepts the offer
  on the table if nothing was accepted in so many words.

The first offer the provider made is kept as the first quote.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pricing.base import PriceResult
from pricing.reading import Kind, Mention, Reading, read_turn
from shared.models import TranscriptTurn


@dataclass
class _Deal:
    """A price and the conditions said with it."""

    value: float
    conditions: list[str] = field(default_factory=list)


@dataclass
class _Negotiation:
    """The state of the negotiation after each turn."""

    offer: _Deal | None = None  # the provider's offer on the table
    open_offers: dict[float, list[str]] = field(default_factory=dict)  # options said with it
    offer_turned_down: bool = False  # the agent said no to it ("that's too much for us")
    proposal: _Deal | None = None  # the agent's proposal awaiting an answer
    agreed: _Deal | None = None
    first_quote: float | None = None
    no_deal: bool = False  # the call was left without a deal (put off, declined)

    def agree(self, deal: _Deal) -> None:
        self.agreed = _Deal(deal.value, list(deal.conditions))
        self.proposal = None
        self.no_deal = False


def _resolve(reading: Reading, reference: float | None) -> list[Mention]:
    """The turn's job totals, read against the price under discussion (`reference`).

    "Fifty off" becomes the price it leaves; "six even" becomes 600 when the talk is of six
    hundred or so. A price said earlier in the same turn is the reference for what follows it
    ("$140, but we have a $20 off coupon").
    """
    prices: list[Mention] = []
    for mention in reading.mentions:
        if mention.kind is Kind.DISCOUNT and reference is not None:
            mention.value = round(reference - mention.value, 2)
            mention.kind = Kind.TOTAL
        elif mention.amount.alternative is not None and reference is not None:
            # "thirty two fifty" in a talk about $3,000 is 3,250, not $32.50
            if _closer(mention.amount.alternative, mention.value, reference):
                mention.value = mention.amount.alternative
        elif mention.kind is Kind.SHORT:
            hundreds = mention.value * 100
            if reference is not None and 0.5 <= hundreds / reference <= 1.5:
                mention.value = hundreds
                mention.kind = Kind.TOTAL
        if mention.kind is Kind.TOTAL and not mention.negated and mention.value > 0:
            prices.append(mention)
            reference = mention.value
    return prices


def _closer(candidate: float, current: float, reference: float) -> bool:
    """Whether `candidate` is nearer `reference` than `current`, as a ratio."""
    return abs(math.log(candidate / reference)) < abs(math.log(current / reference))


def _reference(state: _Negotiation) -> float | None:
    """The price under discussion: the offer on the table, else the agent's proposal."""
    if state.offer is not None:
        return state.offer.value
    return state.proposal.value if state.proposal else None


def _without_alternatives(prices: list[Mention], settled: float | None) -> list[Mention]:
    """Drop "and $210 if the flange is cracked" when the turn restates the settled price."""
    if settled is None or not any(m.value == settled and not m.conditional for m in prices):
        return prices
    return [m for m in prices if not m.conditional]


class OfflinePriceExtractor:
    """Reads the agreed price, the first quote and the deal's conditions without any model."""

    async def extract(self, turns: list[TranscriptTurn]) -> PriceResult:
        """The price agreed in `turns`, read deterministically."""
        return self.read(turns)

    def read(self, turns: list[TranscriptTurn]) -> PriceResult:
        """The synchronous reading behind `extract` (for scripts and the evaluation)."""
        state = _Negotiation()
        for turn in turns:
            reading = read_turn(turn.role, turn.text)
            if turn.role == "user":
                self._provider_turn(state, reading)
            else:
                self._agent_turn(state, reading)
        agreed = None if state.no_deal else state.agreed
        conditions = "; ".join(dict.fromkeys(agreed.conditions)) if agreed else None
        return PriceResult(
            agreed_price=agreed.value if agreed else None,
            first_quote=state.first_quote,
            conditions=conditions or None,
            source="offline",
        )

    # The provider's side: offers, and answers to the agent's proposals.
    def _provider_turn(self, state: _Negotiation, reading: Reading) -> None:
        if reading.decline:
            state.agreed = state.proposal = state.offer = None
            state.open_offers = {}
            state.no_deal = True
            return
        prices = _resolve(reading, _reference(state))
        settled = state.agreed.value if state.agreed else None
        prices = _without_alternatives(prices, settled)
        proposal = state.proposal
        new = [
            m
            for m in prices
            if (proposal is None or m.value != proposal.value) and m.value != settled
        ]
        if new:
            # A counter-offer, a first quote, or a changed price after a deal.
            last = new[-1]
            state.offer = _Deal(last.value, reading.conditions)
            state.open_offers = {m.value: reading.conditions for m in new}
            state.offer_turned_down = False
            if state.first_quote is None:
                state.first_quote = new[0].value
            if state.agreed is not None:
                state.agreed = None  # reopened: the new price needs the agent's yes
            state.proposal = None
            return
        if state.agreed is not None:
            # After the deal: a condition added ("if the flange is cracked it's $60 more").
            state.agreed.conditions.extend(
                c for c in reading.conditions if c.startswith(("if", "unless", "plus"))
            )
            return
        if proposal is None:
            return
        affirmed = any(m.value == proposal.value for m in prices)
        if reading.hedge or reading.defer:
            return  # "might work, no promises", "let me think about it": not a yes
        if affirmed or (reading.accept_weak and not reading.negative):
            state.agree(_Deal(proposal.value, proposal.conditions + reading.conditions))
        elif reading.negative:
            state.proposal = None  # turned down: the provider's own offer stands

    # The agent's side: accepting, proposing, turning down, closing.
    def _agent_turn(self, state: _Negotiation, reading: Reading) -> None:
        if (
            reading.closing_no_deal
            or reading.deliberate
            or (reading.defer and not reading.accept_strong)
        ):
            state.agreed = None
            state.proposal = None
            state.no_deal = True
            return
        prices = _resolve(reading, _reference(state))
        settled = state.agreed.value if state.agreed else None
        prices = _without_alternatives(prices, settled)
        on_table = state.open_offers if state.offer else {}
        new = [m for m in prices if m.value not in on_table and m.value != settled]

        accepted = False
        # With a deal already made, "perfect, one fifty it is" confirms it: it does not take
        # up an older offer still on the table.
        if state.offer is not None and reading.accept_strong and state.agreed is None:
            named = [m for m in prices if m.value in on_table]
            if named:
                value = named[-1].value
                self._accept_offer(state, _Deal(value, on_table[value]))
                accepted = True
            elif not any(m.proposal for m in new) and not any(
                m.clause in reading.accept_clauses for m in new
            ):
                self._accept_offer(state, state.offer)
                accepted = True
        if not accepted and new:
            proposed = [m for m in new if m.proposal] or new
            # "so $150, or $210 if the flange is cracked?": the firm figure is the proposal
            firm = [m for m in proposed if not m.conditional] or proposed
            state.proposal = _Deal(firm[-1].value, reading.conditions)
        elif not accepted and reading.negative and state.offer is not None:
            state.offer_turned_down = True
        if (
            reading.closing_agreed
            and state.agreed is None
            and state.offer is not None
            and state.proposal is None
            and not state.offer_turned_down
        ):
            self._accept_offer(state, state.offer)

    @staticmethod
    def _accept_offer(state: _Negotiation, offer: _Deal) -> None:
        if state.agreed is not None and state.agreed.value == offer.value:
            return
        state.agree(offer)
