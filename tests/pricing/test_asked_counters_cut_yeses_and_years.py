"""Rules added after blind set 3's frozen third was seen, each on a short call written for it:
the agent's counter asked without a question mark and accepted by the provider is the deal, a
whole yes before a word the hang-up cut is still a yes, a word cut inside a spoken price is
completed by the word after it, and a year said as words before a thing is no price. `A:` is
our agent, `P:` the provider."""

from __future__ import annotations

import pytest

from pricing.fragments import without_restarts
from pricing.money_words import is_money
from pricing.numbers import find_amounts
from pricing.tokens import tokenize
from tests.pricing.test_deal_rules import HELLO, JOB, read

QUOTED = (HELLO, "P: ace plumbing", JOB, "P: the cartridge swap is ninety")


@pytest.mark.parametrize(
    "counter", ["A: would seventy work", "A: could seventy do", "A: will seventy work for you"]
)
def test_the_agents_counter_asked_without_a_question_mark_and_accepted_is_the_deal(
    counter: str,
) -> None:
    result = read(*QUOTED, counter, "P: yes seventy is fine", "A: thank you marco", "P: sure")
    assert result.agreed_price == 70
    assert result.first_quote == 90


def test_the_accepted_counter_put_off_by_the_agent_is_no_deal() -> None:
    result = read(
        *QUOTED,
        "A: would seventy work",
        "P: yes seventy is fine",
        "A: let me check with the homeowner and call you back",
        "P: okay",
    )
    assert result.agreed_price is None


def test_a_number_said_without_asking_is_still_no_counter() -> None:
    # "the house is seventy years old": no counter, so the provider's price stays the offer
    result = read(*QUOTED, "A: the house is seventy years old", "P: yeah")
    assert result.agreed_price is None
    assert result.first_quote == 90


COUNTER = (*QUOTED, "A: Could you do $75?")


@pytest.mark.parametrize(
    "answer", ["P: okay it shou", "P: yes we can sch", "P: uh sounds good see you tomor"]
)
def test_a_whole_yes_before_a_word_the_hang_up_cut_is_still_a_yes(answer: str) -> None:
    assert read(*COUNTER, answer).agreed_price == 75


@pytest.mark.parametrize(
    "answer", ["P: uh yeah i think we c", "P: okay but the materi", "P: sure let me chec"]
)
def test_a_yes_softened_or_put_off_before_the_cut_is_no_yes(answer: str) -> None:
    result = read(*COUNTER, answer)
    assert result.agreed_price is None
    assert result.first_quote == 90


@pytest.mark.parametrize(
    ("quote", "price"),
    [
        ("P: the cartridge swap uh one fo forty", 140),
        ("P: for that two hundred and sev seventy", 270),
        ("P: yeah a new valve is one thir thirty installed", 130),
    ],
)
def test_a_number_word_cut_and_said_again_at_once_is_said_once(quote: str, price: int) -> None:
    assert read(HELLO, "P: ace plumbing", JOB, quote).first_quote == price


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("one twenty fi five", ["one", "twenty", "five"]),
        ("nine ninety", ["nine", "ninety"]),  # a whole number word is no restart
        ("six sixteen", ["six", "sixteen"]),
    ],
)
def test_only_a_cut_word_before_the_word_it_starts_is_dropped(text: str, kept: list[str]) -> None:
    assert without_restarts(tokenize(text)) == kept


@pytest.mark.parametrize(
    ("job", "quote", "price"),
    [
        (
            "A: Hi, I'm an AI assistant calling for a homeowner in 94107. Their dryer from "
            "twenty eighteen won't heat. Can you fix it?",
            "P: a twenty eighteen dryer that's likely the element eighty five",
            85,
        ),
        (
            "A: Hi, I'm an AI assistant calling for a homeowner in 94107. Their kitchen sink "
            "drain is slow. Can you clear it?",
            "P: in their nineteen ninety eight house id guess roots one forty",
            140,
        ),
    ],
)
def test_a_year_said_as_words_before_a_thing_is_no_price(job: str, quote: str, price: int) -> None:
    assert read(HELLO, "P: ace plumbing", job, quote).first_quote == price


@pytest.mark.parametrize(
    ("text", "money"),
    [
        ("a twenty fifteen washer", False),
        ("their nineteen ninety eight roof", False),
        ("it's nineteen fifty for the roof", True),  # a price said before what it is for
        ("a twenty fifteen total", True),  # "total" is no thing a year dates
    ],
)
def test_a_year_is_told_from_a_price_by_the_thing_after_it(text: str, money: bool) -> None:
    tokens = tokenize(text)
    amount = find_amounts(tokens)[0]
    assert is_money(amount, tokens) is money


def test_a_price_put_right_and_said_again_in_full_is_one_price() -> None:
    result = read(
        "A: hi im an ai assistant calling for a homeowner their ac compressor is grinding",
        "P: its fourteen fifty",
        "A: did you say four fifty",
        "P: no fourteen fifty one thousand four hundred fifty",
        "A: okay fourteen fifty thank you",
        "P: sure",
    )
    assert (result.agreed_price, result.first_quote) == (1450, 1450)


def test_thinking_aloud_over_a_price_is_no_yes_unless_a_yes_follows() -> None:
    call = (
        "A: Hi, I'm calling for a homeowner whose washer won't drain.",
        "P: probably the pump that would be four hundred",
        "A: Can you do three fifty?",
    )
    assert read(*call, "P: let me think three fifty uh").agreed_price is None
    assert read(*call, "P: let me think yeah three fifty works").agreed_price == 350


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("were at twelve five", 12500),  # thousands, then a digit of hundreds
        ("twenty four eight", 24800),
        ("about four point five k", 4500),
        ("four k", 4000),
        ("one twenty five", 125),  # the hundreds shorthand is unchanged
        ("its won forty", 140),  # homophones of number words, beside a number word
        ("nine hunter", 900),
        ("ate fifty", 850),
        ("to twenty is the lowest i can go", 220),  # "two" opening a clause heard as "to"
        ("okay. to hundred then", 200),
        ("sorry for fifty bucks is my price", 450),  # "four" heard as "for"
        ("for that it's for fifty", 450),
    ],
)
def test_contractors_shorthand_and_misheard_number_words(said: str, value: float) -> None:
    assert [a.value for a in find_amounts(tokenize(said))] == [value]


def test_words_that_sound_like_numbers_stay_words_elsewhere() -> None:
    assert tokenize("this is hunter we won the bid") == [
        "this",
        "is",
        "hunter",
        "we",
        "won",
        "the",
        "bid",
    ]
    assert [a.value for a in find_amounts(tokenize("ten two bedroom units"))] == [10, 2]
    for said in (
        "could you come down to twenty",
        "i can do it for twenty",
        "for twenty bucks, sure",
    ):
        assert [a.value for a in find_amounts(tokenize(said))] == [20], said


def test_the_agent_putting_off_its_own_yes_leaves_no_deal() -> None:
    result = read(
        HELLO,
        "P: ace",
        JOB,
        "P: A heat treatment is $1,400.",
        "A: Could you do $1,200?",
        "P: $1,250.",
        "A: Alright, $1,250.",
        "P: Okay, what day works?",
        "A: Actually, the homeowner wants to get one more quote before committing. I'll call"
        " you back.",
        "P: Sure, no problem.",
    )
    assert (result.agreed_price, result.first_quote) == (None, 1400)


def test_a_total_with_something_offered_after_the_deal_replaces_it_on_a_yes() -> None:
    call = (
        HELLO,
        "P: ace",
        JOB,
        "P: master bedroom walls five fifty",
        "A: Could you do five hundred dollars?",
        "P: yeah five hundred",
        "A: Great, five hundred dollars.",
        "P: the ceiling would be another one twenty if you want it done too",
        "A: Okay, add the ceiling. So six hundred twenty dollars total?",
    )
    assert read(*call, "P: yep six twenty").agreed_price == 620
    assert read(*call, "P: sorry what").agreed_price == 500


def test_hundreds_said_the_short_way_after_thousands() -> None:
    assert [a.value for a in find_amounts(tokenize("eighteen thousand two fifty"))] == [18250]
    assert [a.value for a in find_amounts(tokenize("three thousand two hundred fifty"))] == [3250]


def test_a_unit_after_hundreds_starts_the_next_price_when_a_pair_follows() -> None:
    assert [a.value for a in find_amounts(tokenize("cant do a hundred one twenty"))] == [100, 120]
    assert [a.value for a in find_amounts(tokenize("two hundred five"))] == [205]
