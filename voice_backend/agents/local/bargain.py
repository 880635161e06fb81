"""The price side of the local agent's call: the haggle's state, and its moves on a price.

`Bargain` holds what was said about price (the quote, their latest offer, the agent's counter,
a fee or parts on top, the deal said back) and decides on each price heard: check it, push for
less, take it, or walk away. `NegotiationPolicy` (`policy.py`) is the conversation around it.
The arithmetic of the counters is in `budget.py`.
"""

from __future__ import annotations

from pricing.tokens import tokenize
from shared.closings import CLOSING_AGREED, CLOSING_NO_AGREEMENT
from shared.models import Outcome, Provider
from shared.money import spoken_dollars
from shared.words import has, plain_words
from voice_backend.agents.local.budget import (
    PUSHES_ABOVE,
    PUSHES_NO_BUDGET,
    PUSHES_WITHIN,
    WELL_UNDER,
    next_counter,
)
from voice_backend.agents.local.hearing import Heard, condition_said_back
from voice_backend.agents.local.phrases import NAME_FILLER, PARTS_WORDS
from voice_backend.agents.local.state import AgentTurn, PolicyState, Stage

__all__ = ["Bargain"]

#: Times the agent asks for a price without getting one before it closes.
_MAX_PRICE_ASKS = 2
#: A trip or service call fee above this is taken for the job's price when no job price was
#: heard yet (fees run $30 to $100; the job's price comes first when a provider quotes).
_LARGEST_FEE = 100.0
#: Times the agent says the deal back before it gives up on a line this bad.
_MAX_RESTATES = 3


class Bargain:
    """The state of one call's haggle over price, and the agent's moves on a price heard.

    `other_quotes` are prices other providers gave for the same job; the agent cites the
    lowest when it pushes.
    """

    def __init__(self, provider: Provider, *, other_quotes: list[float] | None = None) -> None:
        self.provider = provider
        self._name = provider.service_provider.strip() or "the technician"
        self._budget = provider.max_price
        self._other_quotes = sorted(q for q in other_quotes or [] if q > 0)
        self._name_words = set(plain_words(tokenize(self._name))) - NAME_FILLER
        self._stage = Stage.START
        self._quote: float | None = None
        self._offer: float | None = None
        self._offer_conditions: list[str] = []
        self._counter: float | None = None
        self._fee = 0.0
        self._fee_name = "trip fee"
        self._parts = 0.0
        self._range_low: float | None = None
        self._pushes = 0
        self._agreed: float | None = None
        self._conditions: tuple[str, ...] = ()
        self._outcome: Outcome | None = None
        self._asked_parts = False
        # A price heard that did not sound right, with its conditions, awaiting their yes.
        self._checking: tuple[float, list[str]] | None = None
        self._checks = 0
        self._deal: tuple[float, tuple[str, ...]] | None = None  # said back, awaiting their yes
        self._restates = 0
        self._unclear = 0
        self._price_asks = 0
        self._repeats = 0
        self._silences = 0
        self._understood = True
        self._last_said = ""

    # The state, for tests and metrics.
    @property
    def state(self) -> PolicyState:
        """A snapshot of the negotiation."""
        return PolicyState(
            stage=self._stage,
            quote=self._quote,
            offer=self._offer,
            counter=self._counter,
            fee=self._fee,
            pushes=self._pushes,
            agreed_price=self._agreed,
            conditions=self._conditions,
            outcome=self._outcome,
        )

    @property
    def quote(self) -> float | None:
        """The first job price the provider named."""
        return self._quote

    @property
    def offer(self) -> float | None:
        """The provider's latest job price."""
        return self._offer

    @property
    def counter(self) -> float | None:
        """The agent's latest counter-offer."""
        return self._counter

    @property
    def agreed_price(self) -> float | None:
        """The price the call closed on, or None without a deal: the job's price plus the
        mandatory fee the agent said back with it (what the homeowner pays, as the price
        reader and the board count it); parts priced later are a condition, not in it."""
        return self._agreed

    @property
    def outcome(self) -> Outcome | None:
        """How the call ended (agreed, no agreement, voicemail), or None while it goes on."""
        return self._outcome

    @property
    def finished(self) -> bool:
        """Whether the agent has said its last line."""
        return self._stage is Stage.DONE

    # Prices.
    def _on_price(self, heard: Heard) -> AgentTurn:
        if (
            heard.fee is not None
            and heard.fee > _LARGEST_FEE
            and not heard.prices
            and self._offer is None
        ):
            # "That would be one eighty … plus a trip charge", the fee's own amount lost on the
            # line: an amount that size, before any job price, is the job's.
            return self._consider(heard.fee, heard.reading.conditions)
        if heard.fee is not None:
            self._note_fee(heard.fee, heard.words)
        if heard.parts is not None:
            self._parts = heard.parts
        conditions = heard.reading.conditions
        if heard.prices:
            return self._consider(heard.prices[-1][0], conditions)
        if heard.high is not None and heard.low is not None:
            self._range_low = heard.low
            return self._consider(heard.high, conditions)
        if heard.rate is not None:
            return self._ask_price_again("Okay. Roughly what would the total come to?")
        if self._offer is not None:  # a fee or parts on top of the price already said
            return self._decide(self._offer, self._offer_conditions, previous=self._offer)
        return self._ask_price_again("Okay. And roughly what would the repair itself cost?")

    def _consider(
        self,
        price: float,
        conditions: list[str],
        *,
        confirmed: bool = False,
        refusing: bool = False,
    ) -> AgentTurn:
        """A job price the provider just said (`refusing`: in answer to the deal said back, or
        otherwise in a turn that cannot be a concession)."""
        previous = self._offer
        below_counter = self._counter is not None and price < self._counter - 0.5
        plunged = previous is not None and price < 0.5 * previous
        # Nobody triples their price in the middle of a haggle ("ninety five" heard as "nine
        # eighty five"): a word was misheard.
        soared = previous is not None and price > 3 * previous
        # The deal said back ("so, one forty five?") answered with a lower price: nobody comes
        # down on a price already taken, so a word was most likely misheard.
        lower_than_taken = refusing and previous is not None and price < previous - 0.5
        if (below_counter or plunged or soared or lower_than_taken) and not confirmed:
            # Nobody asks for less than the agent offered: most likely a word was misheard.
            self._checking = (price, list(conditions))
            self._checks += 1
            # Not "sorry": the reader would take it for turning their price down.
            return self._say(f"Just to confirm, did you say {spoken_dollars(price)}?")
        self._checks = 0
        if self._quote is None:
            self._quote = price
        self._offer = price
        self._offer_conditions = list(conditions)
        self._stage = Stage.NEGOTIATING
        self._price_asks = 0
        if self._counter is not None and abs(price - self._counter) < 0.5:
            return self._accept(price, conditions)  # they took the agent's counter
        return self._decide(price, conditions, previous)

    def _total(self, price: float) -> float:
        """What the homeowner would pay at the job's `price`: with the fee and the parts."""
        return price + self._fee + self._parts

    def _note_fee(self, fee: float, words: list[str]) -> None:
        """A fee on top of the job, and what it is called."""
        self._fee = fee
        self._fee_name = next(
            (
                name
                for cue, name in (
                    ("diagnostic", "diagnostic fee"),
                    ("service call", "service call fee"),
                )
                if has(words, cue)
            ),
            "trip fee",
        )

    def _decide(self, price: float, conditions: list[str], previous: float | None) -> AgentTurn:
        budget = self._budget
        if budget is None:
            if self._pushes < PUSHES_NO_BUDGET:
                return self._push(price, conditions)
            return self._accept(price, conditions)
        total = self._total(price)
        if total <= budget:
            if self._pushes == 0:
                return self._push(price, conditions)
            budged = previous is None or price < previous
            if total <= WELL_UNDER * budget or not budged or self._pushes >= PUSHES_WITHIN:
                return self._accept(price, conditions)
            return self._push(price, conditions)
        if self._pushes < PUSHES_ABOVE:
            return self._push(price, conditions)
        return self._no_deal("I understand. That's above our budget for now.")

    def _no_budge(self) -> AgentTurn:
        """They said no to the counter and named no new price: their price stands."""
        if self._offer is None:
            return self._ask_price_again("I see. So what would you charge?")
        total = self._total(self._offer)
        if self._budget is None or total <= self._budget:
            return self._accept(self._offer, self._offer_conditions)
        if self._pushes < PUSHES_ABOVE:
            return self._push(self._offer, self._offer_conditions)
        return self._no_deal("I understand. That's above our budget for now.")

    def _push(self, price: float, conditions: list[str]) -> AgentTurn:
        """Ask for a lower price: anchor, then other quotes, then flexibility and the budget."""
        push = self._pushes + 1
        counter = next_counter(
            price,
            push,
            budget=self._budget,
            other=self._other_quotes[0] if self._other_quotes else None,
            fee=self._fee,
            parts=self._parts,
            last=self._counter,
            range_low=self._range_low,
        )
        if counter is None and self._budget is not None:
            # Nothing left to offer below their price (or the fee eats the budget).
            if self._total(price) <= self._budget:
                return self._accept(price, conditions)
            return self._no_deal("I understand. That's above our budget for now.")
        self._pushes = push
        self._counter = counter
        fee = f", plus the {self._fee_name}" if self._fee else ""
        ask = f"Could you do {spoken_dollars(counter)}{fee}?" if counter is not None else ""
        other = self._other_quotes[0] if self._other_quotes else None
        if push == 1:
            lead = "That's a bit more than I was hoping to spend."
        elif push == 2 and other is not None:
            lead = f"I have another quote for {spoken_dollars(other)}."
            if counter is None:
                ask = "What's your best price?"
            elif counter == other:
                ask = "Could you match that?"
        elif push == 2:
            lead = "I'm getting a few other quotes, and they came in lower."
            if counter is None:
                lead, ask = "I'm getting a few other quotes.", "What's your best price?"
        else:
            assert self._budget is not None
            budget = spoken_dollars(self._budget)
            if counter == self._budget:
                ask = "Could you do that?"
            lead = f"I can be flexible on the day. My budget tops out at {budget}."
        self._stage = Stage.NEGOTIATING
        return self._say(f"{lead} {ask}")

    def _accept(self, price: float, conditions: list[str]) -> AgentTurn:
        total = self._total(price)
        if self._budget is not None and total > self._budget + 0.005:
            # Never agree above the budget, whatever led here.
            return self._no_deal("I understand. That's above our budget for now.")
        asks_parts = any(set(c.split()) & PARTS_WORDS for c in conditions)
        if asks_parts and not self._asked_parts:
            self._asked_parts = True
            self._offer, self._offer_conditions = price, list(conditions)
            self._stage = Stage.PARTS
            return self._say("Okay. About how much would the parts be?")
        self._restates += 1
        if self._restates > _MAX_RESTATES:
            return self._no_deal("Sorry, the line is bad.")
        self._deal = (price, self._said_back(conditions))
        self._stage = Stage.CONFIRMING
        # "we'll go with": said as a yes, so a reader of the transcript takes their price here,
        # not a counter-offer of the agent's that they never answered.
        return self._say(f"Great, {self._restatement('so we will go with')}. Is that right?")

    @staticmethod
    def _said_back(conditions: list[str]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(condition_said_back(c) for c in conditions))

    def _restatement(self, lead: str = "so that's") -> str:
        """The deal in words: "so that's one hundred forty dollars, if you come this afternoon"."""
        assert self._deal is not None
        price, conditions = self._deal
        restated = f"{lead} {spoken_dollars(price)}"
        for condition in conditions:
            restated += f", {condition}"
        if self._fee:
            fee = spoken_dollars(self._fee).replace("dollars", "dollar", 1)
            restated += f", plus the {fee} {self._fee_name}"
        return restated

    def _close_agreed(self, *, restate: bool = False) -> AgentTurn:
        assert self._deal is not None
        price, self._conditions = self._deal
        # What the homeowner pays: the job and the mandatory fee said back with it.
        self._agreed = round(price + self._fee, 2)
        self._outcome = Outcome.AGREED
        lead = f"Okay, {self._restatement()}." if restate else "Perfect."
        return self._finish(f"{lead} {CLOSING_AGREED}")

    def _ask_price_again(self, text: str) -> AgentTurn:
        self._price_asks += 1
        if self._price_asks > _MAX_PRICE_ASKS:
            return self._no_deal("Okay, I understand.")
        if self._stage is not Stage.NEGOTIATING:
            self._stage = Stage.ESTIMATE
        return self._say(text)

    def _no_deal(self, lead: str) -> AgentTurn:
        self._outcome = Outcome.NO_AGREEMENT
        return self._finish(f"{lead} {CLOSING_NO_AGREEMENT}".strip())

    def _finish(self, text: str) -> AgentTurn:
        self._stage = Stage.DONE
        return self._say(text, hang_up=True)

    def _say(self, text: str, *, hang_up: bool = False) -> AgentTurn:
        self._last_said = text
        return AgentTurn(text, hang_up=hang_up)
