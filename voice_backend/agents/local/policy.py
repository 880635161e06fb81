"""The local agent's negotiation policy: what to say next, given what the provider just said.

Text in, text out. The local voice agent hears the provider (VAD, speech recognition), hands the
words to `NegotiationPolicy.reply`, and speaks the `AgentTurn` it gets back; this module never
sees audio. It follows the original prompt's strategy (`voice_backend/prompt.py`): open with
"Hi, is this {name}?", state the problem, ask whether they can help and for an estimate, anchor
below the budget, cite other quotes, offer flexibility on the day, never agree above the budget,
and end with one of the prompt's two closings.

This module is the conversation: the call's stages and what the agent says at each. The moves
on a price are `Bargain`'s (`bargain.py`), how the provider is heard is `hearing.py`'s, the
answers to their questions about the job are `answers.py`'s.
"""

from __future__ import annotations

from shared.models import Outcome
from shared.money import spoken_dollars
from shared.words import has
from voice_backend.agents.base import WrapUp
from voice_backend.agents.local.answers import answer_text, problem_sentence
from voice_backend.agents.local.bargain import Bargain
from voice_backend.agents.local.budget import ANCHOR, round_down
from voice_backend.agents.local.hearing import Heard, hear, is_question, looks_like_voicemail
from voice_backend.agents.local.phrases import (
    AI_WORDS,
    BUDGET,
    BYE,
    CAN_HELP,
    HOLD,
    IDENTITY_SIGNS,
    PRESENCE,
    REPEAT_PLEASE,
    VAGUE,
    WRONG_NUMBER,
)
from voice_backend.agents.local.state import AgentTurn, PolicyState, Stage
from voice_backend.speech.expect import Expect

__all__ = [
    "AgentTurn",
    "NegotiationPolicy",
    "PolicyState",
    "Stage",
    "WrapUp",
    "looks_like_voicemail",
]

#: What the provider is likely to say next, at each stage (the recogniser leans towards it).
_EXPECTING = {
    Stage.START: Expect.GREETING,
    Stage.IDENTITY: Expect.IDENTITY,
    Stage.CAN_HELP: Expect.JOB,
    Stage.ESTIMATE: Expect.PRICE,
    Stage.NEGOTIATING: Expect.HAGGLE,
    Stage.PARTS: Expect.PRICE,
    Stage.CONFIRMING: Expect.CONFIRM,
    Stage.DONE: Expect.ANYTHING,
}

#: Times in a row the agent asks the provider to say it again (or says its line again word for
#: word) before it moves on, rephrases, or offers to call back.
_MAX_REPEATS = 1
#: Times in a row the agent checks a price that did not sound right before it lets it go.
_MAX_CHECKS = 2


class NegotiationPolicy(Bargain):
    """The agent's side of one call to `provider`, turn by turn, deterministic.

    Call `opening()` when the call connects (or pass the provider's greeting to `reply`, which
    answers it with the opening, or hangs up on a voicemail), then `reply(heard)` with each
    thing the provider says, as speech recognition gives it. `on_silence()` when the provider
    has gone quiet, `wrap_up(reason)` when the call must end. A turn with `hang_up` is the
    last: the agent hangs up once it has been said.

    `other_quotes` are prices other providers gave for the same job; the agent cites the
    lowest when it pushes.
    """

    @property
    def expecting(self) -> Expect:
        """What the provider is likely to say next (their greeting, a yes, a price…)."""
        if self._checking is not None:
            return Expect.CONFIRM
        return _EXPECTING[self._stage]

    @property
    def opening_line(self) -> str:
        """What `opening` will say (known before the call: its audio can be made ahead)."""
        return f"Hi, is this {self._name}?"

    # The turns.
    def opening(self) -> AgentTurn:
        """The first line: "Hi, is this {name}?"."""
        self._stage = Stage.IDENTITY
        return self._say(self.opening_line)

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
        heard_ = hear(heard, reference)
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
        return self.wrap_up(WrapUp.SILENCE)

    def wrap_up(self, reason: WrapUp = WrapUp.TIME) -> AgentTurn:
        """The call must end now (time or silence limit): the closing, following the rules.

        A price already taken (said back, or waiting on what the parts add) is closed on;
        anything else ends without a deal."""
        if self._stage is Stage.DONE:
            return AgentTurn("", hang_up=True)
        if self._stage is Stage.PARTS and self._offer is not None:
            self._deal = (self._offer, self._said_back(self._offer_conditions))
        if self._stage in (Stage.PARTS, Stage.CONFIRMING) and self._deal is not None:
            return self._close_agreed(restate=True)
        lead = "I'll let you go." if reason == WrapUp.SILENCE else "Sorry, I have to run."
        return self._no_deal(lead)

    # Reading the provider.
    def _react(self, heard: Heard) -> AgentTurn:
        words, reading = heard.words, heard.reading
        if not words:
            return self._unclear_turn()
        if reading.decline:  # they do not do this job: not a failed negotiation
            turn = self._no_deal("Okay, no problem.")
            self._outcome = Outcome.DECLINED
            return turn
        if not heard.any_price:
            if has(words, *REPEAT_PLEASE) or words in (["what"], ["sorry"], ["huh"]):
                return self._say_again()
            if has(words, *BYE):
                return self._no_deal("Okay.")
            if has(words, *HOLD):
                return AgentTurn("Sure, take your time.")
            if self._silences == 0 and set(words) <= PRESENCE and "here" in words:
                return self._say(self._pending())  # back after a nudge
        self._repeats = 0
        if self._checking is not None:
            return self._on_price_check(heard)
        if set(words) & AI_WORDS and is_question(words, heard.tokens):
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

    def _on_identity(self, heard: Heard) -> AgentTurn:
        words = heard.words
        if has(words, *WRONG_NUMBER) or words in (["no"], ["nope"]):
            self._outcome = Outcome.NO_AGREEMENT
            return self._finish("Sorry, I must have the wrong number. Have a good day.")
        asks = is_question(words, heard.tokens)
        if asks and not set(words) & (self._name_words | IDENTITY_SIGNS) and not heard.any_price:
            # Straight to a question about the job ("how old is the toilet?"): it is them, and
            # the question gets its answer with the job.
            return self._state_problem(answer=answer_text(self.provider, words))
        if set(words) & (self._name_words | IDENTITY_SIGNS) or heard.reading.accept_weak or asks:
            return self._state_problem()
        return self._unclear_turn()

    def _on_can_help(self, heard: Heard) -> AgentTurn:
        reading = heard.reading
        if heard.any_price:
            return self._on_price(heard)
        if is_question(heard.words, heard.tokens):
            return self._answer(heard, then=Stage.ESTIMATE)
        if has(heard.words, *VAGUE) or (
            (reading.accept_weak or has(heard.words, *CAN_HELP)) and not reading.negative
        ):
            return self._ask_estimate()
        if reading.negative:
            return self._no_deal("Okay, no problem.")
        return self._unclear_turn()

    def _on_estimate(self, heard: Heard) -> AgentTurn:
        reading = heard.reading
        if heard.any_price:
            return self._on_price(heard)
        if is_question(heard.words, heard.tokens):
            return self._answer(heard, then=Stage.ESTIMATE)
        if has(heard.words, *VAGUE) or reading.accept_weak or reading.negative or reading.hedge:
            return self._ask_price_again("I understand. Just a rough ballpark is fine.")
        return self._unclear_turn()

    def _on_negotiating(self, heard: Heard) -> AgentTurn:
        reading = heard.reading
        if heard.any_price or heard.parts is not None:
            return self._on_price(heard)
        if reading.defer and not reading.accept_strong:
            return self._no_deal("Sure.")  # "let me talk to my boss and call you back"
        if reading.accept_strong and not reading.negative and self._counter is not None:
            return self._accept(self._counter, reading.conditions)
        if is_question(heard.words, heard.tokens):
            return self._answer(heard, then=Stage.NEGOTIATING)
        if reading.accept_weak and not reading.negative:
            if self._counter is not None:
                return self._accept(self._counter, reading.conditions)
            return self._ask_price_again("Great. What would that come to?")
        if reading.negative or reading.hedge:
            return self._no_budge()
        return self._unclear_turn()

    def _on_price_check(self, heard: Heard) -> AgentTurn:
        """Their answer to "just to confirm, did you say …?"."""
        assert self._checking is not None
        (asked, conditions), self._checking = self._checking, None
        reading = heard.reading
        if heard.prices:
            said = heard.prices[-1][0]
            if abs(said - asked) < 0.5 and reading.negative and self._offer is not None:
                # "Sorry, forty is my price": the same words misheard the same way again
                # ("four fifty"), said as a refusal; not a yes to a price nobody asks for.
                return self._no_budge()
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

    def _on_deal_said_back(self, heard: Heard) -> AgentTurn:
        """Their answer to the deal said back."""
        assert self._deal is not None
        price = self._deal[0]
        reading = heard.reading
        if heard.fee is not None and abs(heard.fee - self._fee) >= 0.5 and not reading.negative:
            # "yep, plus the thirty dollar trip charge": the fee put right is part of the deal
            self._note_fee(heard.fee, heard.words)
            if self._budget is not None and self._total(price) > self._budget:
                return self._no_deal("I see. With the fee that's above our budget for now.")
            return self._close_agreed(restate=True)
        if heard.prices:
            said = heard.prices[-1][0]
            if abs(said - price) < 0.5:
                return self._close_agreed()  # "yeah, one forty"
            # Not the price the agent heard: back to the haggle with what they say now.
            self._deal, self._stage = None, Stage.NEGOTIATING
            return self._consider(said, reading.conditions, refusing=True)
        if (reading.accept_weak or reading.accept_strong) and not reading.negative:
            return self._close_agreed()
        if reading.negative:
            self._deal, self._stage = None, Stage.NEGOTIATING
            return self._say("Sorry, I must have misheard. What's your price?")
        if is_question(heard.words, heard.tokens):
            return self._answer(heard, then=Stage.CONFIRMING)
        return self._unclear_turn()

    def _on_parts(self, heard: Heard) -> AgentTurn:
        assert self._offer is not None
        amounts = [p for p, _ in heard.prices if p != self._offer]
        parts = heard.parts if heard.parts is not None else (amounts[-1] if amounts else None)
        if parts is None:
            return self._accept(self._offer, self._offer_conditions)
        self._parts = parts
        self._stage = Stage.NEGOTIATING
        return self._decide(self._offer, self._offer_conditions, previous=self._offer)

    # Everything else the agent says.
    def _state_problem(self, answer: str | None = None) -> AgentTurn:
        problem = problem_sentence(self.provider.problem)
        if answer is not None:
            self._stage = Stage.ESTIMATE
            return self._say(
                f"I'm calling for a homeowner. {problem} {answer} "
                "Could you give me a rough price for the job?"
            )
        self._stage = Stage.CAN_HELP
        return self._say(f"Great. I'm calling for a homeowner. {problem} Can you help with that?")

    def _ask_estimate(self) -> AgentTurn:
        self._stage = Stage.ESTIMATE
        return self._say("Great. Could you give me a rough price estimate for that?")

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

    def _answer(self, heard: Heard, then: Stage) -> AgentTurn:
        """Answer the provider's question, then ask the question pending."""
        words = heard.words
        if has(words, *BUDGET) and self._budget is not None and self._offer is None:
            # Asked for a budget before any price: anchor below it.
            counter = round_down(ANCHOR * self._budget)
            self._counter, self._pushes = counter, 1
            self._stage = Stage.NEGOTIATING
            return self._say(f"We're hoping to stay around {spoken_dollars(counter)}.")
        self._stage = then
        return self._say(f"{answer_text(self.provider, words)} {self._pending()}")

    def _unclear_turn(self) -> AgentTurn:
        """Nothing usable heard: ask once to hear it again, then move on as if the expected
        answer had come (or, where there is no moving on, offer to call back)."""
        self._understood = False
        self._unclear += 1
        if self._unclear <= _MAX_REPEATS:
            return AgentTurn("Sorry, I didn't catch that. Could you say that again?")
        if self._stage is Stage.ESTIMATE and self._unclear == _MAX_REPEATS + 1:
            return AgentTurn(self._rephrased())  # the price asked for in other words, once
        self._unclear = 0
        self._checking = None
        # Move on as if the answer were the expected one, or close.
        if self._stage is Stage.IDENTITY:
            return self._state_problem()
        if self._stage is Stage.CAN_HELP:
            return self._ask_estimate()
        if self._stage is Stage.ESTIMATE:
            return self._call_back()
        if self._stage is Stage.PARTS and self._offer is not None:
            return self._accept(self._offer, self._offer_conditions)
        if self._stage is Stage.CONFIRMING:
            return self._close_agreed()  # no "no" heard to the price said back
        return self._no_budge()

    def _say_again(self) -> AgentTurn:
        """They did not hear us: the line once more word for word, then in other words, then
        an offer to call back rather than a third try."""
        self._repeats += 1
        if self._repeats > _MAX_REPEATS + 1 or not self._last_said:
            return self._call_back()
        if self._repeats == 1:
            return AgentTurn(self._last_said)
        return AgentTurn(self._rephrased())

    def _rephrased(self) -> str:
        """The question pending, in other (shorter) words."""
        if self._stage is Stage.IDENTITY:
            return f"I'm trying to reach {self._name}. Is that you?"
        if self._stage is Stage.CAN_HELP:
            problem = problem_sentence(self.provider.problem)
            return f"It's a repair at a house. {problem} Do you do that kind of work?"
        if self._stage is Stage.ESTIMATE:
            return "About how much would you charge for that job?"
        if self._stage is Stage.NEGOTIATING and self._counter is not None:
            return f"Would {spoken_dollars(self._counter)} work for you?"
        return self._pending()

    def _call_back(self) -> AgentTurn:
        """The line is too bad to go on: offer to call back, and end without a deal."""
        return self._no_deal("Sorry, the line is bad.")
