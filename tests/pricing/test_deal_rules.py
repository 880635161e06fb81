"""Issue 12's rules, each on a call written for it: a deal needs both sides, the first quote is
the provider's first price for the job, the conditions are short and the provider's, and the
confidence says why a figure is uncertain. `A:` is our agent, `P:` the provider."""

from __future__ import annotations

import pytest

from pricing import PriceResult
from pricing.offline import OfflinePriceExtractor
from shared.models import TranscriptTurn
from shared.money import credible_saving

HELLO = "A: Hi, is this Ace Plumbing?"
JOB = (
    "A: Hi, I'm an AI assistant calling for a homeowner in 94107. Their faucet drips. Can you help?"
)
AGREED = "A: Thank you for your help! I will reach out to you again shortly."


def read(*lines: str) -> PriceResult:
    turns = []
    for line in lines:
        speaker, _, text = line.partition(": ")
        turns.append(TranscriptTurn(role="assistant" if speaker == "A" else "user", text=text))
    return OfflinePriceExtractor().read(turns)


def test_a_number_heard_before_the_job_was_described_is_not_the_first_quote() -> None:
    result = read(
        "P: eight hundred did you",
        HELLO,
        "P: yeah ace plumbing we've been at 1200 main street for 32 years",
        JOB,
        "P: a faucet cartridge is two hundred",
        "A: Could you do $170?",
        "P: one eighty",
        "A: Okay, $180.",
        AGREED,
    )
    assert (result.agreed_price, result.first_quote) == (180, 200)


def test_a_confirmation_the_provider_never_answered_is_no_deal() -> None:
    result = read(
        HELLO,
        "P: ace",
        JOB,
        "P: eighty five for the cartridge",
        "A: So $85 total, is that right?",
        "P: sorry what was that",
        "A: I said, $85 total?",
        "P: sorry what was that",
        AGREED,
    )
    assert result.agreed_price is None
    assert result.first_quote == 85
    assert "confirmation not heard" in result.confidence.notes


def test_a_confirmation_answered_yes_is_the_deal() -> None:
    result = read(HELLO, "P: ace", JOB, "P: eighty five", "A: So $85, right?", "P: yep", AGREED)
    assert result.agreed_price == 85


@pytest.mark.parametrize("close", ["A: Okay, $180.", "A: Alright, $180. Thank you!"])
def test_a_restated_offer_with_a_plain_okay_is_a_deal(close: str) -> None:
    result = read(
        HELLO, "P: ace", JOB, "P: two hundred", "A: Could you do $150?", "P: $180.", close
    )
    assert result.agreed_price == 180


def test_a_cut_off_restatement_is_no_deal() -> None:
    result = read(HELLO, "P: ace", JOB, "P: $180.", "A: So that's $180 including the—")
    assert result.agreed_price is None


def test_a_yes_taken_back_in_the_same_breath_is_no_yes() -> None:
    result = read(
        HELLO,
        "P: ace",
        JOB,
        "P: two hundred",
        "A: Could you do $150?",
        "P: yeah one fifty fine oh wait actually let me run it by my boss and call you back",
        "A: No problem, I'll wait for your call.",
    )
    assert result.agreed_price is None
    assert result.first_quote == 200


def test_a_mandatory_fee_accepted_with_the_job_is_in_the_deal_and_its_conditions() -> None:
    result = read(
        HELLO,
        "P: ace",
        JOB,
        "P: A cartridge is $150, plus a $40 trip charge.",
        "A: Could you waive the trip charge?",
        "P: Sorry, everybody pays it.",
        "A: Okay, so $190 total with the trip charge. That works.",
        AGREED,
    )
    assert (result.agreed_price, result.first_quote) == (190, 150)
    assert result.conditions == "plus trip charge"


def test_an_inspection_fee_is_the_price_when_the_inspection_is_the_job() -> None:
    result = read(
        HELLO,
        "P: ace",
        "A: I'm an AI assistant calling for a homeowner. They need a sewer camera inspection.",
        "P: a camera inspection is two ninety five",
        "A: Could you do $225?",
        "P: two fifty",
        "A: Okay, $250 for the camera inspection.",
        AGREED,
    )
    assert (result.agreed_price, result.first_quote) == (250, 295)


def test_an_address_read_back_is_not_a_quote() -> None:
    result = read(
        HELLO,
        "P: ace whats the address",
        "A: It's 2207 North Halsted.",
        "P: twenty two oh seven north halsted ok what's wrong",
        JOB,
        "P: three twenty five",
        "A: $325 works.",
        AGREED,
    )
    assert (result.agreed_price, result.first_quote) == (325, 325)


def test_conditions_are_short_deduplicated_and_in_the_providers_words() -> None:
    result = read(
        HELLO,
        "P: ace",
        JOB,
        "P: two fifty if i come this afternoon is the best if i come this afternoon",
        "A: Could you do $200 if they pay cash?",
        "P: no two fifty",
        "A: Okay, $250.",
        AGREED,
    )
    assert result.agreed_price == 250
    assert result.conditions == "if i come this afternoon"
    # the condition heard again with a word misheard is the same condition, as first said
    misheard = read(
        HELLO,
        "P: ace",
        JOB,
        "P: two fifty if i come this afternoon",
        "A: Could you do $200?",
        "P: sorry two fifty if i come later afternoon",
        "A: Okay, $250.",
        AGREED,
    )
    assert misheard.conditions == "if i come this afternoon"
    # different clauses stay, however alike their words
    both = read(HELLO, "P: ace", JOB, "P: two fifty if you pay cash plus parts", "A: Okay, $250.")
    assert both.conditions == "if you pay cash; plus parts"


def test_confidence_says_when_a_figure_was_heard_once_in_speech() -> None:
    result = read(HELLO, "P: ace", JOB, "P: two hundred", "A: Could you do $150?", "P: one eighty")
    assert result.agreed_price is None
    assert result.confidence.first_quote == "medium"
    assert "first quote heard once, ASR" in result.confidence.notes
    agreed = read(HELLO, "P: ace", JOB, "P: It's $200.", "A: $200 works.", AGREED)
    assert (agreed.confidence.agreed_price, agreed.confidence.first_quote) == ("high", "high")


def test_a_saving_is_shown_only_when_credible_and_positive() -> None:
    assert credible_saving(200, 180, "high") == 20
    assert credible_saving(200, 180, "low") is None  # a first quote the reader doubts
    assert credible_saving(85, 120, "high") is None  # "Saved -$35" is never shown
    assert credible_saving(None, 120, None) is None
    assert credible_saving(200, None, "high") is None


def test_a_yes_withdrawn_after_the_deal_leaves_no_deal() -> None:
    result = read(
        HELLO,
        "P: ace",
        JOB,
        "P: two hundred",
        "A: Could you do $170?",
        "P: yeah $170 is fine",
        "A: Great.",
        "P: actually no sorry my boss says no",
        AGREED,
    )
    assert result.agreed_price is None


def test_a_counter_accepted_with_a_condition_is_the_deal_not_the_first_offer() -> None:
    result = read(
        HELLO,
        "P: ace",
        JOB,
        "P: two hundred",
        "A: The homeowner's budget is $150. Could you do that?",
        "P: i can do one fifty if they can wait until next week",  # "wait" is no turn-about
        "A: Next week works. $150.",
        "P: ok",
    )
    assert (result.agreed_price, result.first_quote) == (150, 200)
    assert result.conditions == "if they can wait until next week"
    assert result.confidence.agreed_price == "high"


def test_so_and_a_price_with_no_yes_is_a_question_in_speech() -> None:
    turns = (HELLO, "P: ace", JOB, "P: two hundred", "A: could you do one sixty", "P: one eighty")
    unanswered = read(*turns, "A: so one eighty", "P: sorry you broke up")
    assert unanswered.agreed_price is None
    assert read(*turns, "A: so one eighty", "P: yep").agreed_price == 180


def test_a_price_said_as_the_sum_of_its_parts_is_the_quote() -> None:
    result = read(
        HELLO,
        "P: ace",
        JOB,
        "P: Sure, the cartridge is about $90 and labor is $120, so $210 all in.",
        "A: Could you do $180 all in?",
        "P: $195 all in.",
        "A: Okay, $195 all in.",
    )
    assert (result.agreed_price, result.first_quote) == (195, 210)


def test_a_fee_named_after_the_deal_and_accepted_is_added() -> None:
    turns = (HELLO, "P: ace", JOB, "P: two hundred", "A: Could you do $150?", "P: one seventy five")
    deal = (*turns, "A: Great, $175 it is.", "P: oh and there's a thirty dollar trip fee")
    accepted = read(*deal, "A: Okay, $205 with the trip fee.", "P: yep")
    assert (accepted.agreed_price, accepted.conditions) == (205, "plus trip fee")
    walked = read(
        *deal, "A: That's more than we agreed. I need to think about it and will call you back."
    )
    assert walked.agreed_price is None


@pytest.mark.parametrize(
    ("lines", "agreed"),
    [
        # "it is" ends a sentence: not a cut-off question
        (
            (
                "P: three seventy five",
                "A: could you do three twenty five",
                "P: three fifty",
                "A: three fifty it is",
            ),
            350,
        ),
        # "no, one ninety" is a price, not "no one"
        (
            (
                "P: one ninety",
                "A: Could you do $150?",
                "P: no one ninety is firm",
                "A: Understood, $190 then.",
            ),
            190,
        ),
        # the offer said with the fee waived is the offer, and "with no" is no refusal
        (
            (
                "P: $180 plus a $45 trip charge.",
                "A: Could you waive the trip charge?",
                "P: Fine, I'll waive it.",
                "A: Great, $180 with no trip charge.",
            ),
            180,
        ),
    ],
)
def test_restatements_read_as_said(lines: tuple[str, ...], agreed: float) -> None:
    assert read(HELLO, "P: ace", JOB, *lines).agreed_price == agreed


def test_a_call_where_the_agent_never_describes_the_job_is_read_from_its_first_word() -> None:
    result = read("P: eight hundred did you", HELLO, "P: yes we can do it for one twenty", AGREED)
    assert (result.agreed_price, result.first_quote) == (120, 120)


def test_a_phone_number_in_digits_is_not_a_quote() -> None:
    result = read(
        HELLO,
        "P: ace",
        JOB,
        "P: call me at 555-0134 if we get cut off, anyway it's one ten",
        "A: Could you do $90?",
        "P: a hundred",
        "A: Okay, $100.",
    )
    assert (result.agreed_price, result.first_quote) == (100, 110)


def test_the_sum_of_the_parts_the_provider_gave_is_their_price() -> None:
    result = read(
        HELLO,
        "P: ace",
        JOB,
        "P: Parts are about $40 and labor is $110.",
        "A: So $150 total?",
        "P: Yes, $150 total.",
        "A: Okay, $150.",
    )
    assert (result.agreed_price, result.first_quote) == (150, 150)


def test_a_price_followed_by_is_that_right_is_asked_back() -> None:
    turns = (HELLO, "P: ace", JOB, "P: eighty five dollars plus parts")
    asked = "A: Great, so we will go with eighty five dollars, plus parts. Is that right?"
    assert read(*turns, asked, "P: sorry i can't hear you").agreed_price is None
    confirmed = read(*turns, asked, "P: yeah that's right")
    assert (confirmed.agreed_price, confirmed.confidence.agreed_price) == (85, "high")


def test_a_condition_stops_where_speech_runs_on() -> None:
    result = read(
        HELLO,
        "P: ace",
        JOB,
        "P: two twenty",
        "A: Could you do $125?",
        "P: sorry one forty if i come this afternoon that the best i can do",
        "A: Okay, $140.",
    )
    assert (result.agreed_price, result.conditions) == (140, "if i come this afternoon")


def test_a_counter_put_off_is_not_taken_by_a_goodbye() -> None:
    result = read(
        HELLO,
        "P: ace",
        JOB,
        "P: faucet swap uh one eighty five usually",
        "A: Could you do $140?",
        "P: maybe i gotta look at my schedule let me call you back",
        "A: Okay, thank you.",
        "P: yep",
    )
    assert (result.agreed_price, result.first_quote) == (None, 185)


def test_turning_a_price_down_politely_is_no_yes() -> None:
    result = read(
        HELLO,
        "P: ace",
        JOB,
        "P: Upright or grand?",  # a piano, not $1,000
        "A: An upright.",
        "P: Stairs down to a basement with an upright is $525.",
        "A: Could you do $300?",
        "P: Sorry, that's our set price for stairs. $525.",
        "A: Okay, that's more than we can do right now. Thank you.",
        "P: Sure thing.",
    )
    assert (result.agreed_price, result.first_quote) == (None, 525)


def test_a_yes_taken_back_with_a_sorry_is_taken_back() -> None:
    result = read(
        HELLO,
        "P: ace",
        JOB,
        "P: reattach downspout and rehang that section one ninety",
        "A: Could you do $150?",
        "P: yeah okay one fifty",
        "A: Great, $150. Thank you.",
        "P: oh actually hold on my boss is saying no we can't do one fifty on that sorry",
        "A: I understand. Thank you for your time.",
    )
    assert result.agreed_price is None


def test_a_no_to_the_counter_does_not_reach_the_price_said_after_it() -> None:
    result = read(
        HELLO,
        "P: ace",
        JOB,
        "P: you're looking at eighteen hundred",
        "A: could you do twelve hundred",
        "P: no we cant do twelve uh fourteen fifty is the best i got",
        "A: okay fourteen fifty works for us",
        "P: alright i'll send somebody out tuesday",
    )
    assert (result.agreed_price, result.first_quote) == (1450, 1800)


def test_thinking_aloud_then_yes_is_a_yes_but_waiting_on_someone_is_not() -> None:
    call = (HELLO, "P: ace", JOB, "P: installed it's $4,800.", "A: Could you do $4,200?")
    yes = read(*call, "P: Let me see... yes, I can do $4,200.", "A: Great. Thank you!")
    assert yes.agreed_price == 4200
    pending = read(
        *call,
        "P: I think $4,200 works, but I need to confirm with my supervisor first.",
        "A: Sure, $4,200 pending their okay. Talk soon.",
    )
    assert pending.agreed_price is None


def test_a_deposit_is_part_of_the_price_not_the_price() -> None:
    result = read(
        HELLO,
        "P: ace",
        JOB,
        "P: whole house repipe sixty four hundred",
        "A: Could you do $5,500?",
        "P: um fifty nine hundred and we need twenty nine fifty down as a deposit",
        "A: Okay, $5,900 with a $2,950 deposit. That works.",
        "P: alright",
    )
    assert (result.agreed_price, result.first_quote) == (5900, 6400)
