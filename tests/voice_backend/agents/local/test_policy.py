"""The local agent's negotiation policy, decided on transcripts: what it says to each thing a
provider says, as speech recognition would hand it over (lowercase, no punctuation)."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from pricing.offline import OfflinePriceExtractor
from pricing.reading import read_turn
from shared.models import Outcome, Provider, TranscriptTurn
from shared.money import spoken_dollars
from voice_backend.agents.base import WrapUp
from voice_backend.agents.local import (
    AgentTurn,
    NegotiationPolicy,
    Stage,
    looks_like_voicemail,
)
from voice_backend.prompt import CLOSING_AGREED, CLOSING_NO_AGREEMENT

CONTEXT = (
    "The toilet is about ten years old. It runs all the time and the handle is loose.\n"
    "Q: Which bathroom? A: The upstairs one."
)


def provider(**changes: object) -> Provider:
    fields: dict[str, object] = {
        "id": 1,
        "job_id": "job-1",
        "service_provider": "Ace Plumbing",
        "phone_number": "+14155550100",
        "created_at": datetime(2025, 1, 1, tzinfo=UTC),
        "problem": "my toilet keeps running",
        "zip_code": "94110",
        "max_price": 150.0,
        "context_answers": CONTEXT,
    }
    fields.update(changes)
    return Provider.model_validate(fields)


class Call:
    """A policy on a call, with the transcript as the offline reader will see it."""

    def __init__(self, **changes: object) -> None:
        other_quotes = changes.pop("other_quotes", None)
        assert other_quotes is None or isinstance(other_quotes, list)
        self.policy = NegotiationPolicy(provider(**changes), other_quotes=other_quotes)
        self.turns: list[TranscriptTurn] = []
        self.last = self._agent(self.policy.opening())

    def _agent(self, turn: AgentTurn) -> AgentTurn:
        if turn.text:
            self.turns.append(TranscriptTurn(role="assistant", text=turn.text))
        return turn

    def say(self, *lines: str) -> AgentTurn:
        """The provider says each line in turn; the agent's answer to the last one."""
        for line in lines:
            assert not self.last.hang_up, f"the agent already hung up: {self.last.text!r}"
            self.turns.append(TranscriptTurn(role="user", text=line))
            self.last = self._agent(self.policy.reply(line))
        return self.last

    def to_price(self) -> AgentTurn:
        """Through the identity check and the problem, up to the estimate request."""
        self.say("yeah this is joe")
        return self.say("yeah we can help with that")

    def read(self) -> float | None:
        return OfflinePriceExtractor().read(self.turns).agreed_price


def closes(turn: AgentTurn, *, agreed: bool) -> bool:
    closing = CLOSING_AGREED if agreed else CLOSING_NO_AGREEMENT
    return turn.hang_up and turn.text.endswith(closing)


def agree(
    call: Call, turn: AgentTurn, price: float, answer: str = "yep that's right", *, fee: float = 0
) -> str:
    """The agent says the deal back (the job's `price`, then any `fee` on top), and closes on
    it once the provider says yes, at the price plus the fee; the deal as it was said back."""
    assert not turn.hang_up and turn.text.endswith("Is that right?"), turn.text
    assert turn.text.startswith(f"Great, so we will go with {spoken_dollars(price)}"), turn.text
    assert call.policy.state.stage is Stage.CONFIRMING and call.policy.agreed_price is None
    closing = call.say(answer)
    assert closing == AgentTurn(f"Perfect. {CLOSING_AGREED}", hang_up=True)
    assert call.policy.agreed_price == price + fee and call.policy.outcome is Outcome.AGREED
    assert call.read() == price + fee
    return turn.text


def said_price(turn: AgentTurn) -> list[float]:
    return [m.value for m in read_turn("assistant", turn.text).mentions]


# The opening and the problem.
def test_opens_by_asking_for_the_provider_by_name() -> None:
    policy = NegotiationPolicy(provider())
    assert policy.opening() == AgentTurn("Hi, is this Ace Plumbing?")
    assert policy.state.stage is Stage.IDENTITY


def test_a_greeting_heard_before_the_opening_is_answered_with_the_opening() -> None:
    policy = NegotiationPolicy(provider())
    assert policy.reply("ace plumbing this is joe").text == "Hi, is this Ace Plumbing?"


def test_states_the_problem_and_asks_whether_they_can_help() -> None:
    call = Call()
    turn = call.say("yes this is joe")
    assert "toilet keeps running" in turn.text.lower()
    assert turn.text.endswith("Can you help with that?")
    assert not turn.hang_up


@pytest.mark.parametrize(
    "answer", ["speaking", "ace plumbing", "hello", "yep what can i do for you", "who's calling"]
)
def test_takes_any_sign_of_the_right_business_as_a_yes(answer: str) -> None:
    assert "toilet" in Call().say(answer).text


def test_a_job_without_a_problem_text_is_still_described() -> None:
    assert "job around the house" in Call(problem=None).say("yes").text


def test_asks_for_an_estimate_once_they_can_help() -> None:
    turn = Call().to_price()
    assert "price" in turn.text and turn.text.endswith("?")
    assert said_price(turn) == []


def test_a_wrong_number_ends_the_call() -> None:
    turn = Call().say("no you have the wrong number")
    assert turn.hang_up and "wrong number" in turn.text


# Countering.
@pytest.mark.parametrize(
    ("budget", "quote"), [(150, 200), (150, 140), (150, 400), (300, 450), (80, 95), (1000, 1500)]
)
def test_the_first_counter_is_below_the_budget_and_below_their_quote(
    budget: float, quote: float
) -> None:
    call = Call(max_price=budget)
    call.to_price()
    turn = call.say(f"we can do that for {spoken_dollars(quote)}")
    assert not turn.hang_up
    counter = call.policy.counter
    assert counter is not None
    assert counter <= 0.8 * budget and counter < quote
    assert said_price(turn) == [counter]
    assert call.policy.quote == quote


def test_never_takes_the_first_quote_without_asking_for_better() -> None:
    call = Call(max_price=500)
    call.to_price()
    turn = call.say("that'd be one twenty")
    assert not turn.hang_up and call.policy.state.pushes == 1


def test_takes_their_price_within_budget_once_they_will_not_budge() -> None:
    call = Call()
    call.to_price()
    call.say("one forty")
    agree(call, call.say("sorry one forty is my price"), 140)


def test_takes_a_price_well_under_budget_after_one_push() -> None:
    call = Call()
    call.to_price()
    call.say("one forty five")
    agree(call, call.say("alright i could do one fifteen"), 115)


def test_a_yes_to_its_counter_is_the_deal() -> None:
    call = Call()
    call.to_price()
    counter_turn = call.say("that would be two hundred dollars")
    counter = call.policy.counter
    assert counter is not None
    agree(call, call.say("yeah okay i can do that"), counter, answer="yeah i can do that")
    assert said_price(counter_turn) == [counter]


def test_pushes_with_other_quotes_then_flexibility_and_the_budget_then_walks_away() -> None:
    call = Call(other_quotes=[130.0, 175.0])
    call.to_price()
    first = call.say("two hundred")
    second = call.say("no two hundred is my price")
    assert "another quote for one hundred thirty dollars" in second.text
    third = call.say("nope still two hundred")
    assert "flexible" in third.text and "budget" in third.text
    assert call.policy.counter == 150  # the last offer is the budget itself
    last = call.say("no can't do it")
    assert closes(last, agreed=False) and call.policy.agreed_price is None
    assert call.policy.outcome is Outcome.NO_AGREEMENT
    counters = [said_price(t)[-1] for t in (first, second, third)]
    assert counters == sorted(counters) and counters[-1] == 150
    assert call.read() is None


def test_a_no_to_the_deal_said_back_reopens_the_haggle() -> None:
    call = Call()
    call.to_price()
    call.say("one forty")
    back = call.say("one forty is my price")
    assert back.text.endswith("Is that right?")
    turn = call.say("no")
    assert "misheard" in turn.text and call.policy.state.stage is Stage.NEGOTIATING
    agree(call, call.say("one forty"), 140)


def test_a_different_price_to_the_deal_said_back_is_taken_as_their_price() -> None:
    call = Call()
    call.to_price()
    call.say("one forty")
    call.say("one forty is my price")
    turn = call.say("no i said one forty five")
    agree(call, turn, 145)


def test_a_price_many_times_the_last_one_is_checked_before_it_ends_the_call() -> None:
    """ "Ninety five" heard as "nine eighty five" once the provider is at ninety five: the
    agent asks, rather than walk away from a deal within the budget."""
    call = Call()
    call.to_price()
    call.say("one sixty plus a thirty dollar trip charge")
    call.say("i can't do eighty dollars but i could do ninety five dollars plus parts")
    check = call.say("okay you got it nine eighty five dollars plus parts")
    assert check == AgentTurn("Just to confirm, did you say nine hundred eighty five dollars?")
    turn = call.say("no ninety five dollars plus parts")
    assert not turn.hang_up and call.policy.offer == 95


def test_a_checked_price_said_again_as_a_refusal_is_not_a_yes() -> None:
    """The provider's "Sorry, four fifty is my price" heard as "sorry forty is my price" twice: the
    agent does not take forty dollars for a yes; the price it heard before stands."""
    call = Call()
    call.to_price()
    call.say("i can do four fifty")
    check = call.say("sorry forty is my price")
    assert check == AgentTurn("Just to confirm, did you say forty dollars?")
    turn = call.say("sorry forty is my price")
    assert call.policy.offer == 450 and call.policy.agreed_price is None
    assert "forty dollars" not in turn.text


def test_a_price_below_its_own_counter_is_checked_first() -> None:
    call = Call()
    call.to_price()
    call.say("four forty five")  # the agent offers one hundred ten
    check = call.say("forty bucks is the lowest i can go")  # "four" lost
    assert check == AgentTurn("Just to confirm, did you say forty dollars?")
    turn = call.say("no four forty five is the lowest")
    assert call.policy.offer == 445 and not turn.hang_up
    assert said_price(turn)[-1] < 150

    confirmed = Call()
    confirmed.to_price()
    confirmed.say("two hundred")
    confirmed.say("i could do ninety plus parts")
    turn = confirmed.say("yep that's right")
    assert "parts" in turn.text  # the conditions said with the checked price are kept


def test_agrees_when_they_come_down_to_the_budget() -> None:
    call = Call()
    call.to_price()
    call.say("two hundred")
    call.say("best i can do is one ninety")
    call.say("one seventy five and that's it")
    agree(call, call.say("alright one fifty"), 150, answer="yes one fifty")


def test_without_a_budget_pushes_twice_then_takes_their_best() -> None:
    call = Call(max_price=None)
    call.to_price()
    first = call.say("that's three hundred dollars")
    assert call.policy.counter == 240 and said_price(first) == [240]
    second = call.say("no can't do two forty but i could do two ninety")
    assert "best price" in second.text and call.policy.counter is None
    agree(call, call.say("i could do two eighty"), 280)


def test_without_a_budget_a_refusal_leaves_their_price_taken() -> None:
    call = Call(max_price=None)
    call.to_price()
    call.say("three hundred")
    agree(call, call.say("no sorry that's my price"), 300)


# The budget is never broken.
_UNITS = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def _spoken(value: float, rng: random.Random) -> str:
    """A price as a provider says it, or as speech recognition writes it."""
    whole = round(value)
    style = rng.choice(["digits", "words", "shorthand"])
    if style == "digits":
        return f"${whole}"
    if style == "shorthand" and 100 < whole < 1000 and whole % 100 >= 10:
        rest = spoken_dollars(whole % 100).removesuffix(" dollars")
        return f"{_UNITS[whole // 100]} {rest}"
    return spoken_dollars(whole)


def _provider_line(rng: random.Random, counter: float | None, offer: float) -> tuple[str, float]:
    """A random provider move on the agent's counter; returns the line and its new price."""
    move = rng.choice(["same", "lower", "accept", "refuse", "garbled", "question", "higher"])
    if move == "lower":
        low = counter if counter is not None else offer * 0.5
        new = float(round(rng.uniform(low, offer)))
        return f"best i can do is {_spoken(new, rng)}", new
    if move == "accept" and counter is not None:
        return rng.choice(["yeah i can do that", "okay deal", "sure that works"]), counter
    if move == "refuse":
        return rng.choice(["no", "no way", "no sorry i can't go that low"]), offer
    if move == "garbled":
        return rng.choice(["the on for", "mm", "uh the"]), offer
    if move == "question":
        return rng.choice(
            ["how old is it", "when do you need it done", "what's the address"]
        ), offer
    if move == "higher":
        new = float(round(offer * 1.1))
        return f"actually it'd be {_spoken(new, rng)}", new
    return f"it's {_spoken(offer, rng)}", offer


def test_never_agrees_above_the_budget_whatever_the_provider_says() -> None:
    for seed in range(300):
        _random_haggle(seed)


def _random_haggle(seed: int) -> None:
    rng = random.Random(seed)
    budget = rng.choice([None, 60.0, 100.0, 150.0, 220.0, 400.0, 1200.0])
    fee = rng.choice([0, 0, 0, 25, 49, 79])
    quote = float(round(rng.uniform(40, 1500)))
    call = Call(max_price=budget)
    call.to_price()
    opening = f"we can do that for {_spoken(quote, rng)}"
    if fee:
        opening += f" plus a {spoken_dollars(fee).replace('dollars', 'dollar')} trip charge"
    turn = call.say(opening)
    offered = {quote}
    for _ in range(30):
        if turn.hang_up:
            break
        line, price = _provider_line(rng, call.policy.counter, call.policy.offer or quote)
        offered.add(price)
        turn = call.say(line)
    where = f"seed {seed}: {call.turns}"
    assert turn.hang_up, f"the agent always ends the call; {where}"
    agreed = call.policy.agreed_price
    assert closes(turn, agreed=agreed is not None), where
    if agreed is None:
        assert call.policy.outcome is Outcome.NO_AGREEMENT, where
        return
    # a price the provider said or agreed to, and the fee on top: what the homeowner pays
    assert call.policy.state.fee == fee, where
    assert round(agreed - fee, 2) in offered, where
    if budget is not None:
        assert agreed <= budget, where


# Conditions, fees and the kinds of price.
def test_restates_a_condition_when_it_agrees() -> None:
    call = Call()
    call.to_price()
    call.say("two twenty")
    call.say("i can't do that but i could do one forty if i come this afternoon")
    assert call.policy.offer == 140
    turn = call.say("sorry one forty if i come this afternoon that's the best i can do")
    said = agree(call, turn, 140)
    assert said == (
        "Great, so we will go with one hundred forty dollars, if you come this afternoon. "
        "Is that right?"
    )
    assert call.policy.state.conditions == ("if you come this afternoon",)
    assert OfflinePriceExtractor().read(call.turns).conditions == "if i come this afternoon"


def test_hears_no_one_forty_as_no_then_one_forty() -> None:
    # Without its comma, "no one forty" reads as "nobody" and forty.
    call = Call()
    call.to_price()
    call.say("two twenty")
    call.say("i could do one forty if i come this afternoon")
    turn = call.say("no one forty if i come this afternoon is the best i can do")
    assert turn.text.startswith("Great, so we will go with one hundred forty dollars, if you")


def _down_to_parts(call: Call) -> AgentTurn:
    call.to_price()
    call.say("one sixty")
    call.say("i could do one thirty five plus parts")
    return call.say("sorry one thirty five plus parts that's my best")


def test_asks_what_parts_add_then_agrees_plus_parts() -> None:
    call = Call()
    turn = _down_to_parts(call)
    assert "parts" in turn.text and not turn.hang_up
    assert call.policy.state.stage is Stage.PARTS
    turn = call.say("hard to say till i see it")
    assert "plus parts" in agree(call, turn, 135)


def test_parts_named_count_against_the_budget() -> None:
    call = Call()
    _down_to_parts(call)
    turn = call.say("parts are about sixty dollars")
    assert not turn.hang_up and call.policy.agreed_price is None
    assert call.policy.counter == 90  # the budget less the parts
    assert closes(call.say("no"), agreed=False)


def test_a_trip_fee_counts_against_the_budget() -> None:
    call = Call()
    call.to_price()
    turn = call.say("it'd be one forty plus a fifty dollar trip charge")
    assert call.policy.state.fee == 50
    assert "plus the trip fee" in turn.text
    assert call.policy.counter is not None and call.policy.counter + 50 <= 150
    for _ in range(3):
        turn = call.say("no one forty is my price")
    assert closes(turn, agreed=False)

    within = Call()
    within.to_price()
    within.say("ninety five plus a thirty dollar trip charge")
    turn = within.say("ninety five is my price")
    assert "plus the thirty dollar trip fee" in agree(within, turn, 95, fee=30)


def test_a_fee_alone_is_not_the_price() -> None:
    call = Call()
    call.to_price()
    turn = call.say("there's a seventy nine dollar diagnostic fee")
    assert not turn.hang_up and "repair" in turn.text
    assert call.policy.offer is None and call.policy.state.fee == 79


def test_an_hourly_rate_gets_a_question_for_the_total() -> None:
    call = Call()
    call.to_price()
    turn = call.say("i charge ninety five an hour")
    assert "total" in turn.text and call.policy.offer is None


def test_a_range_is_countered_from_its_low_end() -> None:
    call = Call()
    call.to_price()
    call.say("anywhere from one fifty to two hundred")
    assert call.policy.offer == 200
    assert call.policy.counter is not None and call.policy.counter <= 110


def test_no_price_without_seeing_it_is_asked_once_more_then_closed() -> None:
    call = Call()
    call.to_price()
    first = call.say("i'd have to see it first")
    assert "ballpark" in first.text and not first.hang_up
    call.say("can't really say over the phone")
    turn = call.say("no idea until i see it")
    assert closes(turn, agreed=False)


# Questions.
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how old is the toilet", "ten years old"),
        ("is it running all the time", "runs all the time"),
        ("which bathroom is it", "upstairs"),
        ("what's the address", "nine four one one zero"),
        ("what's the problem again", "toilet keeps running"),
        ("when do you need it done", "flexible"),
        ("is the tank porcelain or plastic", "I'd have to check"),
        ("are you a robot", "AI assistant"),
    ],
)
def test_answers_their_questions_from_the_job(question: str, expected: str) -> None:
    call = Call()
    call.say("yes")
    turn = call.say(question)
    assert expected in turn.text
    assert turn.text.endswith("?") and not turn.hang_up  # and back to the question pending


def test_answers_from_the_pairs_never_reading_a_question_aloud() -> None:
    # The homeowner typed "About a week" without a full stop: it is its own answer.
    pairs = [
        {"question": "How long has it been leaking?", "answer": "About a week"},
        {
            "question": "Which fixture or pipe is it, and where in the house is it?",
            "answer": "the kitchen sink drain",
        },
    ]
    call = Call(context_answers=None, context_pairs=pairs)
    call.say("yes")
    said = call.say("how long has it been leaking")
    assert said.text.startswith("About a week.")
    assert "Which fixture" not in said.text
    assert "The kitchen sink drain." in call.say("which pipe is it and where in the house").text


def test_gives_the_house_address_when_there_is_one() -> None:
    call = Call(house_address="12 Oak Street")
    call.say("yes")
    assert "It's at 12 Oak Street." in call.say("where's the house").text


def test_a_question_mid_haggle_is_answered_and_the_counter_asked_again() -> None:
    call = Call()
    call.to_price()
    call.say("two hundred")
    counter = call.policy.counter
    turn = call.say("how old is the toilet")
    assert "ten years old" in turn.text and said_price(turn) == [counter]


def test_asked_for_a_budget_before_a_price_it_anchors_below_it() -> None:
    call = Call()
    call.say("yes")
    turn = call.say("what's your budget")
    assert said_price(turn) == [110] and "one hundred fifty" not in turn.text
    agree(call, call.say("yeah i can do one ten"), 110)


# Declines, voicemail, the line.
@pytest.mark.parametrize(
    "line",
    [
        "sorry we don't do toilets",
        "we're booked solid for the next month",
        "no i can't help you with that",
        "not interested",
    ],
)
def test_a_decline_is_closed_politely(line: str) -> None:
    call = Call()
    call.say("yes")
    turn = call.say(line)
    assert closes(turn, agreed=False)
    assert call.policy.outcome is Outcome.DECLINED  # not a failed negotiation
    assert call.policy.reply("hello") == AgentTurn("", hang_up=True)


@pytest.mark.parametrize(
    "greeting",
    [
        "hi you've reached ace plumbing please leave a message after the beep",
        "the person you are calling is not available at the tone please record your message",
        "you have reached the voicemail of joe",
        "we're not available right now leave your name and number",
    ],
)
def test_hangs_up_on_a_voicemail_without_leaving_a_message(greeting: str) -> None:
    assert looks_like_voicemail(greeting)
    policy = NegotiationPolicy(provider())
    assert policy.reply(greeting) == AgentTurn("", hang_up=True)
    assert policy.outcome is Outcome.VOICEMAIL

    after_opening = NegotiationPolicy(provider())
    after_opening.opening()
    assert after_opening.reply(greeting) == AgentTurn("", hang_up=True)


def test_not_available_in_the_middle_of_a_call_is_no_voicemail() -> None:
    assert not looks_like_voicemail("ace plumbing this is joe")
    call = Call()
    call.to_price()
    turn = call.say("i'm not available until thursday but it'd be two hundred")
    assert not turn.hang_up and call.policy.offer == 200


def test_garbled_input_is_asked_again_once_then_the_call_moves_on() -> None:
    call = Call()
    first = call.say("the on for")
    assert "again" in first.text
    assert call.policy.state.stage is Stage.IDENTITY
    second = call.say("mm")
    assert "toilet keeps running" in second.text  # moved on: as if they said yes


def test_garbled_answers_to_the_price_ask_get_it_rephrased_then_a_call_back() -> None:
    call = Call()
    call.to_price()
    first = call.say("the on for")
    second = call.say("mm")
    third = call.say("uh the")
    assert "didn't catch" in first.text
    assert "didn't catch" not in second.text and "how much" in second.text.lower()
    assert closes(third, agreed=False) and "call you back" in third.text


def test_garbled_answers_to_a_counter_leave_their_price_standing() -> None:
    call = Call()
    call.to_price()
    call.say("one forty")
    assert "didn't catch" in call.say("mm").text
    agree(call, call.say("the on"), 140)


def test_says_its_line_again_once_then_in_other_words_then_offers_to_call_back() -> None:
    call = Call()
    problem = call.say("yes")
    assert call.say("sorry what was that").text == problem.text
    rephrased = call.say("say that again").text
    assert rephrased != problem.text and "toilet keeps running" in rephrased
    assert closes(call.say("what did you say"), agreed=False)


def test_a_question_instead_of_hello_is_answered_with_the_job() -> None:
    call = Call()
    turn = call.say("how old is the toilet")
    assert "toilet keeps running" in turn.text and "ten years old" in turn.text
    assert call.policy.state.stage is Stage.ESTIMATE and turn.text.endswith("?")


def test_a_question_it_cannot_answer_is_said_so() -> None:
    call = Call(context_answers=None)
    call.say("yes")
    turn = call.say("how old is the toilet")
    assert "check on that with the homeowner" in turn.text
    assert "keeps running" not in turn.text  # not the problem again, as if it were an answer


def test_silence_gets_a_nudge_then_the_closing() -> None:
    call = Call()
    call.to_price()
    nudge = call.policy.on_silence()
    assert nudge == AgentTurn("Hello, are you still there?")
    back = call.say("yeah i'm here")
    assert "price" in back.text
    assert call.policy.on_silence() == AgentTurn("Hello, are you still there?")
    closing = call.policy.on_silence()
    assert closing is not None and closes(closing, agreed=False)
    assert call.policy.on_silence() is None


def test_wrap_up_closes_now() -> None:
    call = Call()
    call.to_price()
    call.say("two hundred")
    turn = call.policy.wrap_up(WrapUp.TIME)
    assert closes(turn, agreed=False) and call.policy.finished
    assert call.policy.wrap_up(WrapUp.TIME) == AgentTurn("", hang_up=True)


def test_wrap_up_for_silence_or_time_says_why_it_goes() -> None:
    for reason, lead in (
        (WrapUp.SILENCE, "I'll let you go."),
        (WrapUp.TIME, "Sorry, I have to run."),
    ):
        call = Call()
        call.to_price()
        turn = call.policy.wrap_up(reason)
        assert turn == AgentTurn(f"{lead} {CLOSING_NO_AGREEMENT}", hang_up=True)


def test_wrap_up_while_asking_about_parts_keeps_the_price_decided_on() -> None:
    call = Call()
    _down_to_parts(call)
    turn = call.policy.wrap_up(WrapUp.TIME)
    assert closes(turn, agreed=True) and call.policy.agreed_price == 135


def test_silence_after_the_deal_said_back_closes_on_it() -> None:
    call = Call()
    call.to_price()
    call.say("one forty")
    call.say("one forty is my price")
    call.policy.on_silence()
    closing = call.policy.on_silence()
    assert closing is not None and closes(closing, agreed=True)
    assert "one hundred forty dollars" in closing.text and call.policy.agreed_price == 140


def test_hold_on_is_waited_for() -> None:
    call = Call()
    call.to_price()
    assert call.say("hold on one sec") == AgentTurn("Sure, take your time.")
    assert call.policy.state.stage is Stage.ESTIMATE


# What it says is what the reader hears.
@pytest.mark.parametrize("budget", [None, 150.0])
def test_its_pushes_never_sound_like_a_yes(budget: float | None) -> None:
    call = Call(max_price=budget, other_quotes=[120.0])
    call.to_price()
    pushes = []
    turn = call.say("three hundred")
    while call.policy.state.stage is Stage.NEGOTIATING:
        pushes.append(turn)
        turn = call.say("no three hundred is my price")
    assert len(pushes) >= 2
    for push in pushes:
        reading = read_turn("assistant", push.text)
        assert not reading.accept_strong and not reading.closing_agreed, push.text


def test_a_job_price_heard_next_to_a_fee_whose_amount_was_lost_is_the_jobs() -> None:
    call = Call()
    call.to_price()
    turn = call.say("that would be one hundred eighty dollars that thirteen on a trip charge")
    assert "repair itself" not in turn.text
    assert call.policy.offer == 180 and not turn.hang_up


def test_a_fee_of_a_fee_size_still_waits_for_the_job_price() -> None:
    call = Call()
    call.to_price()
    turn = call.say("there's a forty dollar trip charge")
    assert "repair itself" in turn.text and call.policy.offer is None


def test_a_lower_price_in_answer_to_the_deal_said_back_is_checked_before_it_is_taken() -> None:
    call = Call()
    call.to_price()
    call.say("one forty five if i come tomorrow morning")
    said_back = call.say("yes one forty five if i come tomorrow morning")
    assert said_back.text.endswith("Is that right?"), said_back.text
    turn = call.say("sorry one hundred thirty five dollars if i come tomorrow morning")
    assert turn.text == "Just to confirm, did you say one hundred thirty five dollars?"
    assert call.policy.agreed_price is None


def test_a_fee_put_right_in_the_yes_joins_the_deal_said_back_in_the_closing() -> None:
    call = Call(max_price=150)
    call.to_price()
    call.say("ninety five dollars")  # a trip charge said, but lost on the line
    turn = call.say("ninety five is my price")
    assert "trip fee" not in turn.text and turn.text.endswith("Is that right?")
    closing = call.say("yep plus the thirty dollar trip charge")
    assert closing.hang_up and "plus the thirty dollar trip fee" in closing.text
    assert closing.text.endswith(CLOSING_AGREED)
    assert call.policy.agreed_price == 125 and call.read() == 125
    # a fee that takes the deal over the budget ends the call without one
    over = Call(max_price=110)
    over.to_price()
    over.say("ninety five dollars")
    over.say("ninety five is my price")
    turn = over.say("yep plus the thirty dollar trip charge")
    assert closes(turn, agreed=False) and over.policy.agreed_price is None
