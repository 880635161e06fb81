"""Rules added against the third blind set's dev calls on what the agent's short answers do,
each on a short call written for it: a bare "Okay." to the price the provider came down to, a
polite "no problem" after the agent's price was turned down, and an extra put off after the
deal. `A:` is our agent, `P:` the provider."""

from __future__ import annotations

import pytest

from tests.pricing.test_deal_rules import read

JOB = "A: Hi, I'm calling for a homeowner who needs a ceiling fan swapped out. What's the price?"


@pytest.mark.parametrize("yes", ["A: Okay.", "A: alright then", "A: Sure, okay."])
def test_a_bare_yes_takes_the_price_the_provider_came_down_to(yes: str) -> None:
    result = read(
        JOB,
        "P: Swap with the new bracket, $180.",
        "A: Could you do $140?",
        "P: If the bracket is fine, $160.",
        yes,
        "P: Alright.",
        "A: Great, thanks.",
    )
    assert (result.agreed_price, result.first_quote) == (160, 180)


def test_a_bare_okay_to_the_first_quote_is_not_yet_a_yes() -> None:
    result = read(
        JOB,
        "P: Swap with the new bracket, $180.",
        "A: Okay.",
        "A: Let me think about it and get back to you.",
    )
    assert (result.agreed_price, result.first_quote) == (None, 180)


@pytest.mark.parametrize(
    "goodbye", ["A: alright no problem thank you", "A: No worries, thank you."]
)
def test_no_problem_after_the_agents_price_is_turned_down_is_a_goodbye(goodbye: str) -> None:
    result = read(
        JOB,
        "P: fan swap one eighty",
        "A: could you do one twenty",
        "P: one twenty no chance",
        goodbye,
        "P: ok bye",
    )
    assert (result.agreed_price, result.first_quote) == (None, 180)


def test_no_problem_with_a_yes_in_words_still_accepts() -> None:
    result = read(
        JOB,
        "P: fan swap one eighty",
        "A: could you do one twenty",
        "P: one twenty no chance",
        "A: no problem, one eighty works then",
    )
    assert (result.agreed_price, result.first_quote) == (180, 180)


@pytest.mark.parametrize(
    "put_off",
    ["A: Let me check with the homeowner about the dimmer.", "A: I'll ask them about that."],
)
def test_an_extra_put_off_after_the_deal_leaves_the_deal(put_off: str) -> None:
    result = read(
        JOB,
        "P: Fan swap is $180.",
        "A: Sounds good, $180.",
        "P: Great. We can also put in a dimmer for $70.",
        put_off,
        "P: Sure, see you Tuesday.",
    )
    assert (result.agreed_price, result.first_quote) == (180, 180)


def test_putting_off_the_deal_itself_still_ends_it() -> None:
    result = read(
        JOB,
        "P: Fan swap is $180.",
        "A: Let me check with the homeowner on that one.",
        "P: Sure.",
    )
    assert result.agreed_price is None
