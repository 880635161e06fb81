"""The offline reader's judgement of one turn's prices: which mention is meant, which are fees,
alternatives or parts of a sum, and whether a yes is taken back."""

from __future__ import annotations

import itertools
import math

from pricing import cues, decisions
from pricing.conditions import service_on_top
from pricing.dialogue import Deal, Negotiation
from pricing.ranges import for_all
from pricing.reading import Kind, Mention, Reading, _has, read_turn

#: Words that say a price is the sum of those before it.
_SUM_WORDS = {"so", "total", "altogether", "all", "comes", "makes", "together"}
#: Words in an agent's turn that say its numbers are money even without "$".
MONEY_WORDS = {"total", "price", "dollars", "bucks", "budget", "pay", "cost", "charge", "do"}


def resolve(reading: Reading, reference: float | None, scale: float | None = None) -> list[Mention]:
    """The turn's job totals, read against the price under discussion (`reference`).

    "Fifty off" becomes the price it leaves; "six even" becomes 600 when the talk is of six
    hundred or so. A price said earlier in the same turn is the reference for what follows it
    ("$140, but we have a $20 off coupon"). Before any price, `scale` (a big job's) stands in.
    """
    prices: list[Mention] = []
    for mention in reading.mentions:
        if mention.kind is Kind.DISCOUNT and reference is not None:
            mention.value = round(reference - mention.value, 2)
            mention.kind = Kind.TOTAL
            mention.derived = True
        elif mention.amount.alternative is not None and (reference or scale):
            # "thirty two fifty" in a talk about $3,000 is 3,250, not $32.50; so it is for a
            # roof (a big job's `scale`) before any price is said
            against = reference or scale or 1.0
            if _closer(mention.amount.alternative, mention.value, against):
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


def reference(state: Negotiation) -> float | None:
    """The price under discussion: the offer on the table, else the agent's proposal."""
    if state.offer is not None:
        return state.offer.value
    return state.proposal.value if state.proposal else None


def without_alternatives(prices: list[Mention], settled: float | None) -> list[Mention]:
    """Drop "and $210 if the flange is cracked" when the turn restates the settled price."""
    if settled is None or not any(m.value == settled and not m.conditional for m in prices):
        return prices
    return [m for m in prices if not m.conditional]


def travel(mention: Mention, reading: Reading) -> bool:
    """Whether a fee is for getting there or for paperwork (a trip, a permit), never the job."""
    start, end = mention.amount.start, mention.amount.end
    return bool(set(reading.tokens[max(0, start - 5) : end + 4]) & cues.TRAVEL_FEE_CUES)


def fees_as_job(reading: Reading) -> None:
    """When the job is a diagnosis or an inspection, its fee is the job's price (a trip or
    permit fee on top stays a fee)."""
    for mention in reading.mentions:
        if mention.kind is Kind.FEE and not travel(mention, reading):
            mention.kind = Kind.TOTAL


def lone_fee_as_job(state: Negotiation, prices: list[Mention]) -> None:
    """When the only price the provider named was a visit or inspection fee and the agent
    names it back or bargains on it, it is the job's price ("radon testing is a one forty nine
    service visit" / "could you do one twenty five"; "rodent inspection and first treatment
    eighty nine ninety nine" / "okay eighty nine ninety nine")."""
    fee = state.lone_fee
    if state.offer is not None or fee is None:
        return
    if any(0.5 * fee <= m.value <= fee for m in prices):
        state.offer = Deal(fee, list(state.lone_fee_terms))
        state.open_offers = {fee: state.offer.conditions}
        state.first_quote = state.first_quote or fee


#: A price "a visit" of one of these is the price of one visit's work: the job, when the job is
#: done in a visit ("mow and edge, $60 a visit").
_VISITS = {"visit", "treatment", "cleaning", "session", "service", "cut", "mow"}


def visit_price_as_job(state: Negotiation, reading: Reading) -> None:
    """The provider's first price for the job, said per visit ("$60 a visit", "sixty five per
    cleaning") and under no "if", is the job's price: a visit's work is the job, unlike an hour
    or a foot of it ("seventy five a visit if they sign up quarterly" stays a plan's rate)."""
    if state.offer is not None or state.first_quote is not None:
        return
    for mention in reading.mentions:
        after = reading.tokens[mention.amount.end : mention.amount.end + 2]
        if mention.kind is Kind.RATE and not mention.conditional and _VISITS & set(after):
            mention.kind = Kind.TOTAL


def add_ons(reading: Reading) -> list[float]:
    """The parts of the job said on top of its price ("two twenty plus forty for the roof
    cap"): neither a fee, nor under an "if", nor for a trip or a permit, nor an extra service
    ("plus thirty five to haul the old one")."""
    return [
        m.value
        for m in reading.mentions
        if m.kind is Kind.ADDON
        and not m.conditional
        and not travel(m, reading)
        and service_on_top(reading.tokens, m.amount.start, m.amount.end) is None
    ]


def on_table_not_fees(state: Negotiation, reading: Reading, totals: dict[float, list[str]]) -> None:
    """A price said near a fee's name is not that fee when it is the offer on the table or the
    offer with its fees ("$180 with no trip charge", "$205 with the trip fee")."""
    known = set(state.open_offers) | ({state.offer.value} if state.offer else set()) | set(totals)
    for mention in reading.mentions:
        if mention.kind in (Kind.FEE, Kind.ADDON) and mention.value in known:
            mention.kind = Kind.TOTAL


def sum_of_parts(
    state: Negotiation, prices: list[Mention], on_table: dict[float, list[str]], items: bool
) -> None:
    """The agent adding up the prices the provider just gave ("parts are $40 and labor is
    $110" / "So $150 total?"): the sum is the provider's price, said in parts. When the parts
    are items the agent books together (`items`: "Okay, both for $350."), the sum is on the
    table but the first quote stays the first item's price."""
    parts = state.parts
    for mention in prices:
        if mention.value in on_table or len(parts) < 2:
            continue
        if any(
            abs(sum(chosen) - mention.value) < 0.005
            for size in range(2, len(parts) + 1)
            for chosen in itertools.combinations(parts, size)
        ):
            state.offer = Deal(mention.value, state.offer_conditions())
            state.open_offers[mention.value] = on_table[mention.value] = state.offer.conditions
            if state.parts_are_first and not items:
                state.first_quote = mention.value
            state.parts = []
            return


def without_components(prices: list[Mention], tokens: list[str]) -> list[Mention]:
    """Drop the parts a later price in the turn adds up to, when it is said as their sum ("the
    cartridge is $90 and labor is $120, so $210 all in": the price is $210; but "or both for
    $350" is an option of its own)."""
    for index, mention in enumerate(prices):
        near = set(tokens[max(0, mention.amount.start - 3) : mention.amount.end + 3])
        if not near & _SUM_WORDS:
            continue
        before = prices[:index]
        for size in range(2, len(before) + 1):
            for parts in itertools.combinations(before, size):
                if abs(sum(m.value for m in parts) - mention.value) < 0.005:
                    return [m for m in prices if not any(m is part for part in parts)]
    return prices


def summed_items(prices: list[Mention], tokens: list[str]) -> list[Mention]:
    """The items a price said as their sum for all of them adds up ("front door two hundred,
    back door one fifty, so three fifty for both": 200 and 150), in the order said; none when
    no price is said so. Parts of one job ("so $210 all in") are not items."""
    for index, mention in enumerate(prices):
        near = set(tokens[max(0, mention.amount.start - 3) : mention.amount.end + 3])
        after = tokens[mention.amount.end : mention.amount.end + 2]
        if not near & _SUM_WORDS or not for_all(after):
            continue
        before = prices[:index]
        for size in range(2, len(before) + 1):
            for parts in itertools.combinations(before, size):
                if abs(sum(m.value for m in parts) - mention.value) < 0.005:
                    return list(parts)
    return []


#: Said right before a price it refuses ("we can't do one fifty").
_CANNOT = frozenset({"can't", "cant", "cannot", "won't", "wont", "not"})


def takes_back(text: str, reading: Reading) -> bool:
    """Whether a provider's turn withdraws a yes already given ("actually no, my boss says
    no", "I changed my mind")."""
    tokens = read_turn("user", text).tokens
    if _has(tokens, cues.CHANGED_MIND):
        return True
    # "hold on, my boss says we can't do one fifty, sorry": no "sorry?" asking to hear again
    refused = any(
        set(reading.tokens[max(0, m.amount.start - 2) : m.amount.start]) & _CANNOT
        for m in reading.mentions
    )
    return _has(tokens, cues.RETRACT) and reading.negative and (refused or not reading.unheard)


def withdraws(text: str, reading: Reading) -> bool:
    """Whether the agent takes back its own yes ("actually, sorry, the homeowner found someone
    cheaper, so we'll pass"): a turn-about, a no, and the job given up."""
    if reading.accept_strong:
        return False
    taken_back = _has(reading.tokens, cues.CHANGED_MIND) or takes_back(text, reading)
    # "Actually, the homeowner wants one more quote before committing.": put off, after a yes
    turned = taken_back or _has(reading.tokens, cues.RETRACT)
    return turned and _has(reading.tokens, decisions.WITHDRAW)


def said_as_dollars(mention: Mention, tokens: list[str]) -> bool:
    """Whether the price was said with "$", "dollars" or "bucks"."""
    said = tokens[mention.amount.start : mention.amount.end]
    return any(t.startswith("$") or t in ("dollars", "dollar", "bucks", "buck") for t in said)


def own_price(reading: Reading, proposal: Deal | None, prices: list[Mention]) -> Mention | None:
    """The price a provider's yes to the agent's proposal names instead of the proposal's
    ("okay you got it, one thirty bucks" to "could you do $150?"), if it names one: a whole,
    firm yes naming one price, near enough the proposal to be the job's price."""
    if proposal is None or not reading.accept_weak or reading.negative:
        return None
    if reading.hedge or reading.defer or reading.cut_off:
        return None
    named = [m for m in prices if not m.conditional and not m.question]
    if len(named) != 1 or named[0].value == proposal.value:
        return None
    near = 0.5 * proposal.value <= named[0].value <= 1.5 * proposal.value
    return named[0] if near else None


def drop_fees(
    state: Negotiation, reading: Reading, prices: list[Mention], new: list[Mention]
) -> tuple[list[Mention], Mention | None]:
    """A provider's new prices without those far below the offer on the table ("cut it in
    half, so twenty five": a fee, kept in `state.extras`), and the price the provider's yes
    names instead of the agent's proposal when it was one of them ("okay you got it, one
    thirty bucks" to the agent's $150, after "four thirty" was read as a $430 offer): near the
    proposal, it is the job's price, not a fee."""
    if state.offer is None or not new:
        return new, None
    fees = [m for m in new if m.value < 0.4 * state.offer.value]
    own = own_price(reading, state.proposal, prices)
    dropped = own if own in fees else None
    state.extras += [m.value for m in fees if m is not dropped]
    return [m for m in new if m not in fees], dropped


def with_extra_taken(state: Negotiation, reading: Reading, prices: list[Mention]) -> bool:
    """Whether the provider says yes to the agent's total of the deal and something offered
    after it ("the ceiling would be another one twenty" / "so six twenty total?" / "yep six
    twenty"): that total is the deal now. True when it is."""
    deal, proposal = state.agreed, state.proposal
    if deal is None or proposal is None or reading.negative:
        return False
    extras = {round(deal.value + extra, 2) for extra in state.extras}
    said = {m.value for m in prices}
    if proposal.value not in extras or not (proposal.value in said or reading.accept_weak):
        return False
    state.agree(Deal(proposal.value, deal.conditions + proposal.conditions + reading.conditions))
    return True


def alternatives(reading: Reading, prices: list[Mention]) -> bool:
    """Whether prices said together are one job's price two ways of paying ("$160 by card, or
    $150 if you pay cash"), not the prices of several items ("the front door two hundred, or
    both for three fifty"): an "or" between them, and the payment named."""
    first, last = prices[0].amount.end, prices[-1].amount.start
    paying = _PAYMENT & set(reading.tokens)
    return "or" in reading.tokens[first:last] and bool(paying)


#: How a homeowner may pay, when a price depends on it.
_PAYMENT = frozenset({"cash", "card", "credit", "check", "cheque", "venmo", "zelle"})


def only_musing(reading: Reading) -> bool:
    """Whether the turn's only putting-off is thinking aloud ("let me see... yes, I can do
    $4,200"), not waiting on someone or a call back ("I need to confirm with my supervisor")."""
    others = [p for p in decisions.DEFER + decisions.DELIBERATE if p not in decisions.MUSING]
    return _has(reading.tokens, decisions.MUSING) and not _has(reading.tokens, others)


def agents_money(
    state: Negotiation, reading: Reading, prices: list[Mention], known: set[float]
) -> list[Mention]:
    """The agent's numbers that are money: a price on the table (`known`), one said as money
    or proposed, or any in a turn that talks of money; the others (an address, a year: "It's
    2207 North Halsted") are remembered as the agent's, so the provider reading them back is
    not quoting."""
    money_words = bool(MONEY_WORDS & set(reading.tokens))
    kept = []
    for m in prices:
        if m.value in known or m.amount.marked or m.proposal or money_words:
            kept.append(m)
        else:
            state.agent_numbers.add(m.value)
    state.agent_numbers.update(reading.unpriced)
    return kept
