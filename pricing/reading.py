"""One turn of a call, read the way a person reads it: which numbers are prices, and what the
speaker did with them.

`read_turn` splits a turn into clauses, finds the amounts in it (`numbers.py`), drops the
numbers that are not money (times, counts, years, phone numbers, addresses), tags each price
with what kind of price it is (a job total, an hourly rate, a trip fee, one end of a range, a
discount...), says whether it was said in the negative ("I can't do one twenty") or under an
"if", and notes the speaker's moves: accepting, turning down, putting off, declining the job.
The dialogue itself — who offered what, and what became of it — is `offline.py`'s business.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from enum import StrEnum

from pricing import cues, decisions
from pricing import vocabulary as v
from pricing.conditions import conditions_in
from pricing.fragments import cuts_number, without_restarts
from pricing.money_words import adds, is_money, with_cents
from pricing.numbers import Amount, find_amounts
from pricing.questions import asked_back, is_cut_off, sentence_start, yes_cut_short
from pricing.ranges import range_ends_in
from pricing.tokens import NUMBER_WORDS, tokenize


class Kind(StrEnum):
    """What a price in a turn is a price of."""

    TOTAL = "total"  # a price for the job
    RATE = "rate"  # per hour, per foot
    EACH = "each"  # per item, when several are priced
    FEE = "fee"  # a trip, diagnostic or service-call fee
    PART = "part"  # what one component costs ("glass alone is sixty bucks")
    RANGE = "range"  # one end of "between X and Y"
    DISCOUNT = "discount"  # "knock fifty off"
    ADDON = "addon"  # "another eighty", "sixty more on top"
    SHORT = "short"  # "six even", "call it five": hundreds left unsaid, read against the offer


@dataclass
class Mention:
    """A price said in a turn."""

    amount: Amount
    value: float
    kind: Kind
    clause: int
    negated: bool = False  # "I can't do one twenty", "two hundred's too low"
    conditional: bool = False  # said under an "if": "two fifty if I come this afternoon"
    proposal: bool = False  # said as a proposal: a question, "could you", "my budget is"
    question: bool = False  # asked to confirm ("so $140, right?"), or cut off mid-sentence
    derived: bool = False  # worked out from the words around it ("$20 off" that price)


@dataclass
class Reading:
    """What one turn says about price."""

    role: str
    tokens: list[str]
    mentions: list[Mention]
    clause_of: list[int]
    accept_strong: bool = False
    accept_weak: bool = False
    accept_clauses: set[int] = field(default_factory=set)
    negative: bool = False
    hedge: bool = False
    defer: bool = False
    call_back: bool = False  # the only putting off is a call-back promised ("I'll get back to you")
    deliberate: bool = False  # "think about it", "talk to the homeowner": a decision put off
    decline: bool = False
    closing_agreed: bool = False
    closing_no_deal: bool = False
    unheard: bool = False  # "sorry, what was that?", "hello?", "gotta go": no answer given
    cut_off: bool = False  # the turn stops mid-sentence ("and that includes the—")
    conditions: list[str] = field(default_factory=list)
    unpriced: list[float] = field(default_factory=list)  # numbers said that are not money


_find = v.find
_has = v.has


def _clauses(tokens: list[str]) -> list[int]:
    """The clause index of each token.

    Clauses end at punctuation, at "but/so/then/plus", before a subject ("i'd need...",
    "it's..."), before "if", and after a leading "no/yeah/ok" — speech-to-text leaves no
    punctuation, and these are where a listener hears the breaks.
    """
    clause = 0
    out: list[int] = []
    clause_start = 0
    for i, token in enumerate(tokens):
        previous = tokens[i - 1] if i else ""
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token in ".,;:!?":
            out.append(clause)
            clause += 1
            clause_start = i + 1
            continue
        starts = (
            token in v.CLAUSE_WORDS
            or token in ("if", "unless")
            or (token in v.SUBJECTS and previous not in ("if", "unless", "and", "that"))
            or (token == "and" and following in v.SUBJECTS | {"it", "that", "then"})
            # "no i can't", "nope two hundred even": a leading interjection stands alone
            or (previous in v.INTERJECTIONS and clause_start == i - 1 and token != "way")
        )
        if starts and i > clause_start:
            clause += 1
            clause_start = i
        out.append(clause)
    return out


def _strip_idioms(tokens: list[str]) -> list[str]:
    """The tokens with positive idioms blanked, so "no problem" is not read as a "no", and
    the words that only say what a price leaves out ("$160 for the washing, no sealing")."""
    out = list(tokens)
    for phrase in v.POSITIVE_IDIOMS:
        for start in _find(tokens, phrase):
            for k in range(start, start + len(phrase)):
                out[k] = "_"
    for k in range(1, len(tokens) - 1):
        if tokens[k] == "no" and _names_a_thing(tokens[k + 1]):
            out[k] = "_"
    return out


def _names_a_thing(word: str) -> bool:
    """Whether a word after "no" names a thing left out ("no sealing", "no stump grinding"),
    rather than answering no ("no, that's too low", "no two fifty", "no deal")."""
    return word.isalpha() and word not in v.NOT_A_THING and word not in NUMBER_WORDS


def _nearest(mentions: list[Mention], index: int, clause: int, reach: int) -> Mention | None:
    """The mention in `clause` nearest to token `index`, within `reach` tokens."""
    best: tuple[int, Mention] | None = None
    for mention in mentions:
        if mention.clause != clause:
            continue
        if index < mention.amount.start:
            distance = mention.amount.start - index
        elif index >= mention.amount.end:
            distance = index - mention.amount.end + 1
        else:
            distance = 0
        if distance <= reach and (best is None or distance < best[0]):
            best = (distance, mention)
    return best[1] if best else None


def read_turn(role: str, text: str, final: bool = False) -> Reading:
    """Read one turn of a call (`role` is `assistant` for our agent, `user` for the provider;
    `final` when it is the provider's last turn, which a hang-up may have cut mid-word)."""
    # "one twenty fi five": a number word cut off and said again is said once
    tokens = without_restarts(tokenize(text))
    cut_off = is_cut_off(text, final)
    price_cut = final and cut_off and cuts_number(tokens)
    plain = _strip_idioms(tokens)
    clause_of = _clauses(tokens)
    words = [t for t in tokens if t not in ".,;:!?"]
    reading = Reading(role=role, tokens=tokens, mentions=[], clause_of=clause_of)

    amounts = with_cents(find_amounts(tokens), tokens)
    range_ends, scaled = range_ends_in(amounts, tokens)
    for amount in amounts:
        kind = Kind.RANGE if amount.start in range_ends else None
        value = amount.value
        if amount.start in scaled:
            value = amount.value * 100  # "two to four hundred"
        elif not is_money(amount, tokens):
            if amount.value > 0:
                reading.unpriced.append(amount.value)
            continue
        elif amount.value < 20 and not _is_discount(amount, tokens):
            # "two", "ten": counts and times when said bare; but "six even" or "call it
            # five" in a negotiation over hundreds is hundreds, decided against the offer.
            if amount.shape != "cardinal" or not _short_price(amount, tokens, clause_of):
                continue
            kind = Kind.SHORT
        if price_cut and amount.end == len(tokens) - 1:
            continue  # "yeah one seventy fi": the hang-up cut the price itself
        reading.mentions.append(Mention(amount, value, kind or Kind.TOTAL, clause_of[amount.start]))

    for mention in reading.mentions:
        if mention.kind is Kind.TOTAL:
            mention.kind = _kind(mention.amount, tokens)
        mention.negated = _negated(mention, plain, clause_of)
        mention.conditional = _conditional(mention, tokens, clause_of)
        mention.proposal = _proposal(mention, tokens, clause_of)
        mention.question = asked_back(tokens, mention.amount.start, mention.amount.end, cut_off)
    _tag_by_cue(reading, v.FEE_CUES, Kind.FEE, reach=5)
    _named_charges(reading)
    _tag_by_cue(reading, v.PART_CUES, Kind.PART, reach=4)
    _tag_addons(reading)
    _fees_covering_the_job(reading)

    joined = " ".join(words)
    reading.cut_off = cut_off
    reading.unheard = _has(tokens, cues.UNHEARD)
    reading.closing_agreed = _has(tokens, cues.CLOSING_AGREED)
    reading.closing_no_deal = "think about it" in joined and (
        "call you back" in joined or "get back to you" in joined
    )
    accepts = _accepts(tokens, reading.mentions)
    # "okay i can do two tw": a yes to a price the hang-up cut is a yes to nothing known
    reading.accept_strong = bool(accepts) and not price_cut
    plain_yes = _has(tokens, v.WEAK_ACCEPT) and not yes_cut_short(tokens, cut_off) and not price_cut
    reading.accept_weak = reading.accept_strong or plain_yes
    reading.accept_clauses = {clause_of[i] for i in accepts}
    for mention in reading.mentions:
        # "so one eighty", with no yes in the turn, is said back to be confirmed
        if not reading.accept_weak and sentence_start(tokens, mention.amount.start) == "so":
            mention.question = True
    reading.negative = _has(plain, v.NEGATIVE)
    # "let me think, three fifty uh": musing over a price, unless a yes in so many words follows
    musing = _has(tokens, decisions.MUSING) and not reading.accept_weak
    reading.hedge = _has(plain, decisions.HEDGES) or musing
    reading.deliberate = _has(tokens, decisions.DELIBERATE)
    reading.defer = reading.deliberate or _has(tokens, decisions.DEFER)
    others = [phrase for phrase in decisions.DEFER if phrase not in decisions.CALL_BACK]
    reading.call_back = _has(tokens, decisions.CALL_BACK) and not _has(tokens, others)
    reading.decline = role == "user" and _has(tokens, decisions.DECLINE)
    spans = [(m.amount.start, m.amount.end) for m in reading.mentions]
    reading.conditions = conditions_in(tokens, spans)
    return reading


def _accepts(tokens: list[str], mentions: list[Mention]) -> list[int]:
    """Where the turn says yes in so many words ("works", "deal", "let's do it"). "It is" is
    a yes only right after a price ("one fifty it is"); "tell them what it is" is not."""
    ends = {m.amount.end for m in mentions}
    return [
        i
        for phrase in v.STRONG_ACCEPT
        for i in _find(tokens, phrase)
        if (phrase != ("it", "is") or i in ends)
        and tokens[i - 1 : i] != ["no"]  # "no deal"
        and "than" not in tokens[max(0, i - 3) : i]  # "more than we can do"
    ]


def _short_price(amount: Amount, tokens: list[str], clause_of: list[int]) -> bool:
    """Whether a bare small number is said where a price is said."""
    before = tokens[amount.start - 1] if amount.start else ""
    if amount.marked or before in v.SHORT_BEFORE:
        return True
    clause = clause_of[amount.start]
    alone = (amount.start == 0 or clause_of[amount.start - 1] != clause) and (
        amount.end >= len(tokens) or clause_of[amount.end] != clause
    )
    return alone


def _is_discount(amount: Amount, tokens: list[str]) -> bool:
    after = tokens[amount.end] if amount.end < len(tokens) else ""
    before = tokens[max(0, amount.start - 2) : amount.start]
    return after == "off" or bool({"knock", "knocked", "discount"} & set(before))


#: Said right after a price, these make it a rate: per hour, a plan paid monthly.
_PER = v.words("per hourly monthly yearly annually quarterly")


def _kind(amount: Amount, tokens: list[str]) -> Kind:
    """The kind a price has from the words right around it."""
    after = tokens[amount.end : amount.end + 3]
    before = tokens[max(0, amount.start - 2) : amount.start]
    if (after[:1] and after[0] in _PER) or (
        after[:1] in (["an"], ["a"]) and after[1:2] and after[1] in v.RATE_UNITS
    ):
        return Kind.RATE
    if after[:1] in (["each"], ["apiece"]) or after[:2] == ["a", "piece"]:
        return Kind.EACH
    if _is_discount(amount, tokens):
        return Kind.DISCOUNT
    if (
        (before and before[-1] in ("another", "extra", "additional"))
        or after[:1] in (["more"], ["extra"])
        or after[:2] == ["on", "top"]
    ):
        return Kind.ADDON
    return Kind.TOTAL


def _negated(mention: Mention, plain: list[str], clause_of: list[int]) -> bool:
    """Whether the price is turned down where it is said."""
    start, end = mention.amount.start, mention.amount.end
    # A negator shortly before, in the same clause, with no comparative between.
    for k in range(start - 1, max(-1, start - 5), -1):
        if clause_of[k] != mention.clause:
            break
        if plain[k] in v.COMPARATIVES:
            break
        if plain[k] in NUMBER_WORDS or plain[k].lstrip("$")[:1].isdigit():
            break  # "can't do twelve, uh, fourteen fifty": the "can't" was for the twelve
        if plain[k] in v.NEGATORS:
            return True
    after = plain[end : end + 4]
    return any(after[: len(phrase)] == list(phrase) for phrase in v.AFTER_NEGATIVE)


def _conditional(mention: Mention, tokens: list[str], clause_of: list[int]) -> bool:
    end = mention.amount.end
    if end < len(tokens) and tokens[end] in ("if", "unless"):
        return True
    first = clause_of.index(mention.clause)
    return tokens[first] in ("if", "unless")


def _proposal(mention: Mention, tokens: list[str], clause_of: list[int]) -> bool:
    """Whether the price is put forward as a proposal (a question, "could you", a budget)."""
    window = tokens[max(0, mention.amount.start - 8) : mention.amount.end + 3]
    if _has(window, v.PROPOSAL_CUES):
        return True
    # "would sixty work", "could ninety do": a question asked without its question mark
    before = tokens[mention.amount.start - 1] if mention.amount.start else ""
    after = tokens[mention.amount.end] if mention.amount.end < len(tokens) else ""
    if before in _ASKING_MODALS and after in _WORKS:
        return True
    rest = tokens[mention.amount.end :]
    stop = next((i for i, t in enumerate(rest) if t in ".!?"), len(rest))
    return stop < len(rest) and rest[stop] == "?"


#: "would sixty work": a modal just before a price, and one of `_WORKS` just after it, asks.
_ASKING_MODALS = v.words("would could can will does")
_WORKS = v.words("work do")


def _tag_addons(reading: Reading) -> None:
    """A price said after "plus" and a job price ("$2,400, plus the city permit, which is
    $150") is added on top, not a second offer."""
    for previous, mention in itertools.pairwise(reading.mentions):
        between = reading.tokens[previous.amount.end : mention.amount.start]
        if previous.kind is Kind.TOTAL and mention.kind is Kind.TOTAL and adds(between):
            mention.kind = Kind.ADDON


#: Between a price and a fee's name after it, these make the price the job's, with the fee's
#: status said ("$300 with the diagnostic waived").
_WITH = v.words("with without including includes included")


def _tag_by_cue(reading: Reading, cues: list[tuple[str, ...]], kind: Kind, reach: int) -> None:
    """Give `kind` to the job total nearest each cue ("trip charge", "alone")."""
    for phrase in cues:
        for index in _find(reading.tokens, phrase):
            clause = reading.clause_of[index]
            # "so $190 total with the trip charge" is the whole price, fee included; so is
            # "$300 with the diagnostic waived", "$280 with the diagnostic included"
            totals = [
                m
                for m in reading.mentions
                if m.kind is Kind.TOTAL
                and "total" not in reading.tokens[m.amount.end : m.amount.end + 2]
                and not (
                    m.amount.end <= index and _WITH & set(reading.tokens[m.amount.end : index])
                )
            ]
            mention = _nearest(totals, index, clause, reach)
            if mention is not None:
                mention.kind = kind


def _named_charges(reading: Reading) -> None:
    """A price said "plus" and named a charge or a fee by a word of its own ("plus a thirty
    dollar trick charge": "trip" misheard) is a fee, whatever the word."""
    tokens = reading.tokens
    for m in reading.mentions:
        after = tokens[m.amount.end : m.amount.end + 2]
        named = after[1:2] in (["charge"], ["fee"]) and after[0].isalpha() and after[0] != "to"
        if m.kind is Kind.TOTAL and named and said_plus(tokens, m):
            m.kind = Kind.FEE


def said_plus(tokens: list[str], mention: Mention) -> bool:
    """Whether a price is said "plus" (in the three words before it): on top of another."""
    return "plus" in tokens[max(0, mention.amount.start - 3) : mention.amount.start]


def _fees_covering_the_job(reading: Reading) -> None:
    """A fee said to cover the whole job ("a flat ninety nine and that covers it") is its price."""
    for mention in reading.mentions:
        if mention.kind is not Kind.FEE:
            continue
        clauses = {mention.clause, mention.clause + 1, mention.clause + 2}
        nearby = [t for t, c in zip(reading.tokens, reading.clause_of, strict=True) if c in clauses]
        others = [m for m in reading.mentions if m is not mention and m.clause in clauses]
        alone = len(reading.mentions) == 1
        if (_has(nearby, v.COVERAGE) and not others) or (_has(nearby, v.COVERAGE_TIME) and alone):
            mention.kind = Kind.TOTAL
