"""A provider's yes that names its own price, and a price asked back after a deal.

When the provider accepts the agent's offer but names another price with the yes ("okay you
got it, one thirty bucks" to "could you do $150?"), the price it named is the one it agreed
to; and a price the agent asks back later and the provider confirms replaces an earlier deal:
the last price both sides confirmed wins. `A:` is our agent, `P:` the provider."""

from __future__ import annotations

import pytest

from tests.pricing.test_deal_rules import read

JOB = "A: Hi, I'm calling for a homeowner whose kitchen faucet leaks. What would you charge?"


@pytest.mark.parametrize(
    "yes", ["P: okay deal, two twenty.", "P: sure, you got it, $220.", "P: yeah alright two twenty"]
)
def test_a_yes_naming_another_price_agrees_to_the_price_named(yes: str) -> None:
    result = read(
        JOB,
        "P: New cartridge and labor, $300.",
        "A: Could you do $200?",
        yes,
        "A: Thanks, I'll reach out to you shortly.",
    )
    assert (result.agreed_price, result.first_quote) == (220, 300)


def test_a_yes_with_its_own_price_after_a_time_misheard_as_a_price() -> None:
    # "four thirty" is the hour, read as a $430 offer: the $130 said with the yes is still
    # the job's price, not a fee far below that offer
    result = read(
        JOB,
        "P: that's two hundred",
        "A: Could you do one hundred thirty dollars?",
        "P: alright one thirty with four thirty",
        "A: My budget tops out at one hundred fifty dollars. Could you do that?",
        "P: okay you got it one thirty bucks",
        "A: Perfect. I will reach out to you again shortly.",
    )
    assert (result.agreed_price, result.first_quote) == (130, 200)


def test_a_price_asked_back_after_the_deal_and_confirmed_replaces_it() -> None:
    result = read(
        JOB,
        "P: It's $300, or $250 if you supply the faucet.",
        "A: $300 works.",
        "P: great",
        "A: Sorry, just to confirm, was that $250?",
        "P: yes that's right",
        "A: Great, thank you. I'll reach out shortly.",
    )
    assert result.agreed_price == 250


def test_a_price_asked_back_after_the_deal_and_turned_down_leaves_the_deal() -> None:
    result = read(
        JOB,
        "P: It's $300, or $250 if you supply the faucet.",
        "A: $300 works.",
        "P: great",
        "A: Sorry, just to confirm, was that $250?",
        "P: no, three hundred",
        "A: Got it, thank you. I'll reach out shortly.",
    )
    assert result.agreed_price == 300


def test_the_demo_call_agrees_to_the_price_named_and_confirmed_twice() -> None:
    # `make demo`'s Ace Plumbing call: the provider's yes named $130 against the agent's
    # $150 budget, and the agent asked $130 back twice
    result = read(
        "P: plumbing this is joe",
        "A: Hi, is this Ace Plumbing?",
        "P: how old is the toilet",
        "A: I'm calling for a homeowner. The toilet keeps running. I'd have to check on that "
        "with the homeowner. Could you give me a rough price for the job?",
        "P: is it going on all the time or just now and then",
        "A: The toilet keeps running. Could you give me a rough price for the job?",
        "P: for that it's two hundred",
        "A: That's a bit more than I was hoping to spend. Could you do one hundred ten dollars?",
        "P: no i can't go that low best i can do is one fifty five",
        "A: I'm getting a few other quotes, and they came in lower. Could you do one hundred "
        "thirty dollars?",
        "P: alright one thirty with four thirty",
        "A: I can be flexible on the day. My budget tops out at one hundred fifty dollars. "
        "Could you do that?",
        "P: okay you got it one thirty bucks",
        "A: Just to confirm, did you say one hundred thirty dollars?",
        "P: yeah that's right",
        "A: Great, so we will go with one hundred thirty dollars. Is that right?",
        "P: yeah that right",
        "A: Perfect. Thank you for your help! I will reach out to you again shortly.",
    )
    assert (result.agreed_price, result.first_quote) == (130, 200)
    assert result.confidence.agreed_price == "high"
