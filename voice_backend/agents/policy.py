"""The local agent's negotiation policy: what to say next, given what the provider just said.

Text in, text out. The local voice agent hears the provider (VAD, speech recognition), hands the
words to `NegotiationPolicy.reply`, and speaks the `AgentTurn` it gets back; this module never
sees audio. It follows the original prompt's strategy (`voice_backend/prompt.py`): open with
"Hi, is this {name}?", state the problem, ask whether they can help and for an estimate, anchor
below the budget, cite other quotes, offer flexibility on the day, never agree above the budget,
and end with one of the prompt's two closings.

Prices are heard with the offline price reader (`pricing.reading`), so the agent takes a
price the way the transcript's reader will later read it. The budget covers what the homeowner
pays: a trip or diagnostic fee counts against it, while the price agreed is the job's price.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from enum import StrEnum

from pricing.numbers import tokenize
from pricing.reading import Kind, Reading, read_turn
from shared.context import answer_lines
from shared.models import Outcome, Provider
from voice_backend.prompt import CLOSING_AGREED, CLOSING_NO_AGREEMENT

__all__ = [
    "AgentTurn",
    "NegotiationPolicy",
    "PolicyState",
    "Stage",
    "looks_like_voicemail",
    "spoken_dollars",
    "spoken_number",
]

#: The first counter-offer: this share of the budget (the anchor), and at most this share of
#: the provider's price.
_ANCHOR = 0.75
_FIRST_CUT = 0.85
#: With no budget, the first counter is this share of their price.
_NO_BUDGET_CUT = 0.8
#: A price this far under the budget is taken after a single push.
_WELL_UNDER = 0.8
#: Pushes before taking a price within budget; pushes on a price above it (the last one offers
#: the budget itself); pushes for a best price when there is no budget.
_PUSHES_WITHIN = 2
_PUSHES_ABOVE = 3
_PUSHES_NO_BUDGET = 2
#: Times in a row the agent asks the provider to say it again (or says its line again) before
#: moving on.
_MAX_REPEATS = 2
#: Times the agent asks for a price without getting one before it closes.
_MAX_PRICE_ASKS = 2
#: Times in a row the agent checks a price that did not sound right before it lets it go.
_MAX_CHECKS = 2
#: Times the agent says the deal back before it gives up on a line this bad.
_MAX_RESTATES = 3

_ONES = (
    *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
    *("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen"),
    *("eighteen", "nineteen"),
)
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def spoken_number(n: int) -> str:
    """A whole number in words, as eSpeak reads it well: 1250 → `one thousand two hundred fifty`."""
    if n < 0:
        return "minus " + spoken_number(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        return _TENS[tens] + (f" {_ONES[unit]}" if unit else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_ONES[hundreds]} hundred" + (f" {spoken_number(rest)}" if rest else "")
    if n < 1_000_000:
        thousands, rest = divmod(n, 1000)
        return f"{spoken_number(thousands)} thousand" + (f" {spoken_number(rest)}" if rest else "")
    return str(n)


def spoken_dollars(value: float) -> str:
    """A price in words: 150 → `one hundred fifty dollars`, 89.5 → `… dollars and fifty cents`."""
    dollars, cents = divmod(round(value * 100), 100)
    text = f"{spoken_number(dollars)} {'dollar' if dollars == 1 else 'dollars'}"
    return f"{text} and {spoken_number(cents)} cents" if cents else text


@dataclass(frozen=True)
class AgentTurn:
    """What the agent says next (`text` may be empty), and whether it hangs up after saying it."""

    text: str
    hang_up: bool = False


class Stage(StrEnum):
    """Where the call is, from the agent's side."""

    START = "start"  # nothing said yet
    IDENTITY = "identity"  # asked "is this {name}?"
    CAN_HELP = "can_help"  # stated the problem, asked whether they can help
    ESTIMATE = "estimate"  # asked for a price
    NEGOTIATING = "negotiating"  # heard a price; countering or asking for their best
    PARTS = "parts"  # about to take a price "plus parts": asked what the parts add
    CONFIRMING = "confirming"  # said the deal back ("so that's …, is that right?")
    DONE = "done"  # said the closing (or hung up on a voicemail)


@dataclass(frozen=True)
class PolicyState:
    """The negotiation as the agent sees it, for tests and metrics.

    `quote` is the first job price the provider named, `offer` their latest, `counter` the
    agent's latest counter-offer (None when it last asked for their best price without naming
    one), `fee` a trip or diagnostic fee on top (0 when none), `agreed_price` the job price the
    call closed on (None without a deal), with `conditions` as the agent restated them.
    """

    stage: Stage
    quote: float | None
    offer: float | None
    counter: float | None
    fee: float
    pushes: int
    agreed_price: float | None
    conditions: tuple[str, ...]
    outcome: Outcome | None


def _word_set(text: str) -> frozenset[str]:
    """Words written as one space-separated string."""
    return frozenset(text.split())


def _phrases(text: str) -> tuple[str, ...]:
    """Phrases written as one `;`-separated string."""
    return tuple(phrase.strip() for phrase in text.split(";"))


# What the provider's words are matched on: keywords, not sentences, as speech recognition
# garbles the rest.
_VOICEMAIL_SURE = _phrases(
    "voicemail; voice mail; mailbox; beep; after the tone; at the tone; leave a message; leave "
    "your message; leave me a message; leave us a message; record your message"
)
_VOICEMAIL_HINTS = _phrases(
    "not available; unavailable; come to the phone; you've reached; you have reached; your "
    "call; message; leave; name and number"
)
_WRONG_NUMBER = _phrases("wrong number; no one by that name; nobody by that name; the wrong")
_REPEAT_PLEASE = _phrases(
    "say that again; say again; repeat that; come again; didn't catch; didnt catch; what was "
    "that; pardon; didn't hear; didnt hear; can't hear; cant hear; what did you say; sorry what"
)
_HOLD = _phrases("hold on; hang on; one sec; one second; one moment; just a sec; bear with")
_BYE = _phrases("bye; goodbye; gotta go; have to go")
_PRESENCE = _word_set("yes yeah yep yup i'm im i am here still there hello hi sorry uh um")
_VAGUE = _phrases(
    "over the phone; without seeing; have to see; need to see; have to look; take a look; come "
    "out; come by; depends; hard to say; can't say; cant say; not sure; no idea; couldn't tell; "
    "can't tell"
)
_CAN_HELP = _phrases("we can; i can; we do; can help; we could; i could; we handle")
_IDENTITY_SIGNS = _word_set(
    "speaking hello hi hey morning afternoon evening help this who calling yes yeah yep yup "
    "sure speak can do"
)
_NAME_FILLER = _word_set("the and of inc llc co company services service & a")
_AI_WORDS = _word_set("robot ai bot computer recording automated machine")
_ADDRESS_WORDS = _word_set("address located location zip street")
_SCHEDULE = _phrases(
    "when do you need; how soon; what day; when would you; when are you; what time; when works; "
    "when can; when should; when do you want; schedule; availability"
)
_BUDGET = _phrases("budget; spend; afford; looking to pay; hoping to pay; want to pay")
_PROBLEM_WORDS = _word_set("problem issue wrong happening")
_PARTS_WORDS = _word_set("parts part materials")

_QUESTION_LEAD = _word_set(
    "ok okay so and alright well um uh yeah yes sure great right now also but hmm oh"
)
_WH = _word_set("what what's whats how how's when where where's which who who's whom why")
_AUX = _word_set("is are does do did can could would will have has was were should")
_AUX_SUBJECT = _word_set("it you the there this that they he she your its a")
_WH_NEXT = _word_set(
    "is are was old long many much big soon kind type size brand time day do does did about "
    "year make model floor the of 's would should can"
)
_STOP = _word_set(
    "a an the is are was were be been it its it's this that there their they you your we our "
    "i my me of to in on at for with and or but so if do does did done have has had how what "
    "what's when where which who why can could would will should any some just about like get "
    "got need needs know any one much many"
)
_TO_SECOND_PERSON = {
    "i": "you",
    "i'm": "you're",
    "im": "you're",
    "i'll": "you'll",
    "i'd": "you'd",
    "me": "you",
    "my": "your",
    "we": "you",
    "we're": "you're",
    "we'll": "you'll",
    "our": "your",
    "us": "you",
}


def _words(tokens: list[str]) -> list[str]:
    return [t for t in tokens if t not in ".,;:!?"]


def _has(words: list[str], *phrases: str) -> bool:
    """Whether any phrase occurs in `words` as consecutive words."""
    for phrase in phrases:
        parts = phrase.split()
        size = len(parts)
        if any(words[i : i + size] == parts for i in range(len(words) - size + 1)):
            return True
    return False


def looks_like_voicemail(text: str) -> bool:
    """Whether a greeting is a voicemail's: "leave a message", "after the beep", "not available".

    One sure sign is enough; otherwise two hints ("you've reached", "not available", "message").
    """
    words = _words(tokenize(text))
    if _has(words, *_VOICEMAIL_SURE):
        return True
    return sum(_has(words, hint) for hint in _VOICEMAIL_HINTS) >= 2


def _is_question(words: list[str], tokens: list[str]) -> bool:
    """Whether the provider asks something: a question mark, or a question's first words."""
    if "?" in tokens:
        return True
    i = 0
    while i < len(words) and words[i] in _QUESTION_LEAD:
        i += 1
    if i >= len(words):
        return False
    if words[i] in _WH:
        return True
    if words[i] in _AUX and i + 1 < len(words) and words[i + 1] in _AUX_SUBJECT:
        return True
    # "yeah we can do that how old is it": a question after an answer
    return any(words[j] in _WH and words[j + 1] in _WH_NEXT for j in range(i + 1, len(words) - 1))


def _stem(word: str) -> str:
    word = word.removesuffix("'s")
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _content(text: str) -> set[str]:
    return {_stem(w) for w in _words(tokenize(text)) if w not in _STOP and len(w) > 2}


def _round_down(value: float, step: float = 5) -> float:
    return float(math.floor(value / step + 1e-9) * step)


def _problem_sentence(problem: str | None) -> str:
    text = (problem or "").strip().rstrip(".!")
    if not text:
        return "It's a job around the house."
    # Said for the homeowner: "my toilet keeps running" → "The toilet keeps running."
    if text.lower().startswith("my "):
        text = "the " + text[3:]
    return text[0].upper() + text[1:] + "."


@dataclass
class _Heard:
    """What one provider utterance says about price."""

    tokens: list[str]
    words: list[str]
    reading: Reading
    prices: list[tuple[float, bool]] = field(default_factory=list)  # (job price, conditional)
    low: float | None = None  # a range's ends
    high: float | None = None
    rate: float | None = None
    fee: float | None = None
    parts: float | None = None

    @property
    def any_price(self) -> bool:
        return (
            bool(self.prices)
            or self.high is not None
            or self.rate is not None
            or (self.fee is not None)
        )


_NO_ONE_PRICE = re.compile(
    r"\b(no|nope|nah) one (?=(?:ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen"
    r"|eighteen|nineteen|twenty|thirty|forty|fourty|fifty|sixty|seventy|eighty|ninety|oh)\b)",
    re.IGNORECASE,
)
#: Words that end a condition the reader took too far: "if I come this afternoon is the best".
_CONDITION_ENDS = _word_set(
    "is was that's thats would will works and but or ok okay alright so then"
)


def _condition_said_back(condition: str) -> str:
    """The provider's condition as the agent restates it: cut where the condition ends, and in
    the second person ("if I come" → "if you come")."""
    words = condition.split()
    end = next((i for i, w in enumerate(words) if i and w in _CONDITION_ENDS), len(words))
    return " ".join(_TO_SECOND_PERSON.get(word, word) for word in words[:end])


def _hear(text: str, reference: float | None) -> _Heard:
    """Read an utterance; bare or relative amounts are read against `reference` (the price
    under discussion), as the transcript's reader does."""
    # "no one forty" said without its comma: the reader takes "no one" for "nobody".
    text = _NO_ONE_PRICE.sub(r"\1, one ", text)
    reading = read_turn("user", text)
    heard = _Heard(reading.tokens, _words(reading.tokens), reading)
    ends: list[float] = []
    for mention in reading.mentions:
        if mention.negated:
            continue
        value, kind = mention.value, mention.kind
        if kind is Kind.DISCOUNT:  # "I can knock twenty off"
            if reference is None:
                continue
            value, kind = reference - value, Kind.TOTAL
        elif kind is Kind.SHORT:  # "call it one fifty" is said "call it one" at times
            if reference is None or not 0.5 <= value * 100 / reference <= 1.5:
                continue
            value, kind = value * 100, Kind.TOTAL
        elif mention.amount.alternative is not None and reference is not None:
            alternative = mention.amount.alternative
            if abs(math.log(alternative / reference)) < abs(math.log(value / reference)):
                value = alternative
        if value <= 0:
            continue
        if kind is Kind.TOTAL:
            heard.prices.append((value, mention.conditional))
        elif kind is Kind.RANGE:
            ends.append(value)
        elif kind in (Kind.RATE, Kind.EACH):
            heard.rate = value
        elif kind is Kind.FEE:
            heard.fee = value
        elif kind is Kind.ADDON and heard.prices:
            price, conditional = heard.prices[-1]
            heard.prices[-1] = (price + value, conditional)
        elif kind in (Kind.PART, Kind.ADDON):
            heard.parts = value
    if ends:
        heard.low, heard.high = min(ends), max(ends)
    return heard


class NegotiationPolicy:
    """The agent's side of one call to `provider`, turn by turn, deterministic.

    Call `opening()` when the call connects (or pass the provider's greeting to `reply`, which
    answers it with the opening, or hangs up on a voicemail), then `reply(heard)` with each
    thing the provider says, as speech recognition gives it. `on_silence()` when the provider
    has gone quiet, `wrap_up(reason)` when the call must end. A turn with `hang_up` is the
    last: the agent hangs up once it has been said.

    `other_quotes` are prices other providers gave for the same job; the agent cites the
    lowest when it pushes.
    """

    def __init__(self, provider: Provider, *, other_quotes: list[float] | None = None) -> None:
        self.provider = provider
        self._name = provider.service_provider.strip() or "the technician"
        self._budget = provider.max_price
        self._other_quotes = sorted(q for q in other_quotes or [] if q > 0)
        self._name_words = set(_words(tokenize(self._name))) - _NAME_FILLER
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
        """The job price the call closed on, or None without a deal."""
        return self._agreed

    @property
    def outcome(self) -> Outcome | None:
        """How the call ended (agreed, no agreement, voicemail), or None while it goes on."""
        return self._outcome

    @property
    def finished(self) -> bool:
        """Whether the agent has said its last line."""
        return self._stage is Stage.DONE

    # The turns.
    def opening(self) -> AgentTurn:
        """The first line: "Hi, is this {name}?"."""
        self._stage = Stage.IDENTITY
        return self._say(f"Hi, is this {self._name}?")

    def reply(self, heard: str) -> AgentTurn:
        """The agent's answer to what the provider just said."""
        if self._stage is Stage.DONE:
            return AgentTurn("", hang_up=True)
        self._silences = 0
        if self._stage in (Stage.START, Stage.IDENTITY) and looks_like_voicemail(heard):
            self._outcome = Outcome.VOICEMAIL
            self._stage = Stage.DONE
            return AgentTurn("", hang_up=True)  # no message left
        if self._stage is Stage.START:
            return self.opening()  # the provider's greeting: answered with the opening
        reference = self._offer if self._offer is not None else self._counter
        heard_ = _hear(heard, reference)
        self._understood = True
        turn = self._react(heard_)
        if self._understood:
            self._unclear = 0
        return turn

    def on_silence(self) -> AgentTurn | None:
        """The provider has gone quiet: a nudge first, then the closing. None once done."""
        if self._stage is Stage.DONE:
            return None
        if self._stage is Stage.START:
            return self.opening()
        self._silences += 1
        if self._silences == 1:
            return AgentTurn("Hello, are you still there?")
        return self.wrap_up("silence")

    def wrap_up(self, reason: str = "time") -> AgentTurn:
        """The call must end now (time or silence limit): the closing, following the rules.

        A price already taken (said back, or waiting on what the parts add) is closed on;
        anything else ends without a deal."""
        if self._stage is Stage.DONE:
            return AgentTurn("", hang_up=True)
        if self._stage is Stage.PARTS and self._offer is not None:
            self._deal = (self._offer, self._said_back(self._offer_conditions))
        if self._stage in (Stage.PARTS, Stage.CONFIRMING) and self._deal is not None:
            return self._close_agreed(restate=True)
        lead = "I'll let you go." if "silence" in reason.lower() else "Sorry, I have to run."
        return self._no_deal(lead)

    # Reading the provider.
    def _react(self, heard: _Heard) -> AgentTurn:
        words, reading = heard.words, heard.reading
        if not words:
            return self._unclear_turn()
        if reading.decline:
            return self._no_deal("Okay, no problem.")
        if not heard.any_price:
            if _has(words, *_REPEAT_PLEASE) or words in (["what"], ["sorry"], ["huh"]):
                return self._say_again()
            if _has(words, *_BYE):
                return self._no_deal("Okay.")
            if _has(words, *_HOLD):
                return AgentTurn("Sure, take your time.")
            if self._silences == 0 and set(words) <= _PRESENCE and "here" in words:
                return self._say(self._pending())  # back after a nudge
        self._repeats = 0
        if self._checking is not None:
            return self._on_price_check(heard)
        if set(words) & _AI_WORDS and _is_question(words, heard.tokens):
            return self._say(
                f"Yes, I'm an AI assistant calling for the homeowner. {self._pending()}"
            )
        handler = {
            Stage.IDENTITY: self._on_identity,
            Stage.CAN_HELP: self._on_can_help,
            Stage.ESTIMATE: self._on_estimate,
            Stage.NEGOTIATING: self._on_negotiating,
            Stage.PARTS: self._on_parts,
            Stage.CONFIRMING: self._on_deal_said_back,
        }[self._stage]
        return handler(heard)

    def _on_identity(self, heard: _Heard) -> AgentTurn:
        words = heard.words
        if _has(words, *_WRONG_NUMBER) or words in (["no"], ["nope"]):
            self._outcome = Outcome.NO_AGREEMENT
            return self._finish("Sorry, I must have the wrong number. Have a good day.")
        if (
            set(words) & (self._name_words | _IDENTITY_SIGNS)
            or heard.reading.accept_weak
            or _is_question(words, heard.tokens)
        ):
            return self._state_problem()
        return self._unclear_turn()

    def _on_can_help(self, heard: _Heard) -> AgentTurn:
        reading = heard.reading
        if heard.any_price:
            return self._on_price(heard)
        if _is_question(heard.words, heard.tokens):
            return self._answer(heard, then=Stage.ESTIMATE)
        if _has(heard.words, *_VAGUE) or (
            (reading.accept_weak or _has(heard.words, *_CAN_HELP)) and not reading.negative
        ):
            return self._ask_estimate()
        if reading.negative:
            return self._no_deal("Okay, no problem.")
        return self._unclear_turn()

    def _on_estimate(self, heard: _Heard) -> AgentTurn:
        reading = heard.reading
        if heard.any_price:
            return self._on_price(heard)
        if _is_question(heard.words, heard.tokens):
            return self._answer(heard, then=Stage.ESTIMATE)
        if _has(heard.words, *_VAGUE) or reading.accept_weak or reading.negative or reading.hedge:
            return self._ask_price_again("I understand. Just a rough ballpark is fine.")
        return self._unclear_turn()

    def _on_negotiating(self, heard: _Heard) -> AgentTurn:
        reading = heard.reading
        if heard.any_price or heard.parts is not None:
            return self._on_price(heard)
        if reading.defer and not reading.accept_strong:
            return self._no_deal("Sure.")  # "let me talk to my boss and call you back"
        if reading.accept_strong and not reading.negative and self._counter is not None:
            return self._accept(self._counter, reading.conditions)
        if _is_question(heard.words, heard.tokens):
            return self._answer(heard, then=Stage.NEGOTIATING)
        if reading.accept_weak and not reading.negative:
            if self._counter is not None:
                return self._accept(self._counter, reading.conditions)
            return self._ask_price_again("Great. What would that come to?")
        if reading.negative or reading.hedge:
            return self._no_budge()
        return self._unclear_turn()

    def _on_price_check(self, heard: _Heard) -> AgentTurn:
        """Their answer to "just to confirm, did you say …?"."""
        assert self._checking is not None
        (asked, conditions), self._checking = self._checking, None
        reading = heard.reading
        if heard.prices:
            said = heard.prices[-1][0]
            if abs(said - asked) < 0.5:
                return self._consider(said, reading.conditions or conditions, confirmed=True)
            if self._checks >= _MAX_CHECKS:
                self._checks = 0
                return self._no_budge()  # still nothing that sounds right: their price stands
            return self._consider(said, reading.conditions)
        if (reading.accept_weak or reading.accept_strong) and not reading.negative:
            return self._consider(asked, reading.conditions or conditions, confirmed=True)
        if reading.negative:
            return self._say(f"Sorry, I misheard. {self._pending()}")
        self._checking = (asked, conditions)
        return self._unclear_turn()

    def _on_deal_said_back(self, heard: _Heard) -> AgentTurn:
        """Their answer to the deal said back."""
        assert self._deal is not None
        price = self._deal[0]
        reading = heard.reading
        if heard.prices:
            said = heard.prices[-1][0]
            if abs(said - price) < 0.5:
                return self._close_agreed()  # "yeah, one forty"
            # Not the price the agent heard: back to the haggle with what they say now.
            self._deal, self._stage = None, Stage.NEGOTIATING
            return self._consider(said, reading.conditions)
        if (reading.accept_weak or reading.accept_strong) and not reading.negative:
            return self._close_agreed()
        if reading.negative:
            self._deal, self._stage = None, Stage.NEGOTIATING
            return self._say("Sorry, I must have misheard. What's your price?")
        if _is_question(heard.words, heard.tokens):
            return self._answer(heard, then=Stage.CONFIRMING)
        return self._unclear_turn()

    def _on_parts(self, heard: _Heard) -> AgentTurn:
        assert self._offer is not None
        amounts = [p for p, _ in heard.prices if p != self._offer]
        parts = heard.parts if heard.parts is not None else (amounts[-1] if amounts else None)
        if parts is None:
            return self._accept(self._offer, self._offer_conditions)
        self._parts = parts
        self._stage = Stage.NEGOTIATING
        return self._decide(self._offer, self._offer_conditions, previous=self._offer)

    # Prices.
    def _on_price(self, heard: _Heard) -> AgentTurn:
        if heard.fee is not None:
            self._fee = heard.fee
            self._fee_name = next(
                (
                    name
                    for cue, name in (
                        ("diagnostic", "diagnostic fee"),
                        ("service call", "service call fee"),
                    )
                    if _has(heard.words, cue)
                ),
                "trip fee",
            )
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
        self, price: float, conditions: list[str], *, confirmed: bool = False
    ) -> AgentTurn:
        """A job price the provider just said."""
        previous = self._offer
        below_counter = self._counter is not None and price < self._counter - 0.5
        plunged = previous is not None and price < 0.5 * previous
        if (below_counter or plunged) and not confirmed:
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

    def _decide(self, price: float, conditions: list[str], previous: float | None) -> AgentTurn:
        budget = self._budget
        if budget is None:
            if self._pushes < _PUSHES_NO_BUDGET:
                return self._push(price, conditions)
            return self._accept(price, conditions)
        total = price + self._fee + self._parts
        if total <= budget:
            if self._pushes == 0:
                return self._push(price, conditions)
            budged = previous is None or price < previous
            if total <= _WELL_UNDER * budget or not budged or self._pushes >= _PUSHES_WITHIN:
                return self._accept(price, conditions)
            return self._push(price, conditions)
        if self._pushes < _PUSHES_ABOVE:
            return self._push(price, conditions)
        return self._no_deal("I understand. That's above our budget for now.")

    def _no_budge(self) -> AgentTurn:
        """They said no to the counter and named no new price: their price stands."""
        if self._offer is None:
            return self._ask_price_again("I see. So what would you charge?")
        total = self._offer + self._fee + self._parts
        if self._budget is None or total <= self._budget:
            return self._accept(self._offer, self._offer_conditions)
        if self._pushes < _PUSHES_ABOVE:
            return self._push(self._offer, self._offer_conditions)
        return self._no_deal("I understand. That's above our budget for now.")

    def _next_counter(self, price: float, push: int) -> float | None:
        """The agent's next price, or None to ask for their best without naming one."""
        budget = self._budget
        other = self._other_quotes[0] if self._other_quotes else None
        if budget is None:
            if push == 1:
                counter = _round_down(_NO_BUDGET_CUT * price)
            elif other is not None and other < price:
                counter = other
            else:
                return None
            return counter if 0 < counter < price else None
        cap = budget - self._fee - self._parts  # the most the job itself may cost
        target = min(price, cap)
        last = self._counter
        if push == 1 or last is None:
            counter = min(
                _round_down(_ANCHOR * budget) - self._fee - self._parts,
                _round_down(_FIRST_CUT * price),
            )
            if self._range_low is not None:
                counter = min(counter, self._range_low)
        elif push == 2:
            counter = _round_down((last + target) / 2)
            if other is not None and last < other <= target:
                counter = other
        else:
            counter = cap
        if last is not None:
            counter = max(counter, last + 5)
        counter = min(counter, cap)
        if counter <= 0 or counter >= price:
            return None
        return counter

    def _push(self, price: float, conditions: list[str]) -> AgentTurn:
        """Ask for a lower price: anchor, then other quotes, then flexibility and the budget."""
        push = self._pushes + 1
        counter = self._next_counter(price, push)
        if counter is None and self._budget is not None:
            # Nothing left to offer below their price (or the fee eats the budget).
            if price + self._fee + self._parts <= self._budget:
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
        total = price + self._fee + self._parts
        if self._budget is not None and total > self._budget + 0.005:
            # Never agree above the budget, whatever led here.
            return self._no_deal("I understand. That's above our budget for now.")
        asks_parts = any(set(c.split()) & _PARTS_WORDS for c in conditions)
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
        return tuple(dict.fromkeys(_condition_said_back(c) for c in conditions))

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
        self._agreed, self._conditions = self._deal
        self._outcome = Outcome.AGREED
        lead = f"Okay, {self._restatement()}." if restate else "Perfect."
        return self._finish(f"{lead} {CLOSING_AGREED}")

    # Everything else the agent says.
    def _state_problem(self) -> AgentTurn:
        self._stage = Stage.CAN_HELP
        problem = _problem_sentence(self.provider.problem)
        return self._say(f"Great. I'm calling for a homeowner. {problem} Can you help with that?")

    def _ask_estimate(self) -> AgentTurn:
        self._stage = Stage.ESTIMATE
        return self._say("Great. Could you give me a rough price estimate for that?")

    def _ask_price_again(self, text: str) -> AgentTurn:
        self._price_asks += 1
        if self._price_asks > _MAX_PRICE_ASKS:
            return self._no_deal("Okay, I understand.")
        if self._stage is not Stage.NEGOTIATING:
            self._stage = Stage.ESTIMATE
        return self._say(text)

    def _pending(self) -> str:
        """The question the agent is waiting on an answer to."""
        if self._stage is Stage.IDENTITY:
            return f"Is this {self._name}?"
        if self._stage is Stage.CAN_HELP:
            return "Can you help with that?"
        if self._stage is Stage.PARTS:
            return "About how much would the parts be?"
        if self._stage is Stage.CONFIRMING and self._deal is not None:
            return f"So that's {spoken_dollars(self._deal[0])}, right?"
        if self._stage is Stage.NEGOTIATING and self._counter is not None:
            fee = f", plus the {self._fee_name}" if self._fee else ""
            return f"So, could you do {spoken_dollars(self._counter)}{fee}?"
        if self._stage is Stage.NEGOTIATING:
            return "So, what's your best price?"
        return "Could you give me a rough price for the job?"

    def _answer(self, heard: _Heard, then: Stage) -> AgentTurn:
        """Answer the provider's question, then ask the question pending."""
        words = heard.words
        if _has(words, *_BUDGET) and self._budget is not None and self._offer is None:
            # Asked for a budget before any price: anchor below it.
            counter = _round_down(_ANCHOR * self._budget)
            self._counter, self._pushes = counter, 1
            self._stage = Stage.NEGOTIATING
            return self._say(f"We're hoping to stay around {spoken_dollars(counter)}.")
        self._stage = then
        return self._say(f"{self._answer_text(words)} {self._pending()}")

    def _answer_text(self, words: list[str]) -> str:
        provider = self.provider
        asked = set(words)
        if asked & _ADDRESS_WORDS or (
            asked & {"where", "where's"} and not self._from_context(words)
        ):
            if provider.house_address:
                return f"It's at {provider.house_address}."
            if provider.zip_code:
                digits = " ".join(_ONES[int(d)] for d in provider.zip_code if d.isdigit())
                return f"It's in zip code {digits}."
            return "I'd have to check on that."
        if _has(words, *_BUDGET):
            return "We don't have a set budget. We're just looking for a fair price."
        if _has(words, *_SCHEDULE):
            return "We're flexible on timing, any day this week."
        if asked & _PROBLEM_WORDS or _has(words, "going on", "what do you need"):
            return _problem_sentence(provider.problem)
        return self._from_context(words) or "I'd have to check on that."

    def _from_context(self, words: list[str]) -> str | None:
        """The sentence of the job's context (or its problem) that best answers the question."""
        asked = _content(" ".join(words))
        # (what is matched, what is said): the answer alone is said, never its question
        candidates = answer_lines(self.provider.context_pairs)
        problem = _problem_sentence(self.provider.problem)
        candidates.append((problem, problem))
        best, score = None, 0
        for matched, said in candidates:
            overlap = len(asked & _content(matched))
            if overlap > score:
                best, score = said, overlap
        if best is None:
            return None
        shortened = " ".join(best.split()[:25])
        return shortened if shortened[-1] in ".!?" else shortened + "."

    def _unclear_turn(self) -> AgentTurn:
        self._understood = False
        self._unclear += 1
        if self._unclear == 1:
            return AgentTurn("Sorry, I didn't catch that. Could you say that again?")
        if self._unclear <= _MAX_REPEATS:
            return AgentTurn("Sorry, the line is bad. Could you repeat that?")
        self._unclear = 0
        self._checking = None
        # Move on as if the answer were the expected one, or close.
        if self._stage is Stage.IDENTITY:
            return self._state_problem()
        if self._stage is Stage.CAN_HELP:
            return self._ask_estimate()
        if self._stage is Stage.ESTIMATE:
            return self._no_deal("Sorry, the line is bad.")
        if self._stage is Stage.PARTS and self._offer is not None:
            return self._accept(self._offer, self._offer_conditions)
        if self._stage is Stage.CONFIRMING:
            return self._close_agreed()  # no "no" heard to the price said back
        return self._no_budge()

    def _say_again(self) -> AgentTurn:
        self._repeats += 1
        if self._repeats > _MAX_REPEATS or not self._last_said:
            return self._no_deal("Sorry, the line is bad.")
        return AgentTurn(self._last_said)

    def _no_deal(self, lead: str) -> AgentTurn:
        self._outcome = Outcome.NO_AGREEMENT
        return self._finish(f"{lead} {CLOSING_NO_AGREEMENT}".strip())

    def _finish(self, text: str) -> AgentTurn:
        self._stage = Stage.DONE
        return self._say(text, hang_up=True)

    def _say(self, text: str, *, hang_up: bool = False) -> AgentTurn:
        self._last_said = text
        return AgentTurn(text, hang_up=hang_up)
