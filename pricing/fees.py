"""Fees on top of a job's price in the deal: said with the offer ("eighty nine plus trip charge
of twenty nine"), kept on top of a counter ("plus the trip fee"), named by their amount when the
deal is said back, put right in the provider's yes, or waived. A mandatory fee the agent
accepts is part of the agreed price: what the homeowner pays."""

from __future__ import annotations

from pricing.conditions import fee_name
from pricing.dialogue import Deal, Negotiation
from pricing.reading import Kind, Mention, Reading, said_plus


def fees_on_top(reading: Reading, offer: Mention) -> list[float]:
    """The fees said on top of the offer in its own turn ("eighty nine plus trip charge of
    twenty nine"): said after it with "plus", neither under an "if" nor turned down."""
    return [
        m.value
        for m in reading.mentions
        if m.kind is Kind.FEE
        and m.amount.start > offer.amount.end
        and "plus" in reading.tokens[offer.amount.end : m.amount.start]
        and not (m.conditional or m.negated)
    ]


def fees_kept(state: Negotiation, reading: Reading, counter: Mention) -> dict[float, str]:
    """The fees the agent's counter-offer keeps on top of it, each with what it is for: those
    it names by their amount after "plus" ("one twenty five, plus the thirty dollar trip fee"),
    or, named only by what they are for ("plus the trip fee"), the fees on the table."""
    after = reading.tokens[counter.amount.end : counter.amount.end + 6]
    if "plus" not in after:
        return {}
    start = counter.amount.end + after.index("plus") + 1
    said = [m for m in reading.mentions if m.kind is Kind.FEE and m.amount.start >= start]
    if said:
        return {m.value: fee_name(reading.tokens, m.amount.start, m.amount.end) or "" for m in said}
    if fee_name(reading.tokens, start, start + 1) is None:
        return {}
    # the fees said on top of the offer, else the last fee the provider named
    fees = state.offer_fees or list(state.extra_names)[-1:]
    return {v: state.extra_names.get(v, "") for v in fees}


def asked_fees(
    deal: Deal, asked: Mention, reading: Reading, totals: dict[float, list[str]]
) -> Deal:
    """The job's price the agent asks to confirm, with the fees it names by their amount on top
    ("so ninety five, plus parts, plus the thirty dollar trip fee. Is that right?"): the
    provider's yes agrees to them too. A price that already holds its fees is left as it is."""
    if asked.value in totals:
        return deal
    fees = [m for m in reading.mentions if m.value in fees_on_top(reading, asked)]
    if not fees:
        return deal
    terms = deal.conditions + _fee_terms(reading, fees)
    extra = sum(m.value for m in fees)
    return Deal(round(deal.value + extra, 2), terms, extra)


def said_back_with_fee(
    state: Negotiation, prices: list[Mention], reading: Reading, totals: dict[float, list[str]]
) -> list[Mention]:
    """The agreed job price asked back with a fee on top named by its amount, when the deal
    holds no fee yet ("so we will go with two forty, plus the forty dollar trip fee. Is that
    right?" after "okay, two forty"): it needs the provider's yes, which adds the fee."""
    deal = state.agreed
    if deal is None or deal.fees:
        return []
    asked = [m for m in prices if m.question and m.value == deal.value]
    if not asked or asked_fees(Deal(deal.value), asked[-1], reading, totals).fees == 0:
        return []
    return asked[-1:]


def fee_put_right(deal: Deal, reading: Reading) -> Deal:
    """`deal` with the fee the provider's yes adds on top of it ("yep, plus the thirty dollar
    trip charge"), in place of the fee it held; the deal as it was when the yes names none,
    or the fee it already holds."""
    if not reading.accept_weak or reading.negative:
        return deal
    fees = [
        m
        for m in reading.mentions
        if m.kind is Kind.FEE and not (m.conditional or m.negated) and said_plus(reading.tokens, m)
    ]
    extra = sum(m.value for m in fees)
    if not fees or abs(extra - deal.fees) < 0.5:
        return deal
    terms = _without_fees(deal.conditions) + _fee_terms(reading, fees)
    return Deal(round(deal.value - deal.fees + extra, 2), terms, extra)


def waived(deal: Deal, reading: Reading) -> Deal:
    """`deal` without the fees the agent asked on top of it, when the provider's yes waives
    them ("yes, and we'll waive the trip fee"): the job's price, with the waiver said."""
    terms = _without_fees(deal.conditions)
    terms += [c for c in reading.conditions if c.endswith("waived")]
    return Deal(round(deal.value - deal.fees, 2), terms)


def _fee_terms(reading: Reading, fees: list[Mention]) -> list[str]:
    """The conditions that name fees said in the turn ("plus trip charge")."""
    names = [fee_name(reading.tokens, m.amount.start, m.amount.end) for m in fees]
    return [f"plus {name}" for name in names if name]


def _without_fees(conditions: list[str]) -> list[str]:
    """The conditions but those naming a fee on top ("plus trip charge")."""
    return [c for c in conditions if not (c.startswith("plus ") and _names_fee(c))]


def _names_fee(condition: str) -> bool:
    words = condition.split()
    return fee_name(words, 1, len(words)) is not None
