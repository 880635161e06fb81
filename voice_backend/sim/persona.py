"""Simulated providers: who picks up the phone in the offline mode, and how they haggle.

A `Persona` is a provider's character, read from a TOML file in `personas/` (users edit them):
the business and who answers, whether anyone picks up at all, the opening quote, the lowest
price it takes and how it gets there, the questions it asks about the job, and hints for the
voice that speaks it. `PersonaMind` is that character on a call, text in and text out: it hears
the agent's words as speech recognition gives them (lowercase, no punctuation, sometimes
garbled), so it goes by keywords, and it says its next line. Audio is the simulated phone's
business (eSpeak NG speaks the lines, pocketsphinx hears the agent), not this module's.

A persona is deterministic: its wording varies only with its `seed`.
"""

from __future__ import annotations

import math
import random
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pricing.numbers import tokenize
from pricing.reading import Kind, read_turn
from shared.money import price_shorthand, spoken_number
from shared.words import has, phrases, plain_words, word_set
from voice_backend.speech.expect import Expect

__all__ = [
    "PERSONA_DIR",
    "Concession",
    "Persona",
    "PersonaError",
    "PersonaKind",
    "PersonaMind",
    "PersonaTurn",
    "load_persona",
    "load_personas",
]

#: Where the personas shipped with Haggle live; `load_personas()` reads them by default.
PERSONA_DIR = Path(__file__).with_name("personas")


class PersonaKind(StrEnum):
    """What happens when the persona's number is called."""

    HUMAN = "human"  # picks up and haggles
    NO_ANSWER = "no_answer"  # rings out
    BUSY = "busy"  # busy signal
    VOICEMAIL = "voicemail"  # a greeting, then a recorder that says nothing
    DECLINES = "declines"  # picks up, then turns the job down and hangs up


class Concession(StrEnum):
    """How a human persona comes down from its opening quote."""

    FIRM = "firm"  # never below its opening quote
    SPLIT = "split"  # meets a counter-offer halfway, never below its floor
    CONDITION = "condition"  # drops to its floor, with its condition attached


class Persona(BaseModel):
    """A simulated provider, as written in its TOML file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="The business: `Ace Plumbing`.")
    contact: str | None = Field(default=None, description="Who answers: `Joe`.")
    kind: PersonaKind = PersonaKind.HUMAN
    description: str | None = Field(default=None, description="What it is for, for people.")
    opening_quote: float | None = Field(default=None, gt=0, description="Its first job price.")
    floor: float | None = Field(default=None, gt=0, description="The lowest job price it takes.")
    concession: Concession = Concession.SPLIT
    condition: str | None = Field(default=None, description="`if I come this afternoon`.")
    questions: list[str] = Field(default_factory=list, description="Asked before it quotes.")
    trip_fee: float | None = Field(default=None, ge=0, description="Charged on top of the job.")
    voicemail_greeting: str | None = None
    decline_line: str | None = Field(default=None, description="What a `declines` persona says.")
    voice: str = Field(default="en-us", min_length=1, description="eSpeak NG voice name.")
    speaking_rate: int = Field(default=160, ge=80, le=450, description="Words per minute.")
    pitch: int = Field(default=50, ge=0, le=99, description="eSpeak NG pitch, 0 to 99.")
    seed: int = 0

    @model_validator(mode="after")
    def _consistent(self) -> Persona:
        if self.kind in (PersonaKind.HUMAN,):
            if self.opening_quote is None:
                raise ValueError("opening_quote: required for a human persona")
            if self.floor is None and self.concession is not Concession.FIRM:
                raise ValueError(f"floor: required for a {self.concession} persona")
        if self.floor is not None and self.opening_quote is not None:
            if self.floor > self.opening_quote:
                raise ValueError(
                    f"floor: {self.floor:g} is above opening_quote {self.opening_quote:g}"
                )
            if self.concession is Concession.FIRM and self.floor < self.opening_quote:
                raise ValueError(
                    "floor: a firm persona never goes below its opening_quote "
                    "(leave floor out, or set it to opening_quote)"
                )
        if self.concession is Concession.CONDITION and not (self.condition or "").strip():
            raise ValueError("condition: required when concession is 'condition'")
        return self

    @property
    def answers(self) -> bool:
        """Whether anyone (or a voicemail) picks up."""
        return self.kind not in (PersonaKind.NO_ANSWER, PersonaKind.BUSY)

    @property
    def lowest_price(self) -> float | None:
        """The lowest job price it ever agrees to (None when it never quotes)."""
        if self.concession is Concession.FIRM:
            return self.opening_quote
        return self.floor

    @property
    def greeting_text(self) -> str:
        """What it says on picking up ("" when nobody picks up)."""
        if self.kind is PersonaKind.VOICEMAIL:
            return self.voicemail_greeting or (
                f"Hi, you've reached {self.name}. We can't come to the phone right now. "
                "Please leave a message after the beep."
            )
        if not self.answers:
            return ""
        if self.contact:
            return f"{self.name}, this is {self.contact}."
        return f"{self.name}, how can I help you?"


class PersonaError(ValueError):
    """A persona file that cannot be used; the message is one line naming the file and field."""


def _describe(error: ValidationError) -> str:
    parts = []
    for detail in error.errors():
        where = ".".join(str(part) for part in detail["loc"])
        message = str(detail["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts).replace("\n", " ")


def load_persona(path: str | Path) -> Persona:
    """One persona file; raises `PersonaError` naming the file and the field at fault."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PersonaError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PersonaError(f"{path}: not valid TOML: {exc}") from None
    try:
        return Persona.model_validate(data)
    except ValidationError as exc:
        raise PersonaError(f"{path}: {_describe(exc)}") from None


def load_personas(directory: str | Path | None = None) -> dict[str, Persona]:
    """Every `*.toml` persona in `directory` (default: the shipped ones), by file name stem."""
    folder = Path(directory) if directory is not None else PERSONA_DIR
    if not folder.is_dir():
        raise PersonaError(f"{folder}: not a directory of persona files")
    return {path.stem: load_persona(path) for path in sorted(folder.glob("*.toml"))}


@dataclass(frozen=True)
class PersonaTurn:
    """What the persona says next (None: nothing), and whether it hangs up after."""

    text: str | None
    hang_up: bool = False


class _Step(StrEnum):
    GREETED = "greeted"  # said its greeting; the agent asks who it is
    IDENTIFIED = "identified"  # said who it is; the agent describes the job
    ASKING = "asking"  # asked one of its questions
    READY = "ready"  # said it can help
    QUOTED = "quoted"  # named a price: haggling


#: What the agent says after each of the persona's steps.
_EXPECTING = {
    _Step.GREETED: Expect.IDENTITY,  # "Hi, is this …?"
    _Step.IDENTIFIED: Expect.JOB,  # the job, and can you help
    _Step.ASKING: Expect.ANSWER,  # the answer to its question
    _Step.READY: Expect.PRICE,  # "could you give me a rough price?"
    _Step.QUOTED: Expect.HAGGLE,  # counters, the deal, the goodbye
}

# Keywords for what the agent said.
_CLOSING = phrases(
    "reach out; call you back; think about it; thank you for your help; thanks for your help; "
    "thank you for the info; have a good day; goodbye; bye; wrong number"
)
_AGREED_CLOSING = phrases("reach out; thank you for your help; thanks for your help")
_STILL_THERE = phrases("still there; are you there; you there")
_REPEAT = phrases(
    "say that again; repeat that; didn't catch; didnt catch; come again; what was that; pardon"
)
_PRICE_ASK = word_set("price estimate cost charge quote ballpark total much")
_PUSH = phrases(
    "best price; your best; lower; better price; discount; other quote; other quotes; another "
    "quote; cheaper; come down; budget; too much; too high; more than i was hoping; match"
)
_IDENTITY_ASK = word_set("is this hi hello hey speaking")
_PARTS_ASK = word_set("parts materials")


def _words(text: str) -> list[str]:
    return plain_words(tokenize(text))


def _round5(value: float) -> float:
    return float(math.floor(value / 5 + 0.5) * 5)


def _spoken_price(value: float, rng: random.Random) -> str:
    """A price the way people say it on the phone: `one fifty five`, `two hundred bucks`."""
    whole = round(value)
    if 100 < whole < 2000 and whole % 100:
        shorthand = price_shorthand(whole)
        return rng.choice(
            [shorthand, shorthand, f"{spoken_number(whole)} dollars", f"{shorthand} bucks"]
        )
    if whole < 100:
        return f"{spoken_number(whole)} dollars"
    return rng.choice([spoken_number(whole), f"{spoken_number(whole)} dollars"])


class PersonaMind:
    """A persona on one call: `greeting()` when it picks up, then `reply(heard)` to each thing
    the agent says. `price` is its current asking price, `agreed_price` the price it agreed to
    once the agent closed on it."""

    def __init__(self, persona: Persona) -> None:
        self.persona = persona
        self._rng = random.Random(persona.seed)
        self._questions = list(persona.questions)
        self._step = _Step.GREETED
        self._price: float | None = None
        self._accepted: float | None = None
        self._price_asked = False
        self._confused = 0
        self._last = ""
        self.agreed_price: float | None = None
        self.hung_up = False

    @property
    def answers(self) -> bool:
        """Whether anyone (or a voicemail) picks up."""
        return self.persona.answers

    @property
    def price(self) -> float | None:
        """Its current asking price (None before it quotes)."""
        return self._price

    @property
    def expecting(self) -> Expect:
        """What the agent is likely to say next (the persona's recogniser leans towards it)."""
        return _EXPECTING[self._step]

    def greeting(self) -> str:
        """What it says on picking up ("" when nobody picks up)."""
        self._last = self.persona.greeting_text
        return self._last

    def reply(self, heard: str) -> PersonaTurn:
        """Its answer to what the agent just said (as speech recognition heard it)."""
        persona = self.persona
        if self.hung_up:
            return PersonaTurn(None, hang_up=True)
        if not persona.answers:
            self.hung_up = True
            return PersonaTurn(None, hang_up=True)
        if persona.kind is PersonaKind.VOICEMAIL:
            return PersonaTurn(None)  # a recorder: it listens and says nothing
        words = _words(heard)
        if not words:
            return PersonaTurn(None)
        if has(words, *_CLOSING):
            return self._goodbye(heard, words)
        if has(words, *_STILL_THERE):
            return self._say("Yeah, I'm here.")
        if has(words, *_REPEAT) and self._last:
            return self._say(self._last)
        if self._step is _Step.GREETED:
            self._step = _Step.IDENTIFIED
            if set(words) & (_IDENTITY_ASK | set(_words(persona.name))):
                return self._say(self._identify())
        if persona.kind is PersonaKind.DECLINES:
            line = persona.decline_line or "Sorry, we don't do that kind of work."
            return self._hang_up(line)
        if self._step is _Step.QUOTED:
            return self._haggle(heard, words)
        if set(words) & _PARTS_ASK:
            return self._say("Hard to say until I see it. Usually not much.")
        if set(words) & _PRICE_ASK:
            self._price_asked = True
        if self._step in (_Step.IDENTIFIED, _Step.ASKING):
            return self._next_question_or_quote()
        if self._step is _Step.READY and self._price_asked:
            return self._quote()
        return self._confused_turn()

    # Before the price.
    def _identify(self) -> str:
        contact = self.persona.contact
        options = ["Yeah, speaking.", "Yes it is. How can I help?"]
        if contact:
            options += [
                f"Yes, this is {contact}.",
                f"Yeah, this is {contact}. What can I do for you?",
            ]
        return self._rng.choice(options)

    def _next_question_or_quote(self) -> PersonaTurn:
        if self._questions:
            self._step = _Step.ASKING
            return self._say(self._questions.pop(0))
        if self._price_asked:
            return self._quote()
        self._step = _Step.READY
        return self._say(
            self._rng.choice(["Yeah, we can take care of that.", "Sure, we do that all the time."])
        )

    def _quote(self) -> PersonaTurn:
        persona = self.persona
        assert persona.opening_quote is not None
        self._price = persona.opening_quote
        self._step = _Step.QUOTED
        price = self._money(self._price)
        text = self._rng.choice(
            [f"We can do that for {price}.", f"That would be {price}.", f"For that it's {price}."]
        )
        if persona.trip_fee:
            text += f" Plus a {spoken_number(round(persona.trip_fee))} dollar trip charge."
        return self._say(text)

    # The haggling.
    def _haggle(self, heard: str, words: list[str]) -> PersonaTurn:
        offer = self._offer_in(heard)
        if offer is not None:
            return self._answer_offer(offer)
        if has(words, *_PUSH):
            return self._concede()
        if set(words) & _PARTS_ASK:
            return self._say("Hard to say until I see it. Usually not much.")
        if set(words) & _PRICE_ASK:
            return self._say(f"Like I said, {self._money(self._current())}.")
        return self._confused_turn()

    def _offer_in(self, heard: str) -> float | None:
        """The job price the agent proposes: the last one it names."""
        reading = read_turn("assistant", heard)
        reference = self._current()
        offers = []
        for mention in reading.mentions:
            if mention.negated:
                continue
            if mention.kind is Kind.TOTAL:
                offers.append(mention.value)
            elif mention.kind is Kind.SHORT and 0.5 <= mention.value * 100 / reference <= 1.5:
                offers.append(mention.value * 100)
        return offers[-1] if offers else None

    def _answer_offer(self, offer: float) -> PersonaTurn:
        persona = self.persona
        lowest = persona.lowest_price
        current = self._current()
        assert lowest is not None
        if self._accepted is not None and abs(offer - self._accepted) < 0.5:
            return self._say("Yep, that's right.")  # the deal said back
        if offer >= current:
            return self._accept(current)
        if offer >= lowest:
            return self._accept(offer)
        if persona.concession is Concession.FIRM:
            return self._hold()
        if persona.concession is Concession.CONDITION:
            if current > lowest:
                self._price = lowest
                return self._say(
                    f"I can't do {self._money(offer)}, but I could do "
                    f"{self._money(lowest)} {persona.condition}."
                )
            return self._hold()
        halfway = max(lowest, _round5((current + offer) / 2))
        if halfway >= current:
            return self._hold()
        self._price = halfway
        return self._say(
            self._rng.choice(
                [
                    f"No, I can't go that low. Best I can do is {self._money(halfway)}.",
                    f"That's too low for me. I could do {self._money(halfway)}.",
                ]
            )
        )

    def _concede(self) -> PersonaTurn:
        """Asked for a better price without a number."""
        persona = self.persona
        lowest, current = persona.lowest_price, self._current()
        assert lowest is not None
        if persona.concession is Concession.FIRM or current <= lowest:
            return self._hold()
        if persona.concession is Concession.CONDITION:
            self._price = lowest
            return self._say(f"I could do {self._money(lowest)} {persona.condition}.")
        self._price = max(lowest, _round5(current - (current - lowest) / 2))
        return self._say(f"Alright, I could do {self._money(self._price)}.")

    def _hold(self) -> PersonaTurn:
        price = self._money(self._current())
        if self._conditional():
            return self._say(f"Sorry, {price} {self.persona.condition}. That's the best I can do.")
        return self._say(
            self._rng.choice(
                [
                    f"Sorry, {price} is my price.",
                    f"{price} is the lowest I can go.",
                ]
            )
        )

    def _accept(self, price: float) -> PersonaTurn:
        self._accepted = self._price = price
        condition = f" {self.persona.condition}" if self._conditional() else ""
        spoken = self._money(price)
        return self._say(
            self._rng.choice(
                [
                    f"Yeah, I can do {spoken}{condition}.",
                    f"Alright, {spoken} works{condition}.",
                    f"Okay, you got it, {spoken}{condition}.",
                ]
            )
        )

    def _conditional(self) -> bool:
        """Whether its current price comes with its condition (below the opening quote)."""
        persona = self.persona
        return (
            persona.concession is Concession.CONDITION
            and persona.opening_quote is not None
            and self._current() < persona.opening_quote
        )

    def _current(self) -> float:
        assert self._price is not None
        return self._price

    # The end.
    def _goodbye(self, heard: str, words: list[str]) -> PersonaTurn:
        lowest = self.persona.lowest_price
        if has(words, *_AGREED_CLOSING) and self._price is not None and lowest is not None:
            # No price named: the deal is the one on the table, its own price.
            named = self._offer_in(heard)
            price = named if named is not None else self._price
            if price is not None and price >= lowest:
                self.agreed_price = price
        if self.agreed_price is not None:
            return self._hang_up("Sounds good, talk to you soon. Bye.")
        return self._hang_up("Alright, no problem. Bye.")

    def _confused_turn(self) -> PersonaTurn:
        self._confused += 1
        if self._confused > 2:
            return self._hang_up("Sorry, I can't hear you. Bye.")
        return PersonaTurn("Sorry, what was that?")

    def _hang_up(self, text: str) -> PersonaTurn:
        self.hung_up = True
        return PersonaTurn(text, hang_up=True)

    def _say(self, text: str) -> PersonaTurn:
        text = text[:1].upper() + text[1:]
        self._last = text
        self._confused = 0
        return PersonaTurn(text)

    def _money(self, value: float) -> str:
        return _spoken_price(value, self._rng)
