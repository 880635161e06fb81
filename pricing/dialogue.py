"""The state of a negotiation as the offline reader follows it, and the readings of a whole
turn it needs beyond its prices: whether the agent has described the job yet, which item the
agent picked when several were priced, and what a provider said after taking a yes back."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from pricing import cues
from pricing.conditions import fee_name, service_on_top
from pricing.numbers import find_amounts
from pricing.reading import Kind, Mention, Reading, _find, _has, read_turn
from pricing.tokens import tokenize
from pricing.vocabulary import STRONG_ACCEPT, WEAK_ACCEPT, phrases

#: Words that say nothing about which item is meant.
_FILLER = frozenset(
    [
        "the",
        "a",
        "an",
        "is",
        "are",
        "and",
        "or",
        "for",
        "with",
        "in",
        "of",
        "to",
        "it",
        "that",
        "this",
        "they",
        "them",
        "their",
        "we",
        "i",
        "you",
        "your",
        "our",
        "do",
        "does",
        "would",
        "could",
        "can",
        "just",
        "want",
        "wants",
        "like",
        "only",
        "both",
        "each",
        "be",
        "on",
        "its",
        "it's",
        "start",
        "price",
        "prices",
        "cost",
        "first",
        "one",
        "ones",
        "done",
        "get",
        "let's",
        "lets",
        "go",
        "please",
        "also",
        "then",
        "so",
        "they'd",
        "we'd",
        "i'd",
        "yeah",
        "yes",
        "yep",
        "sure",
        "ok",
        "okay",
        "alright",
        "well",
        "um",
        "uh",
        "hmm",
        "oh",
        "that's",
        "thats",
        # money words and when: they say nothing of which item either
        *[
            "dollars",
            "dollar",
            "bucks",
            "buck",
            "cents",
            "even",
            "flat",
            "total",
            "today",
            "tomorrow",
            "plus",
        ],
    ]
)
#: A yes that a turn-about after it can take back.
_YES = frozenset(["yeah", "yes", "yep", "yup", "sure", "ok", "okay", "alright", "fine", "deal"])
#: Words that thank or acknowledge and say nothing of the job.
_ACKS = frozenset(
    [
        "thanks",
        "thank",
        "you",
        "great",
        "ok",
        "okay",
        "alright",
        "sure",
        "perfect",
        "hi",
        "hello",
        "hey",
        "yes",
        "yeah",
    ]
)
#: The agent booking every item priced.
_ALL_OF_THEM = phrases("both", "all of them", "all three", "all four", "everything", "the lot")
_CALLING = re.compile(r"\bcalling (?:for|about|on behalf|regarding)\b", re.IGNORECASE)
#: The greeting that opens a call before the job is said: "Hi, is this Ace Plumbing?"; in
#: speech without punctuation it stops where the agent goes on ("hi this is an ai assistant
#: calling for a homeowner...").
_GREETING = re.compile(
    r"^\W*(?:(?:hi|hello|hey|good (?:morning|afternoon|evening))(?: there)?\W+)?"
    r"(?:(?:is this|is that|am i speaking (?:to|with)|am i talking to|this is)\b"
    r"(?:(?!\b(?:calling|i'm|im|i|we|they|their|my|our)\b)[^?.!])*[?.!]?)?",
    re.IGNORECASE,
)


@dataclass
class Deal:
    """A price and the conditions said with it."""

    value: float
    conditions: list[str] = field(default_factory=list)
    fees: float = 0.0  # the part of the value that is fees on top of the job ("$190 with the trip")

    def prices(self) -> set[float]:
        """The deal's price, and the job's price under it when fees are on top."""
        return {self.value, round(self.value - self.fees, 2)}


@dataclass
class Negotiation:
    """The state of the negotiation after each turn."""

    described: bool = False  # the agent has said what the job is
    greeting_only: bool = False  # the agent never describes the job: its first word will do
    job_is_fee: bool = False  # the job is a diagnosis or an inspection
    scale: float | None = None  # a big job's scale (a roof), before any price is said
    agent_numbers: set[float] = field(default_factory=set)  # an address, a year: not money
    offer: Deal | None = None  # the provider's offer on the table
    open_offers: dict[float, list[str]] = field(default_factory=dict)  # options said with it
    extras: list[float] = field(default_factory=list)  # fees and add-ons the provider named
    offer_fees: list[float] = field(default_factory=list)  # fees said on top of the offer
    lone_fee: float | None = None  # a visit or diagnostic fee named with no job price
    lone_fee_terms: list[str] = field(default_factory=list)  # ...and the conditions said with it
    extra_names: dict[float, str] = field(default_factory=dict)  # what each fee is for
    said_conditions: list[str] = field(default_factory=list)  # every condition the provider said
    offer_turned_down: bool = False  # the agent said no to it ("that's too much for us")
    proposal: Deal | None = None  # the agent's proposal awaiting an answer
    #: ...and the fees it keeps on top ("plus the trip fee"), each with what it is for
    proposal_fees: dict[float, str] = field(default_factory=dict)
    confirming: float | None = None  # a price the agent asked back, awaiting the provider
    waiting: bool = False  # the provider put the answer off ("let me check with the boss")
    agreed: Deal | None = None
    by_closing: bool = False  # the deal rests only on the agent's closing line
    confirmed: bool = False  # the provider said yes to the price asked back
    first_quote: float | None = None
    items: list[tuple[float, set[str]]] = field(default_factory=list)  # several items priced
    parts: list[float] = field(default_factory=list)  # the prices of the provider's last offer
    parts_are_first: bool = False  # ...and they were the first prices said for the job
    no_deal: bool = False  # the call was left without a deal (put off, declined)
    #: What the provider's last turn did, when the agent's answer depends on it: "countered"
    #: (a new price in answer to the agent's), "refused" (the agent's price turned down),
    #: "extra" (something more offered after the deal); else "".
    last_move: str = ""
    times_said: dict[float, int] = field(default_factory=dict)
    said_in_digits: set[float] = field(default_factory=set)

    def agree(self, deal: Deal, *, by_closing: bool = False) -> None:
        """Make `deal` the agreed price."""
        self.agreed = Deal(deal.value, list(deal.conditions), deal.fees)
        self.proposal = None
        self.proposal_fees = {}
        self.no_deal = False
        self.by_closing = by_closing
        self.confirmed = False

    def left_without_deal(self) -> None:
        """The call is left without a deal (put off, turned down, withdrawn)."""
        self.agreed = self.proposal = None
        self.confirming = None
        self.no_deal = True

    def count(self, prices: list[Mention]) -> None:
        """Count the prices said in a turn (by either side: the agent saying a price back is a
        second hearing of it)."""
        for mention in prices:
            self.times_said[mention.value] = self.times_said.get(mention.value, 0) + 1
            if mention.amount.shape == "digits":
                self.said_in_digits.add(mention.value)

    def heard(self, prices: list[Mention], reading: Reading) -> None:
        """Count the prices said in a provider's turn, and keep the fees and add-ons named."""
        self.count(prices)
        for m in reading.mentions:
            if m.kind in (Kind.FEE, Kind.ADDON):
                self.extras.append(m.value)
                name = fee_name(reading.tokens, m.amount.start, m.amount.end)
                name = name or service_on_top(reading.tokens, m.amount.start, m.amount.end)
                if name:
                    self.extra_names[m.value] = name
        if reading.role == "user":
            self.said_conditions += reading.conditions

    def totals(self) -> dict[float, list[str]]:
        """A job price on the table with one or two of the fees named ("so $190 total with the
        trip charge"), each with the fees it adds ("plus trip charge")."""
        return {value: names for value, (names, _) in self._with_fees().items()}

    def fee_part(self, value: float) -> float:
        """How much of `value`, a job price with fees, is the fees (0 for a job price alone)."""
        return self._with_fees().get(value, ([], 0.0))[1]

    def _with_fees(self) -> dict[float, tuple[list[str], float]]:
        bases = set(self.open_offers) | ({self.offer.value} if self.offer else set())
        found: dict[float, tuple[list[str], float]] = {}
        extras = list(dict.fromkeys(self.extras))
        for base in bases:
            for size in (1, 2):
                for chosen in itertools.combinations(extras, size):
                    names = [f"plus {self.extra_names[v]}" for v in chosen if v in self.extra_names]
                    found.setdefault(round(base + sum(chosen), 2), (names, sum(chosen)))
        return {value: found[value] for value in found if value not in bases}

    def counter_accepted(self, deal: Deal) -> None:
        """The provider's yes to the agent's counter-offer `deal`: a counter said "plus the
        trip fee" keeps the fees on the table on top of it (the job's price becomes the offer
        they sit on, so the deal said back with them is the same deal)."""
        if self.proposal_fees:
            fees = sum(self.proposal_fees)
            names = [f"plus {name}" for name in self.proposal_fees.values() if name]
            self.offer = Deal(deal.value, list(deal.conditions))
            self.open_offers = {deal.value: list(deal.conditions)}
            deal = Deal(round(deal.value + fees, 2), deal.conditions + names, fees)
        self.agree(deal)

    def with_fees(self, deal: Deal) -> Deal:
        """The offer accepted in words, with the fees said on top of it ("tune up eighty nine
        plus trip charge of twenty nine" / "Okay, that works": $118, plus trip charge)."""
        if not self.offer or deal.value != self.offer.value or not self.offer_fees:
            return deal
        names = [f"plus {self.extra_names[v]}" for v in self.offer_fees if v in self.extra_names]
        fees = sum(self.offer_fees)
        return Deal(round(deal.value + fees, 2), deal.conditions + names, fees)

    def offer_conditions(self) -> list[str]:
        """The conditions said with the offer on the table."""
        return list(self.offer.conditions) if self.offer else []

    @staticmethod
    def item_words(reading: Reading, mention: Mention) -> set[str]:
        """The words naming what a price is for: those since the price before it ("mailbox
        lock is $65, front door rekey is $140"), or, when the turn starts with a price, those
        after it up to the next ("two fifty for the faucet and one fifty for the flapper")."""
        ends = sorted(m.amount.end for m in reading.mentions)
        starts = sorted(m.amount.start for m in reading.mentions)
        tokens = reading.tokens
        if not _named(tokens[: starts[0]]):
            following = [s for s in starts if s >= mention.amount.end]
            words = tokens[mention.amount.end : min(following, default=len(tokens))]
        else:
            start = max((e for e in ends if e <= mention.amount.start), default=0)
            words = tokens[start : mention.amount.start]
        return _named(words)


def _named(words: list[str]) -> set[str]:
    return {w for w in words if w.isalpha() and w not in _FILLER}


def opens_call(text: str) -> bool:
    """Whether an agent's turn is a call's opening ("Hi, is this Ace Plumbing?", "I'm calling
    for a homeowner..."): a transcript without one is a fragment, read from its start."""
    return _bare_greeting(text) or bool(_CALLING.search(text))


def describes_job(text: str) -> bool:
    """Whether an agent's turn says what the job is: more than a greeting or a thank-you, and
    neither a yes ("sounds great, let's do it") nor a closing."""
    rest = _GREETING.sub("", text, count=1)
    said = [w for w in re.findall(r"[a-z0-9$']+", rest.lower()) if w not in _ACKS]
    if len(said) < 4:
        return False
    reading = read_turn("assistant", text)
    return not (reading.accept_strong or reading.closing_no_deal or reading.closing_agreed)


def _bare_greeting(text: str) -> bool:
    match = _GREETING.match(text)
    said = match.group(0) if match else ""
    return bool(re.search("[a-z]", said, re.IGNORECASE)) and not text[len(said) :].strip()


def pick_item(items: list[tuple[float, set[str]]], reading: Reading) -> float | None:
    """The price of the one item the agent's turn picks, when several were priced: the one
    whose price it names, else the one whose words it uses ("they just want the TV done"),
    by the words that tell the items apart ("regular clean" / "deep clean": "the deep clean");
    when it books them all ("could you do both for $300?"), the first price named for one of
    them, not their sum (a price the provider named for all of them together, "or two hundred
    for both", is picked when the agent names it)."""
    named = [value for value, _ in items if any(m.value == value for m in reading.mentions)]
    if len(named) == 1:
        return named[0]
    said = {t for t in reading.tokens if t.isalpha() and t not in _FILLER}
    matches = [value for value, words in items if words & said]
    if len(matches) > 1:
        matches = [
            value
            for index, (value, words) in enumerate(items)
            if said & words.difference(*(w for k, (_, w) in enumerate(items) if k != index))
        ]
    if len(matches) == 1:
        return matches[0]
    if _has(reading.tokens, _ALL_OF_THEM) and (len(items) == 2 or "both" not in reading.tokens):
        return items[0][0]
    return None


def books_all(tokens: list[str]) -> bool:
    """Whether the agent's words take all the items priced ("both", "all of them")."""
    return _has(tokens, _ALL_OF_THEM)


def retracted(text: str) -> str:
    """What a provider said after taking a yes or a price back ("yeah one fifty fine, oh wait,
    actually I'm booked out", "one fifteen, I mean one fifty"): the part after the last such
    turn-about, else the whole turn."""
    tokens = tokenize(text)
    cut = None
    for phrase in cues.RETRACT + cues.CORRECT:
        for index in _find(tokens, phrase):
            before = tokens[:index]
            said_something = bool(find_amounts(before)) or bool(_YES & set(before))
            after = [t for t in tokens[index + len(phrase) :] if t not in ".,;:!?"]
            # "one fifteen, i mean one fifty": a number put right is read as put right
            enough = len(after) >= 3 or (phrase in cues.CORRECT and bool(find_amounts(after)))
            if said_something and enough and (cut is None or index > cut[0]):
                cut = (index, index + len(phrase))
    if cut is None:
        return text
    return " ".join(tokens[cut[1] :])


#: Words a bare yes is made of: "Okay.", "Alright then.", "Sure, okay."
_BARE_YES = {w for phrase in WEAK_ACCEPT for w in phrase} | {"then", "all"}
#: The agent's "no problem" acknowledges; after its price was turned down it accepts nothing.
_ACKNOWLEDGE = phrases("no problem", "not a problem", "no worries")


def bare_accept(reading: Reading) -> bool:
    """Whether the turn is a yes and nothing else ("Okay.", "Alright then."): no price, no
    question, no other word."""
    words = [t for t in reading.tokens if t not in ".,;:!"]
    return (
        bool(words)
        and all(w in _BARE_YES for w in words)
        and not reading.mentions
        and not reading.negative
    )


def acknowledges(reading: Reading) -> bool:
    """Whether the turn's only yes is an acknowledgement ("alright, no problem"), with no
    price named and no yes in so many words ("works", "deal")."""
    tokens = reading.tokens
    others = [p for p in STRONG_ACCEPT if p not in _ACKNOWLEDGE]
    return _has(tokens, _ACKNOWLEDGE) and not _has(tokens, others) and not reading.mentions
