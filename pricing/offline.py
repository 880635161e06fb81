"""The offline price extractor: a deterministic reading of the whole call.

It follows the negotiation turn by turn, as a person reading the transcript would:

* nothing the provider says before the agent has described the job is a price (a greeting
  misheard as "eight hundred", a ticket number, "been here 32 years");
* a provider's price is an *offer*; the agent accepting it in a statement ("Okay, $200.",
  "$220 works") makes it the deal; asking it back ("so $140, right?") is a question that
  needs the provider's yes, and a question never answered is no deal (asked again after "say
  again?", it is still the question); a yes cut off mid-sentence ("uh yeah i think we c") or
  waiting on someone else ("pending their okay") is no yes, but a whole yes before the cut
  ("sure that wor") is one;
* the agent's price (a counter-offer, a budget, "would sixty work") is a *proposal*; it is
  the deal only if the provider accepts it ("yeah, I can do one fifty"); a yes naming another
  price ("okay you got it, one thirty") agrees to the price named, and a price asked back
  after a deal and confirmed replaces it (the last price both sides confirmed wins);
* a later offer replaces an earlier one, even after a deal, but a plan or an extra offered
  after it ("we also do a yearly plan") does not; a yes taken back in the same breath ("yeah
  one fifty fine, oh wait, I'm booked out"), or the agent's own ("actually, sorry, they found
  someone cheaper"), is no yes;
* an offer turned down, a decision put off ("let me think about it", "I'll pass that along")
  or a provider declining the job leaves no deal;
* hourly rates, ranges, trip and permit fees are not a job price unless a total is agreed; a
  mandatory fee the agent accepts with the job ("so $190 total with the trip charge") is part
  of the deal, and so is a fee said "plus" the offer when the agent accepts it in words, or
  names it by its amount when asking the price back ("ninety five, plus the thirty dollar trip
  fee. Is that right?") and the provider says yes without waiving it, and so is the fee a
  counter-offer keeps on top ("could you do one twenty five, plus the trip fee?") when the
  provider takes it; the total is what the homeowner pays, as the local agent counts it; a
  diagnostic, inspection or maintenance-visit fee is the job's price when that is the job;
* numbers the agent said that are not money (an address, the year the house was built) are not
  prices when the provider reads them back;
* the agent's closing is the last word: "I need to think about it" ends without a deal; "I'll
  reach out shortly" accepts the offer on the table if nothing was accepted in so many words;
  "I'll pass it along" puts off a deal not yet made and only reports one made.

The provider's first price for the job is the first quote (of the item booked, when several
were priced). How sure the reading is travels with it (`pricing.confidence`).
"""

from __future__ import annotations

import asyncio

from pricing import cues
from pricing.base import PriceResult
from pricing.conditions import repeated, tidy
from pricing.confidence import assess
from pricing.confirmation import answer_confirmation, cut_short
from pricing.dialogue import (
    Deal,
    Negotiation,
    acknowledges,
    bare_accept,
    books_all,
    describes_job,
    opens_call,
    pick_item,
    retracted,
)
from pricing.fees import (
    asked_fees,
    fee_put_right,
    fees_kept,
    fees_on_top,
    said_back_with_fee,
)
from pricing.mentions import (
    add_ons,
    agents_money,
    alternatives,
    drop_fees,
    fees_as_job,
    lone_fee_as_job,
    on_table_not_fees,
    only_musing,
    reference,
    resolve,
    said_as_dollars,
    sum_of_parts,
    summed_items,
    takes_back,
    travel,
    visit_price_as_job,
    with_extra_taken,
    withdraws,
    without_alternatives,
    without_components,
)
from pricing.reading import Kind, _has, read_turn
from shared.models import TranscriptTurn


class OfflinePriceExtractor:
    """Reads the agreed price, the first quote and the deal's conditions without any model."""

    async def extract(self, turns: list[TranscriptTurn]) -> PriceResult:
        """The price agreed in `turns`, read deterministically, in a worker thread (the first
        reading that meets a word cut off loads an English dictionary, about half a second)."""
        return await asyncio.to_thread(self.read, turns)

    def read(self, turns: list[TranscriptTurn]) -> PriceResult:
        """The synchronous reading behind `extract` (for scripts and the evaluation)."""
        state = Negotiation()
        agent = [turn.text for turn in turns if turn.role == "assistant"]
        # A fragment, without the call's opening, is read from its start; a call in which the
        # agent never says what the job is, from the agent's first word.
        state.described = not any(opens_call(text) for text in agent)
        state.greeting_only = not any(describes_job(text) for text in agent)
        last = max((i for i, turn in enumerate(turns) if turn.role == "user"), default=-1)
        for index, turn in enumerate(turns):
            if turn.role == "user":
                self._provider_turn(state, turn.text, final=index == last)
            else:
                self._agent_turn(state, turn.text)
        agreed = None if state.no_deal else state.agreed
        confidence = assess(state, agreed)
        conditions = "; ".join(tidy(agreed.conditions)) if agreed else None
        return PriceResult(
            agreed_price=agreed.value if agreed else None,
            first_quote=state.first_quote,
            conditions=conditions or None,
            confidence=confidence,
            source="offline",
        )

    # The provider's side: offers, and answers to the agent's proposals.
    def _provider_turn(self, state: Negotiation, text: str, final: bool = False) -> None:
        state.last_move = ""
        if not state.described:
            return  # a greeting: nothing said before the job is described is its price
        reading = read_turn("user", retracted(text), final)
        if reading.decline:
            # "we're fully booked; normally it'd be $240": still the provider's price for the job
            named = resolve(reading, reference(state), state.scale)
            if state.first_quote is None and named:
                state.first_quote = named[0].value
            state.agreed = state.proposal = state.offer = None
            state.open_offers = {}
            state.confirming = None
            state.no_deal = True
            return
        if state.job_is_fee:
            fees_as_job(reading)
        for mention in reading.mentions:
            heard = {mention.value, mention.amount.alternative}
            if heard & state.agent_numbers and not said_as_dollars(mention, reading.tokens):
                mention.kind = Kind.PART  # read back: "twenty two oh seven north halsted"
        on_table_not_fees(state, reading, {})
        visit_price_as_job(state, reading)
        resolved = resolve(reading, reference(state), state.scale)
        prices = without_components(resolved, reading.tokens)
        # "front door two hundred, back door one fifty, so three fifty for both": items, first
        # priced at the first one's price
        summed = summed_items(resolved, reading.tokens)
        state.heard(prices, reading)
        if _has(reading.tokens, cues.WAIVE):
            state.offer_fees = []  # "I'll waive the trip charge": the offer stands alone
            if state.offer is not None:
                state.offer.conditions += [c for c in reading.conditions if c.endswith("waived")]
        if state.confirming is not None and answer_confirmation(state, reading, prices):
            return
        settled = state.agreed.value if state.agreed else None
        prices = without_alternatives(prices, settled)
        proposal = state.proposal
        deal = state.agreed.prices() if state.agreed else set()
        new = [
            m
            for m in prices
            if (proposal is None or m.value != proposal.value) and m.value not in deal
        ]
        if state.agreed is not None and new and _has(reading.tokens, cues.UPSELL):
            state.last_move = "extra"  # something more offered after the deal, cheap or not
        new, dropped = drop_fees(state, reading, prices, new)
        if dropped is not None and state.agreed is None:
            # the provider's yes names its own price: that is the price it agreed to
            state.offer = Deal(dropped.value, reading.conditions)
            state.open_offers, state.proposal = {dropped.value: reading.conditions}, None
            state.agree(Deal(dropped.value, reading.conditions))
            return
        if not prices and state.offer is None:
            fees = [m for m in reading.mentions if m.kind is Kind.FEE and not travel(m, reading)]
            if len(fees) == 1:
                state.lone_fee, state.lone_fee_terms = fees[0].value, reading.conditions
        if state.agreed is not None and new and _has(reading.tokens, cues.UPSELL):
            # "we also do a twice-a-year plan for two fifty": something more offered after the
            # deal leaves the deal standing unless the agent takes it
            state.extras += [m.value for m in new]
            new = []
        if new:
            # A counter-offer, a first quote, or a changed price after a deal; "ninety to free
            # it up, if it's dead a new one is two sixty": the firm price is the offer.
            last = ([m for m in new if not m.conditional] or new)[-1]
            # the same price said again keeps the terms it was first said with
            same = state.offer is not None and state.offer.value == last.value
            kept = state.offer.conditions if state.offer and same else []
            # "knock the trip fee down to twenty, so one forty five": the job's price with a fee
            fee_terms = state.totals().get(last.value, [])
            state.offer = Deal(last.value, kept + fee_terms + reading.conditions)
            state.open_offers = {
                m.value: state.offer.conditions if m is last else reading.conditions for m in new
            }
            # "no, nine hundred": the same price again is no answer to the agent's no
            state.offer_turned_down = state.offer_turned_down and same
            state.last_move = "countered" if proposal is not None else ""
            state.waiting = False
            # "two twenty plus forty for the roof cap": parts the agent may add up
            parts = [m.value for m in new] + add_ons(reading)
            state.parts = parts if len(parts) > 1 else []
            state.parts_are_first = state.first_quote is None
            state.offer_fees = fees_on_top(reading, last)
            if state.first_quote is None:
                state.first_quote = (summed or new)[0].value
                items = summed or [m for m in new if not m.derived]
                state.items = (
                    [(m.value, state.item_words(reading, m)) for m in items]
                    if len(items) > 1 and not alternatives(reading, items)
                    else []
                )
            if state.agreed is not None:
                state.agreed = None  # reopened: the new price needs the agent's yes
            state.proposal = None
            state.confirming = None
            return
        if state.agreed is not None and takes_back(text, reading):
            # "actually no, sorry, my boss says no": the provider's yes is withdrawn
            state.agreed = state.proposal = None
            state.offer_turned_down = True
            return
        if state.agreed is not None and with_extra_taken(state, reading, prices):
            return  # "so six twenty total?" / "yep": the deal and the add-on offered after it
        if state.agreed is not None:
            state.extras += [m.value for m in reading.mentions if m.kind is Kind.ADDON]
            # "Yep, plus the thirty dollar trip charge": the deal said back has its fee now
            state.agreed = fee_put_right(state.agreed, reading)
            # After the deal: a condition added ("if the flange is cracked it's $60 more").
            state.agreed.conditions.extend(
                c for c in reading.conditions if c.startswith(("if", "unless", "plus"))
            )
            return
        if proposal is None:
            if reading.defer:
                state.waiting = True
            return
        # "yeah i think two ten wor": a price said in a sentence the hang-up cut affirms nothing
        affirmed = any(m.value == proposal.value and not cut_short(m, reading) for m in prices)
        thinking_aloud = only_musing(reading) and affirmed and reading.accept_strong
        if (reading.hedge or reading.defer) and not thinking_aloud:
            # "might work, no promises", "let me check with the boss": not a yes (but "let me
            # see... yes, I can do $4,200" is one)
            state.waiting = True
            return
        if affirmed or (reading.accept_weak and not reading.negative):
            state.counter_accepted(Deal(proposal.value, proposal.conditions + reading.conditions))
        elif reading.negative:
            state.proposal = None  # turned down: the provider's own offer stands
            state.last_move = "refused"

    # The agent's side: accepting, proposing, asking to confirm, turning down, closing.
    def _agent_turn(self, state: Negotiation, text: str) -> None:
        reading = read_turn("assistant", text)
        if not state.described:
            if not (describes_job(text) or state.greeting_only):
                return
            state.described = True
            state.job_is_fee = _has(reading.tokens, cues.FEE_IS_JOB)
            if _has(reading.tokens, cues.BIG_JOBS):
                state.scale = cues.BIG_JOB_SCALE
        if state.job_is_fee:
            fees_as_job(reading)
        totals = state.totals()
        on_table_not_fees(state, reading, totals)
        if state.items:
            pick = pick_item(state.items, reading)
            if pick is not None:
                state.first_quote = pick
            state.items = []
        if state.agreed is not None and state.last_move == "extra" and reading.defer:
            # "we can also put in a dimmer for $70" / "let me check with the homeowner about
            # the dimmer": the extra is put off, the deal stands
            return
        if reading.closing_no_deal or reading.deliberate or withdraws(text, reading):
            state.left_without_deal()
            return
        undecided = not reading.accept_strong and state.agreed is None
        if reading.defer and not reading.call_back and undecided:
            state.left_without_deal()
            return
        prices = resolve(reading, reference(state), state.scale)
        if state.waiting and not prices:
            # "let me check my schedule, I'll call you back" / "Okay, thank you.": the counter
            # put off is left behind; a "yep" to this is a goodbye, not a yes to it
            state.proposal = None
        lone_fee_as_job(state, prices)
        settled = state.agreed.value if state.agreed else None
        prices = without_alternatives(prices, settled)
        on_table = dict(state.open_offers) if state.offer else {}
        known = set(on_table) | set(totals) | ({settled} if settled is not None else set())
        prices = agents_money(state, reading, prices, known)
        state.count(prices)
        new = [m for m in prices if m.value not in on_table and m.value not in totals]
        new = [m for m in new if m.value != settled]

        sum_of_parts(state, prices, on_table, books_all(reading.tokens))
        asked = [m for m in prices if m.question and (m.value in on_table or m.value in totals)]
        # "so we will go with two forty, plus the forty dollar trip fee. Is that right?": the
        # deal said back with a fee by its amount that it does not hold yet; the yes adds it
        fee_added = said_back_with_fee(state, prices, reading, totals)
        asked += fee_added
        # "one thirty for the oven and fridge", said again after "sorry, say again?": the
        # question is asked again, and still needs the provider's yes
        asked += [m for m in prices if state.confirming is not None and m.value == state.confirming]
        # "Just to confirm, did you say $130?" after a deal at $150: a price the provider
        # named, asked back again, replaces the deal once the provider says yes to it
        again = {m.value for m in asked if m.value in on_table and not m.conditional}
        replaces = settled is not None and len(again) == 1 == len({m.value for m in asked})
        # (the job's price under a deal with its fees on top is the same deal)
        replaces = replaces and state.agreed is not None and not again & state.agreed.prices()
        if asked and (state.agreed is None or replaces or fee_added):
            # "So we're agreed on $260?": the provider's yes makes it the deal
            value = asked[-1].value
            state.confirming = value
            # the terms are the provider's, as first said; the agent only asks them back
            terms = on_table.get(value, []) + totals.get(value, [])
            if fee_added and state.agreed is not None:
                terms = state.agreed.conditions
            state.proposal = asked_fees(Deal(value, terms), asked[-1], reading, totals)
            state.proposal_fees = {}
            return
        named = [
            m
            for m in prices
            if not m.question and (m.value in on_table or m.value in totals) and not m.negated
        ]
        if reading.call_back and undecided and not named:
            state.left_without_deal()  # "I'll get back to you", with no price said back
            return
        # "$175 it is. That's under our $200 budget.": a budget said with a yes is no counter
        proposing = any(m.proposal and (m.question or not reading.accept_strong) for m in new)
        if named and not proposing and (not reading.negative or reading.accept_strong):
            sums = [m for m in named if m.value in totals and m.value not in on_table]
            taken = (sums or named)[-1]
            value = taken.value
            if state.agreed is not None and value in state.agreed.prices():
                # "Okay, so that's $845, plus the $25 trip fee.": the deal, its fee put right
                if not any(m.question for m in named):
                    state.agreed = fee_put_right(state.agreed, reading)
            else:
                state.confirming = None
                terms = on_table.get(value, state.offer_conditions()) + totals.get(value, [])
                terms += repeated(state.said_conditions, reading.tokens)
                fees = state.fee_part(value) if value not in on_table else 0.0
                deal = Deal(value, terms, fees)
                if value in on_table and value not in totals:
                    # "Alright, $85 plus the $50 after-hours fee.": the fee accepted with it
                    deal = asked_fees(deal, taken, reading, totals)
                state.agree(deal)
            return
        accepted = False
        # "If the bracket is fine, $160." / "Okay.": a bare yes takes the price the provider
        # came down to; "alright, no problem" to a counter turned down is only a goodbye
        bare_yes = state.last_move == "countered" and bare_accept(reading)
        polite = state.last_move == "refused" and acknowledges(reading)
        if (
            state.offer is not None
            and (reading.accept_strong or bare_yes)
            and not polite
            and state.agreed is None
            and not state.waiting
            # "Next week works. $150.": a yes to another price than the offer ("more than the
            # $100 they had in mind" only compares)
            and not [
                m for m in new if "than" not in reading.tokens[m.amount.start - 3 : m.amount.start]
            ]
        ):
            terms = repeated(state.said_conditions, reading.tokens)
            state.agree(state.with_fees(Deal(state.offer.value, state.offer.conditions + terms)))
            accepted = True
        if not accepted and new:
            proposed = [m for m in new if m.proposal] or new
            # "so $150, or $210 if the flange is cracked?": the firm figure is the proposal
            firm = [m for m in proposed if not m.conditional] or proposed
            state.proposal = Deal(firm[-1].value, reading.conditions)
            state.proposal_fees = fees_kept(state, reading, firm[-1])
            state.confirming = None
        elif not accepted and reading.negative and state.offer is not None:
            state.offer_turned_down = True
        if (
            reading.closing_agreed
            and state.agreed is None
            and state.offer is not None
            and state.proposal is None
            and state.confirming is None
            and not state.waiting
            and not state.offer_turned_down
        ):
            state.agree(state.with_fees(state.offer), by_closing=True)
