"""A simulated provider on a call, text in and text out.

`PersonaMind` hears the agent's words as speech recognition gives them (lowercase, no
punctuation, sometimes garbled), so it goes by keywords, and it says its next line. Audio is the
simulated phone's business (Piper speaks the lines, Whisper hears the agent), not this
module's.

A persona is deterministic: its wording varies only with its `seed`.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from enum import StrEnum

from pricing.reading import Kind, read_turn
from pricing.tokens import tokenize
from shared.money import price_shorthand, spoken_number
from shared.words import has, phrases, plain_words, word_set
from voice_backend.sim.job_words import the_thing
from voice_backend.sim.persona import Concession, Persona, PersonaKind
from voice_backend.speech.expect import Expect

__all__ = ["PersonaMind", "PersonaTurn"]


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
#: The agent saying the deal back for a yes ("so we will go with …, is that right?").
_SAID_BACK = phrases("is that right; go with; so that's; so that is")
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
    """A persona on one call about `job` (the job's problem, when known): `greeting()` when it
    picks up, then `reply(heard)` to each thing the agent says. `price` is its current asking
    price, `agreed_price` what it agreed to bill once the agent closed on it (the job's price
    and its trip charge)."""

    def __init__(self, persona: Persona, *, job: str | None = None) -> None:
        self.persona = persona
        self._rng = random.Random(persona.seed)
        thing = the_thing(job)
        self._questions = [question.replace("{thing}", thing) for question in persona.questions]
        self._step = _Step.GREETED
        self._price: float | None = None
        self._accepted: float | None = None
        self._price_asked = False
        self._confused = 0
        self._declined = False
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
            if self._declined:  # asked again, rather than a goodbye
                return self._hang_up("Sorry, we can't help you with that. Bye.")
            # It waits for the caller's goodbye, as people do, rather than hang up on its
            # own words (the caller would not hear the end of them).
            self._declined = True
            return self._say(persona.decline_line or "Sorry, we don't do that kind of work.")
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
            return self._answer_offer(offer, heard)
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

    def _answer_offer(self, offer: float, heard: str) -> PersonaTurn:
        persona = self.persona
        lowest = persona.lowest_price
        current = self._current()
        assert lowest is not None
        said_back = has(_words(heard), *_SAID_BACK)  # not "did you say one forty?"
        if self._accepted is not None and abs(offer - self._accepted) < 0.5:
            return self._say(self._deal_said_back(heard) if said_back else "Yep, that's right.")
        if offer >= current and said_back:
            # its own price said back as the deal: its yes, with the trip charge put right
            self._accepted = current
            return self._say(self._deal_said_back(heard))
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

    def _deal_said_back(self, heard: str) -> str:
        """Its yes to the deal said back ("so we will go with …, is that right?"), putting its
        trip charge right when the agent left it out or got its amount wrong (as a
        tradesperson would: it is part of the bill)."""
        fee = self.persona.trip_fee
        if not fee:
            return "Yep, that's right."
        said = read_turn("assistant", heard)
        if any(abs(m.value - fee) < 0.5 for m in said.mentions if m.kind is Kind.FEE):
            return "Yep, that's right."
        return f"Yep, plus the {spoken_number(round(fee))} dollar trip charge."

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
            # The deal is the price it said yes to; without one, a price named in the closing,
            # else its own price on the table. (A closing names no price as a rule: a number
            # heard in it is more likely a misheard word than a new offer.)
            named = self._offer_in(heard)
            price = self._accepted
            if price is None:
                price = named if named is not None else self._price
            if price >= lowest:
                # what it will bill: the job, and its trip charge on top
                self.agreed_price = price + (self.persona.trip_fee or 0)
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
