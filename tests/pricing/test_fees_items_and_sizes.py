"""Rules added against the second blind set's dev calls, each on a short call written for it:
fees said on top of an offer, caps, upsells and the agent's own change of mind, which item was
booked, and numbers that are sizes or names rather than money. `A:` is our agent, `P:` the
provider."""

from __future__ import annotations

import pytest

from tests.pricing.test_deal_rules import AGREED, HELLO, JOB, read

#: The agent's opening in speech: no punctuation, the greeting runs into the job.
ASR_JOB = "A: hi this is an ai assistant calling for a homeowner their kitchen faucet drips"


def test_a_greeting_without_punctuation_still_describes_the_job() -> None:
    result = read(
        ASR_JOB,
        "P: um that's uh around two sixty five",
        "A: could you do two twenty",
        "P: two forty best i can do",
        "A: okay two forty",
    )
    assert (result.agreed_price, result.first_quote) == (240, 265)


def test_a_fee_said_on_top_of_the_offer_joins_it_when_the_agent_accepts_in_words() -> None:
    result = read(
        "A: Hi, I'm calling for a homeowner who wants a furnace tune-up.",
        "P: tune up eighty nine plus trip charge of twenty nine",
        "A: Okay, that works.",
    )
    assert (result.agreed_price, result.first_quote) == (118, 89)
    assert "trip charge" in (result.conditions or "")
    # 118 was never said: a sum, not a figure heard; the first quote is the job's and credible
    assert result.confidence.agreed_price == "medium"
    assert "agreed price adds the fees said with the offer" in result.confidence.notes
    assert result.confidence.first_quote != "low"


def test_a_first_quote_below_a_deal_only_by_its_fees_stays_credible() -> None:
    result = read(
        HELLO,
        "P: ace",
        JOB,
        "P: A cartridge is $150, plus a $40 trip charge.",
        "A: Okay, so $190 total with the trip charge. That works.",
        AGREED,
    )
    assert (result.agreed_price, result.first_quote) == (190, 150)
    assert result.confidence.first_quote == "high"
    assert "first quote below the agreed price" not in result.confidence.notes


def test_a_fee_waived_before_the_yes_is_not_added() -> None:
    result = read(
        "A: Hi, I'm calling for a homeowner who wants a furnace tune-up.",
        "P: tune up eighty nine plus trip charge of twenty nine",
        "A: Could you waive the trip charge?",
        "P: yeah alright i'll waive it",
        "A: Great, that works.",
    )
    assert result.agreed_price == 89
    assert "waived" in (result.conditions or "")


def test_parts_the_agent_adds_up_are_the_first_quote_even_when_said_with_plus() -> None:
    result = read(
        "A: Hi, I'm calling for a homeowner who wants a bathroom fan vented outside.",
        "P: reroute the vent two twenty plus forty for the roof cap",
        "A: So that's $260 total, correct?",
        "P: sorry gotta take this other call",
    )
    assert (result.agreed_price, result.first_quote) == (None, 260)


def test_a_visit_fee_the_agent_names_back_is_the_jobs_price() -> None:
    result = read(
        "A: Hi, I'm calling for a homeowner who hears mice in the attic.",
        "P: the rodent inspection with the first treatment eighty nine ninety nine",
        "A: okay eighty nine ninety nine sounds good",
        "P: great",
    )
    assert (result.agreed_price, result.first_quote) == (89.99, 89.99)


def test_a_not_to_exceed_figure_accepted_is_the_agreed_cap() -> None:
    result = read(
        "A: Hi, I'm calling for a homeowner whose kitchen lights flicker.",
        "P: ninety an hour not to exceed four hundred",
        "A: Okay, not to exceed $400 works.",
        "P: good",
    )
    assert result.agreed_price == 400


@pytest.mark.parametrize(
    ("plan", "decline"),
    [
        ("P: we also have a maintenance plan one forty nine a year", "A: not right now thanks"),
        ("P: we got a perimeter plan too eighty nine a quarter", "A: They'll pass on that."),
    ],
)
def test_a_plan_offered_after_the_deal_leaves_the_deal_standing(plan: str, decline: str) -> None:
    result = read(ASR_JOB, "P: cartridge swap ninety", "A: that works ninety", plan, decline)
    assert result.agreed_price == 90


def test_the_agent_taking_back_its_own_yes_leaves_no_deal() -> None:
    result = read(
        ASR_JOB,
        "P: cartridge swap one twenty",
        "A: okay one twenty",
        "A: actually sorry the homeowner just found someone cheaper so we'll pass",
        "P: alright no problem",
    )
    assert (result.agreed_price, result.first_quote) == (None, 120)


def test_a_price_asked_back_with_right_in_speech_needs_the_providers_yes() -> None:
    lines = (ASR_JOB, "P: cartridge swap three ten", "A: so three ten right", "P: what")
    assert read(*lines).agreed_price is None
    assert read(*lines, "P: yeah three ten").agreed_price == 310


def test_a_price_for_both_items_said_with_or_is_an_option_not_a_range() -> None:
    result = read(
        "A: Hi, I'm calling for a homeowner who wants a ceiling fan and a dimmer put in.",
        "P: fan install one fifty dimmer sixty five or two hundred for both",
        "A: Both for $200 then.",
        "P: you got it",
    )
    assert (result.agreed_price, result.first_quote) == (200, 200)


def test_the_item_booked_is_told_apart_by_the_word_that_differs() -> None:
    result = read(
        "A: hi i'm calling for a homeowner who wants their house cleaned what are your prices",
        "P: regular clean one twenty deep clean two twenty",
        "A: the deep clean please could you do two hundred",
        "P: yeah two hundred",
        "A: great two hundred",
    )
    assert (result.agreed_price, result.first_quote) == (200, 220)


@pytest.mark.parametrize(
    "quote",
    [
        "P: a single zone twelve thousand btu installed it's twenty seven fifty",
        "P: probably r four ten so the recharge is twenty seven fifty",
    ],
)
def test_sizes_and_refrigerant_names_are_not_prices(quote: str) -> None:
    result = read(
        "A: Hi, I'm calling for a homeowner who wants a mini split. Their budget is $2,500.",
        quote,
        "A: Could you do $2,600?",
        "P: twenty six hundred okay",
        AGREED,
    )
    assert (result.agreed_price, result.first_quote) == (2600, 2750)


def test_one_room_and_its_price_is_not_a_room_number() -> None:
    result = read(HELLO, "P: ace", JOB, "P: re stretch one room one forty five", "A: Okay, $145.")
    assert (result.agreed_price, result.first_quote) == (145, 145)


def test_an_emergency_fee_accepted_with_the_repair_is_named() -> None:
    result = read(
        "A: hi im calling for a homeowner a pipe burst under their sink can someone come out",
        "P: repair's about two hundred plus an emergency fee of a hundred",
        "A: okay three hundred total works",
    )
    assert result.agreed_price == 300
    assert "emergency fee" in (result.conditions or "")


def test_a_first_quote_misheard_and_put_right_is_the_price_put_right() -> None:
    result = read(
        HELLO,
        "P: ace",
        JOB,
        "P: three fifteen",
        "A: $315?",
        "P: no three fifty",
        "A: Could you do $300?",
        "P: three twenty",
        "A: Okay, $320.",
    )
    assert (result.agreed_price, result.first_quote) == (320, 350)


def test_a_first_quote_raised_for_a_reason_stays_the_first_quote() -> None:
    result = read(
        HELLO,
        "P: ace",
        JOB,
        "P: I can do that for $190.",
        "A: Just to confirm, $190 for the faucet?",
        "P: No, $210. The $190 was without the new valve.",
        "A: Okay, $210.",
        "P: Sounds good.",
    )
    assert (result.agreed_price, result.first_quote) == (210, 190)


def test_a_number_put_right_in_the_same_breath_is_read_as_put_right() -> None:
    result = read(
        ASR_JOB,
        "P: one fifteen i mean one fifty",
        "A: could you do one thirty",
        "P: one forty",
        "A: ok one forty",
    )
    assert (result.agreed_price, result.first_quote) == (140, 150)


@pytest.mark.parametrize(
    "priced",
    [
        "P: $200 for the front door and $150 for the back",
        "P: front door two hundred back door one fifty so three fifty for both",
    ],
)
def test_both_items_booked_are_first_priced_at_the_first_items_price(priced: str) -> None:
    result = read(
        "A: Hi, I'm calling for a homeowner who needs two doors rehung.",
        priced,
        "A: Could you do both for $300?",
        "P: $330 for both",
        "A: Okay, $330.",
    )
    assert (result.agreed_price, result.first_quote) == (330, 200)


def test_both_items_added_up_by_the_agent_are_first_priced_at_the_first_item() -> None:
    result = read(
        "A: Hi, I'm calling for a homeowner who needs two doors rehung.",
        "P: $200 for the front door and $150 for the back",
        "A: Okay, both for $350.",
        "P: Both, $350, yes.",
    )
    assert (result.agreed_price, result.first_quote) == (350, 200)


def test_a_price_for_both_together_is_the_first_quote_when_the_agent_takes_it() -> None:
    result = read(
        "A: Hi, I'm calling for a homeowner who needs two doors rehung.",
        "P: front door two hundred back door one fifty or three hundred for both",
        "A: Both for $300 then.",
        "P: sure",
    )
    assert (result.agreed_price, result.first_quote) == (300, 300)


def test_a_price_with_the_diagnostic_waived_is_the_jobs_price_not_the_fee() -> None:
    result = read(
        "A: Hi, I'm calling for a homeowner whose AC won't cool. They need it repaired.",
        "P: Diagnostic is $89, and if it's the capacitor the repair is $350.",
        "A: Could you do the repair for $280 with the diagnostic included?",
        "P: $300 with the diagnostic waived.",
        "A: Okay, $300.",
    )
    assert (result.agreed_price, result.first_quote) == (300, 350)
    assert "diagnostic waived" in (result.conditions or "")


@pytest.mark.parametrize(
    ("answer", "agreed"),
    [("A: not now thanks", 150), ("A: Sure, so $400 total with the plan.", 400)],
)
def test_something_more_offered_after_the_deal_changes_it_only_if_taken(
    answer: str, agreed: float
) -> None:
    result = read(
        ASR_JOB,
        "P: one fifty",
        "A: one fifty works",
        "P: we also do a twice a year plan for two fifty",
        answer,
    )
    assert (result.agreed_price, result.first_quote) == (agreed, 150)


def test_a_price_changed_after_the_deal_for_the_same_job_reopens_it() -> None:
    lines = (
        HELLO,
        "P: ace",
        JOB,
        "P: $200.",
        "A: Okay, $200.",
        "P: Oh, also, it'll be $250 with the new valve, it needs one.",
    )
    assert read(*lines, "A: Okay, $250 works.").agreed_price == 250
    assert read(*lines, "A: They'll have to think about it.").agreed_price is None


def test_a_fee_the_agent_names_by_its_amount_when_asking_back_joins_the_deal() -> None:
    result = read(
        "A: Hi, I'm calling for a homeowner whose garage door opener stopped working.",
        "P: opener repair is one forty and there's a twenty five dollar service fee",
        "A: Could you do one twenty?",
        "P: one thirty plus parts",
        "A: So one thirty, plus parts, plus the twenty five dollar service fee. Correct?",
        "P: yep that's right",
        AGREED,
    )
    assert (result.agreed_price, result.first_quote) == (155, 140)
    assert "service fee" in (result.conditions or "")
    assert "parts" in (result.conditions or "")


def test_a_fee_asked_back_and_confirmed_in_a_spoken_call_joins_the_deal() -> None:
    # the demo's shape: the provider confirms the job's price alone, the fee was named back
    result = read(
        "A: Hi, I'm calling for a homeowner who needs their dryer repaired. It won't heat.",
        "P: we can do that for one hundred sixty dollars that thirty dollars trip charge",
        "A: That's more than I hoped. Could you do eighty dollars, plus the trip fee?",
        "P: i can do eighty dollars i could do ninety five dollars the hour",
        "A: Others came in lower. Could you do eighty five dollars, plus the trip fee?",
        "P: sorry ninety five dollars plus parts is that the best i can do",
        "A: Okay. About how much would the parts be?",
        "P: okay you got it ninety five dollars plus parts",
        "A: So ninety five dollars, plus parts, plus the thirty dollar trip fee. Is that right?",
        "P: alright ninety five dollars with the dollars",
        AGREED,
    )
    assert (result.agreed_price, result.first_quote) == (125, 160)
    assert "trip fee" in (result.conditions or "")
    assert "parts" in (result.conditions or "")


def test_a_fee_asked_back_but_waived_in_the_yes_is_not_added() -> None:
    result = read(
        "A: Hi, I'm calling for a homeowner whose garage door opener stopped working.",
        "P: one thirty and a twenty five dollar service call",
        "A: So one thirty, plus the twenty five dollar service call. Is that right?",
        "P: yeah and i'll waive the service call for you",
        AGREED,
    )
    assert (result.agreed_price, result.first_quote) == (130, 130)
    assert "plus service call" not in (result.conditions or "")


def test_a_counter_said_plus_the_trip_fee_keeps_the_fee_on_top_when_the_provider_takes_it() -> None:
    result = read(
        "A: Hi, I'm calling for a homeowner whose toilet keeps running.",
        "P: that would be one sixty plus a thirty dollar trip charge",
        "A: Could you do one hundred twenty five dollars, plus the trip fee?",
        "P: alright one twenty five works",
        AGREED,
    )
    assert (result.agreed_price, result.first_quote) == (155, 160)
    assert "trip charge" in (result.conditions or "")
    # a counter without the fee named leaves the fee out of what was agreed
    plain = read(
        "A: Hi, I'm calling for a homeowner whose toilet keeps running.",
        "P: that would be one sixty plus a thirty dollar trip charge",
        "A: Could you do one hundred twenty five dollars total?",
        "P: alright one twenty five works",
        AGREED,
    )
    assert plain.agreed_price == 125


def test_the_deal_said_back_with_a_fee_by_its_amount_adds_it_once_the_provider_says_yes() -> None:
    said_back = [
        "A: Hi, I'm calling for a homeowner whose toilet keeps running.",
        "P: for that it's two hundred",  # the fee's "plus" lost on the line
        "P: and a forty dollar trip charge",
        "A: Could you do one hundred sixty dollars?",
        "P: okay you got it one sixty",
        "A: Great, so we will go with one hundred sixty dollars, plus the forty dollar trip fee."
        " Is that right?",
    ]
    assert read(*said_back, "P: yep that's right", AGREED).agreed_price == 200
    # the job's price asked back under that deal is the same deal, not a new one
    again = read(
        *said_back,
        "P: yep that's right",
        "A: Just to confirm, did you say one hundred sixty dollars?",
        "P: yes",
        AGREED,
    )
    assert again.agreed_price == 200
    # unanswered, the deal stays what both sides said before
    unanswered = read(*said_back, "P: sorry what was that", "A: Thanks, bye!")
    assert unanswered.agreed_price == 160


def test_a_fee_put_right_in_the_providers_yes_replaces_the_one_said_back() -> None:
    result = read(
        "A: Hi, I'm calling for a homeowner whose toilet keeps running.",
        "P: six fifty five plus a twenty dollar trip charge",  # "twenty five" heard as "twenty"
        "A: Great, so we will go with six hundred fifty five dollars, plus the twenty dollar trip"
        " fee. Is that right?",
        "P: yep plus the twenty five dollar trip charge",
        "A: Okay, so that's six hundred fifty five dollars, plus the twenty five dollar trip fee."
        " Thank you for your help!",
    )
    assert (result.agreed_price, result.first_quote) == (680, 655)
    # a fee the yes says is included adds nothing
    included = read(
        "A: Hi, I'm calling for a homeowner whose toilet keeps running.",
        "P: two hundred",
        "A: Great, so we will go with two hundred dollars. Is that right?",
        "P: yep that includes the forty dollar trip charge",
        AGREED,
    )
    assert included.agreed_price == 200


def test_a_fee_the_agent_accepts_by_its_amount_with_the_job_joins_the_deal() -> None:
    result = read(
        "A: Hi, I'm calling for a homeowner who is locked out tonight. How much for a lockout?",
        "P: A lockout is $95, and after 9 PM there's a $50 after-hours call-out fee.",
        "A: Could you do $80 for the lockout?",
        "P: $85, plus the after-hours fee.",
        "A: Alright, $85 plus the $50 after-hours fee. Please come.",
        "P: On my way, about 25 minutes.",
    )
    assert (result.agreed_price, result.first_quote) == (135, 95)


def test_what_a_price_leaves_out_is_no_refusal() -> None:
    result = read(
        "A: Hi, I'm calling for a homeowner whose driveway needs pressure washing.",
        "P: That's $175. We also offer sealing for fifty cents a square foot.",
        "A: Just the washing. Could you do $150?",
        "P: $160.",
        "A: Okay, $160 for the washing, no sealing.",
        "P: Perfect.",
    )
    assert result.agreed_price == 160
    refused = read(
        "A: Hi, I'm calling for a homeowner whose driveway needs pressure washing.",
        "P: That's $175.",
        "A: Could you do $150?",
        "P: no that's my price",
        "A: Okay, no deal then. Thank you.",  # "no deal" is no yes
    )
    assert refused.agreed_price is None


def test_a_not_to_exceed_price_agreed_is_the_deal() -> None:
    result = read(
        "A: Hi, the homeowner wants the trim in their condo painted. What would that cost?",
        "P: We do trim at $55 an hour per painter, so roughly $1,400.",
        "A: Would you agree to a not-to-exceed price of $1,250?",
        "P: I can't go that low. Not to exceed $1,350 I can do.",
        "A: Alright, not to exceed $1,350.",
        "P: Deal.",
    )
    assert (result.agreed_price, result.first_quote) == (1350, 1400)


def test_one_price_said_two_ways_is_not_two_items() -> None:
    result = read(
        "A: Hello, I'm calling for a homeowner who'd like a standard clean. How much?",
        "P: A standard clean is $160 by card, or $150 if you pay cash.",
        "A: Okay, $150 cash. Thank you for your help!",
    )
    assert (result.agreed_price, result.first_quote) == (150, 160)


def test_the_room_a_job_is_in_is_no_room_number() -> None:
    result = read(
        "A: Hi, I'm calling for a homeowner who wants three recessed lights put in.",
        "P: three cans in the living room four fifty",
        "A: Okay, four hundred fifty dollars.",
    )
    assert (result.agreed_price, result.first_quote) == (450, 450)


@pytest.mark.parametrize("charge", ["truck charge", "trick charge", "call fee"])
def test_a_price_said_plus_and_named_a_charge_is_a_fee_on_top(charge: str) -> None:
    # "trip" misheard as "truck" or "trick": the charge is still a fee
    result = read(
        "A: Hi, I'm calling for a homeowner whose toilet keeps running.",
        f"P: one sixty plus a thirty dollar {charge}",
        "A: Okay, that works.",
    )
    assert (result.agreed_price, result.first_quote) == (190, 160)
