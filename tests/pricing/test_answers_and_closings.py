"""Rules added after the frozen blind set was seen, each on a short call written for it: an
answer that never came or was cut short is no yes, a yes waiting on someone else is no deal,
the agent's closing reports a deal rather than undoing it, and the first quote is found where
a person would find it. `A:` is our agent, `P:` the provider."""

from __future__ import annotations

import pytest

from tests.pricing.test_deal_rules import AGREED, HELLO, JOB, read


def test_a_confirmation_asked_again_after_say_again_still_needs_a_yes() -> None:
    lines = (
        HELLO,
        "P: ace",
        JOB,
        "P: cartridge swap one fifty",
        "A: could you do one twenty five",
        "P: i could maybe do one thirty",
        "A: so one thirty is that right",
        "P: huh sorry say again",
        "A: one thirty for the faucet",
    )
    unanswered = read(*lines)
    assert unanswered.agreed_price is None
    assert "confirmation not heard" in unanswered.confidence.notes
    assert read(*lines, "P: yeah one thirty", AGREED).agreed_price == 130


@pytest.mark.parametrize(
    ("answer", "agreed"),
    [
        ("P: uh yeah i think we c", None),  # cut off mid-word: what the yes led to is unknown
        ("P: yeah two hundred works", 200),
        ("P: yeah. okay, two hundred.", 200),
        ("P: Yeah sure, what's the addr—", 200),  # the yes given, the talk moved on
    ],
)
def test_a_yes_that_leads_into_a_sentence_never_finished_is_no_yes(
    answer: str, agreed: float | None
) -> None:
    result = read(HELLO, "P: ace", JOB, "P: two thirty", "A: Could we lock in $200?", answer)
    assert result.agreed_price == agreed


def test_a_yes_waiting_on_a_supervisor_is_no_deal_even_when_the_agent_restates_it() -> None:
    result = read(
        HELLO,
        "P: Ace, this is Dana.",
        JOB,
        "P: For a cartridge swap it's $500.",
        "A: Could you do $450?",
        "P: I think $450 works, but I need to confirm with my supervisor. Can I call you back?",
        "A: Sure, $450 pending their okay. Talk soon.",
        "P: Okay.",
    )
    assert result.agreed_price is None
    assert result.first_quote == 500


@pytest.mark.parametrize(
    "close",
    [
        "A: Thanks so much, I'll pass it along and we'll be in touch soon.",
        "A: I'll pass that along to the homeowner. Thanks!",
    ],
)
def test_passing_the_news_on_reports_a_deal_made_and_puts_off_one_not_made(close: str) -> None:
    made = read(
        HELLO,
        "P: ace",
        JOB,
        "P: I'd say $480.",
        "A: Could you do $400?",
        "P: Meet me at $440 and you've got a deal.",
        "A: Deal, $440.",
        "P: Great.",
        close,
    )
    assert made.agreed_price == 440
    not_made = read(HELLO, "P: ace", JOB, "P: I'd say $480.", "A: I see.", close)
    assert (not_made.agreed_price, not_made.first_quote) == (None, 480)


def test_a_price_said_to_be_over_budget_is_turned_down_not_accepted() -> None:
    result = read(
        HELLO,
        "P: ace",
        JOB,
        "P: you're probably looking at eleven thousand five hundred",
        "A: $11,500 is above their budget. Any flexibility on that?",
        "P: not really that's what it is",
        "A: Understood, thanks. Talk soon.",
    )
    assert result.agreed_price is None
    assert result.first_quote == 11500


def test_tell_them_what_it_is_describes_the_job_and_is_no_yes() -> None:
    result = read(
        "A: hi is this critter control",
        "P: yeah critter control",
        "A: hi im calling for a homeowner they hear scratching in the attic and want someone to"
        " inspect and tell them what it is can you help",
        "P: yeah we do an inspection for ninety nine",
        "A: could you do it for seventy five",
        "P: we got a special this month seventy nine",
        "A: okay seventy nine for the inspection thanks",
        "P: alright",
        AGREED,
    )
    assert (result.agreed_price, result.first_quote) == (79, 99)


def test_a_price_named_while_turning_the_job_down_is_still_the_first_quote() -> None:
    result = read(
        HELLO,
        "P: Ace, this is Bea.",
        JOB,
        "P: This week we're fully booked, sorry. Normally it'd be $240, but not before the 20th.",
        "A: That's too late for them. Thanks anyway!",
    )
    assert (result.agreed_price, result.first_quote) == (None, 240)


def test_the_fee_of_a_maintenance_visit_is_the_jobs_first_quote() -> None:
    result = read(
        HELLO,
        "P: Ace Heating.",
        "A: I'm calling for a homeowner who wants their furnace's annual tune-up. What do you"
        " charge?",
        "P: Our tune-up visit is $129.",
        "A: Any specials running?",
        "P: There's a fall special for $89.",
        "A: Okay, $89 works.",
        AGREED,
    )
    assert (result.agreed_price, result.first_quote) == (89, 129)


def test_a_fee_folded_into_a_new_total_is_named_in_the_conditions() -> None:
    result = read(
        HELLO,
        "P: ace",
        JOB,
        "P: labor is one twenty five plus a thirty five dollar trip fee",
        "A: could you do one twenty five total",
        "P: i can knock the trip fee down to twenty so one forty five",
        "A: okay one forty five total works",
        AGREED,
    )
    assert result.agreed_price == 145
    assert "trip fee" in (result.conditions or "")


def test_a_warranty_given_up_for_the_price_is_a_condition() -> None:
    result = read(
        HELLO,
        "P: ace",
        JOB,
        "P: That's $475.",
        "A: Their budget is $350. Can you do that?",
        "P: Okay, $350, but no warranty at that price.",
        "A: Understood, $350 without the warranty. That works.",
        AGREED,
    )
    assert result.agreed_price == 350
    assert "no warranty" in (result.conditions or "")


@pytest.mark.parametrize(
    "close",
    [
        "A: Understood. Talk soon!",  # the agent's no stands
        "A: I'll share that with them and we'll be in touch.",  # passed on: put off
        "A: Okay, I'll let them know. Talk soon!",
    ],
)
def test_the_same_price_said_again_after_the_agents_no_is_no_deal(close: str) -> None:
    result = read(
        HELLO,
        "P: ace",
        JOB,
        "P: nine hundred",
        "A: That's over their budget. Any flexibility?",
        "P: no nine hundred",
        close,
    )
    assert (result.agreed_price, result.first_quote) == (None, 900)


@pytest.mark.parametrize(
    ("close", "agreed"),
    [
        ("A: Okay, $160. I'll get back to you to schedule. Bye!", 160),
        ("A: Okay, $160. I'll let them know.", 160),
        ("A: Okay. I'll get back to you. Bye!", None),
        ("A: Okay, $160. I'll check with the homeowner and get back to you.", None),
    ],
)
def test_a_call_back_promised_after_a_price_said_back_keeps_the_deal(
    close: str, agreed: float | None
) -> None:
    result = read(
        HELLO, "P: ace", JOB, "P: $180.", "A: Could you do $150?", "P: $160, final.", close
    )
    assert result.agreed_price == agreed
