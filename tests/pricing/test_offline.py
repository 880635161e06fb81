"""The offline extractor's decisions on representative calls: who said the price, and what
became of it. `A:` is our agent, `P:` the provider."""

from __future__ import annotations

import pytest

from pricing import PriceResult
from pricing.offline import OfflinePriceExtractor
from shared.models import TranscriptTurn

AGREED = "A: Thank you for your help! I will reach out to you again shortly."
NO_DEAL = "A: Thank you for the info. I need to think about it and will call you back."


def call(*lines: str) -> list[TranscriptTurn]:
    turns = []
    for line in lines:
        speaker, _, text = line.partition(": ")
        turns.append(TranscriptTurn(role="assistant" if speaker == "A" else "user", text=text))
    return turns


def read(*lines: str) -> PriceResult:
    return OfflinePriceExtractor().read(call(*lines))


def test_a_provider_offer_the_agent_accepts_is_the_deal() -> None:
    result = read("A: What would you charge?", "P: two twenty", "A: Two twenty works.", AGREED)
    assert (result.agreed_price, result.first_quote, result.source) == (220, 220, "offline")


async def test_extract_is_the_async_face_of_the_same_reading() -> None:
    turns = call("P: It's $95.", "A: $95 works for us.")
    assert (await OfflinePriceExtractor().extract(turns)).agreed_price == 95


def test_the_agents_counter_accepted_by_the_provider_is_the_deal() -> None:
    result = read("P: that's two hundred", "A: How about one fifty?", "P: yeah i can do one fifty")
    assert (result.agreed_price, result.first_quote) == (150, 200)


def test_the_agents_budget_is_not_the_price_unless_accepted() -> None:
    result = read(
        "A: The homeowner's budget is $150. What would you charge?",
        "P: I'd need $190.",
        "A: $190 works, even though it's more than the $150 we planned.",
        AGREED,
    )
    assert result.agreed_price == 190

    accepted = read("A: Our budget is one fifty. Would that work?", "P: yeah that works for me")
    assert (accepted.agreed_price, accepted.first_quote) == (150, None)


def test_a_rejected_counter_leaves_the_providers_price() -> None:
    # The original returned the last dollar figure said: the rejected $300.
    result = read(
        "P: That job's $400.",
        "A: Could you do $300?",
        "P: No, can't do it for less.",
        "A: I understand. We'll go with your price then.",
        AGREED,
    )
    assert result.agreed_price == 400


def test_a_later_offer_replaces_an_earlier_one_even_after_a_deal() -> None:
    result = read(
        "P: one fifty",
        "A: One fifty works.",
        "P: oh wait it's a saturday so one seventy five",
        "A: Okay, one seventy-five is fine.",
    )
    assert (result.agreed_price, result.first_quote) == (175, 150)

    walked_away = read(
        "P: one fifty", "A: One fifty works.", "P: actually it's two hundred", NO_DEAL
    )
    assert walked_away.agreed_price is None


@pytest.mark.parametrize(
    "ending",
    [
        ["P: let me think about it"],
        ["P: i'll have to get back to you on that", NO_DEAL],
        ["P: at that price i'm gonna have to pass"],
        ["A: That's more than we can spend.", NO_DEAL],
        ["P: three hundred might work but no promises till i see it", NO_DEAL],
    ],
)
def test_no_agreement_is_no_price(ending: list[str]) -> None:
    result = read("P: it's three fifty", "A: Could you do three hundred?", *ending)
    assert result.agreed_price is None
    assert result.first_quote == 350


def test_a_provider_declining_the_job_is_no_price() -> None:
    assert read("P: sorry we dont do tankless units", NO_DEAL).agreed_price is None
    backed_out = read("P: one sixty", "A: One sixty works.", "P: actually i can't make it sorry")
    assert backed_out.agreed_price is None


@pytest.mark.parametrize(
    "quote",
    [
        "P: anywhere from one fifty to three hundred",
        "P: i charge ninety five an hour",
        "P: there's a seventy nine dollar trip charge and then i'd quote you on site",
    ],
)
def test_a_range_a_rate_or_a_fee_alone_is_no_price(quote: str) -> None:
    result = read(quote, "A: Okay, sounds good.", AGREED)
    assert (result.agreed_price, result.first_quote) == (None, None)


def test_a_total_agreed_after_a_range_or_a_rate_is_the_price() -> None:
    after_range = read("P: between two and four hundred", "A: Could you do $300 flat?", "P: yep")
    assert after_range.agreed_price == 300
    after_rate = read(
        "P: one twenty an hour usually three hours so figure three sixty", "A: Three sixty works."
    )
    assert (after_rate.agreed_price, after_rate.first_quote) == (360, 360)


def test_a_fee_is_the_price_when_it_covers_the_job() -> None:
    result = read("P: service call is ninety nine and that covers the whole thing", "A: Deal.")
    assert result.agreed_price == 99


def test_a_diagnostic_fee_is_not_the_repair_price() -> None:
    result = read(
        "P: diagnostic is eighty nine and if its the igniter its two twenty total",
        "A: Two twenty works.",
    )
    assert (result.agreed_price, result.first_quote) == (220, 220)


def test_the_conditions_of_the_deal_are_kept() -> None:
    result = read(
        "P: two ninety",
        "A: Could you do two fifty?",
        "P: i could do two fifty if i come this afternoon plus parts",
        AGREED,
    )
    assert result.agreed_price == 250
    assert result.conditions == "if i come this afternoon; plus parts"


@pytest.mark.parametrize(
    ("lines", "price"),
    [
        # "$1,200" read as 1.0
        (["P: The install would be $1,200.", "A: $1,200 works."], 1200),
        # any "no" in the reply read as no price
        (["P: $160.", "A: Could you do $140?", "P: No problem, I can do $140."], 140),
        # spoken numbers ignored
        (["P: a hundred and twenty five", "A: A hundred and twenty-five works."], 125),
        (["P: i can do it for a buck fifty", "A: A buck fifty works."], 150),
        # the first number is not the price
        (["P: i've been doing this twenty years price is one eighty", "A: One eighty works."], 180),
    ],
)
def test_the_originals_failures(lines: list[str], price: float) -> None:
    assert read(*lines).agreed_price == price


def test_a_discount_leaves_the_price_less_the_discount() -> None:
    result = read(
        "P: two fifty", "A: Could you knock fifty off?", "P: yeah ok i can take fifty off"
    )
    assert (result.agreed_price, result.first_quote) == (200, 250)


def test_hundreds_left_unsaid_are_read_against_the_offer() -> None:
    result = read("P: six fifty", "A: Could you do five fifty?", "P: six even", "A: Six works.")
    assert result.agreed_price == 600


def test_the_talk_decides_dollars_and_cents_or_hundreds() -> None:
    thousands = read("P: thirty five hundred", "A: Could you do $3,000?", "P: thirty two fifty")
    assert thousands.first_quote == 3500
    assert read("P: thirty two fifty", "A: Thirty-two fifty works.").agreed_price == 32.5
    assert (
        read(
            "P: thirty five hundred",
            "A: Could you do $3,000?",
            "P: thirty two fifty",
            "A: Thirty-two fifty works.",
        ).agreed_price
        == 3250
    )
    assert read("P: eighty nine fifty for any drain", "A: Deal.").agreed_price == 89.5


def test_the_agreed_closing_accepts_the_offer_on_the_table() -> None:
    assert read("P: pump replacement is one ninety", AGREED).agreed_price == 190
    # but not the agent's own unanswered counter
    assert read("P: one ninety", "A: Could you do one fifty?", AGREED).agreed_price is None


def test_an_empty_call_is_no_price() -> None:
    assert read().agreed_price is None


@pytest.mark.parametrize(
    "text",
    ["", "...", "$", "$,", "0", "$0.00", "99999999", "1,2,3", "knock five hundred off", "😀 ü ¿"],
)
def test_odd_text_never_breaks_the_reading(text: str) -> None:
    result = read(f"P: {text}", f"A: {text}", "P: one fifty", "A: One fifty works.")
    assert result.agreed_price == 150
