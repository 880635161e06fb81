"""A call without a deal: a provider who turns the job down, or asks to be called back."""

from __future__ import annotations

import pytest

from pricing.intent import read_intent, refine_outcome
from shared.models import CallStatus, CallUpdate, Outcome, TranscriptTurn


def _turns(*provider_lines: str) -> list[TranscriptTurn]:
    turns = [TranscriptTurn(role="assistant", text="Hi, is this Ace Plumbing?")]
    turns += [TranscriptTurn(role="user", text=line) for line in provider_lines]
    # The agent's own closing mentions calling back: never read as the provider's request.
    turns.append(TranscriptTurn(role="assistant", text="I will call you back."))
    return turns


@pytest.mark.parametrize(
    "line",
    ["sorry we don't do toilets, only roofs", "we're booked solid for the next month"],
)
def test_a_provider_who_does_not_do_the_job_declined(line: str) -> None:
    update = CallUpdate(call_status=CallStatus.COMPLETED, outcome=Outcome.NO_AGREEMENT)
    assert refine_outcome(update, _turns("yes", line)).outcome is Outcome.DECLINED


@pytest.mark.parametrize(
    "line",
    ["let me check with my boss and call you back", "I'll get back to you this afternoon"],
)
def test_a_call_back_request_is_offered_for_a_follow_up(line: str) -> None:
    update = CallUpdate(call_status=CallStatus.COMPLETED, outcome=Outcome.NO_AGREEMENT)
    refined = refine_outcome(update, _turns("yes that's us", line))
    assert refined.outcome is Outcome.NO_AGREEMENT and refined.callback_requested is True


def test_a_plain_failed_negotiation_stays_no_agreement() -> None:
    turns = _turns("yes", "two hundred is my price, can't go lower")
    assert read_intent(turns).declined is False and read_intent(turns).callback is False
    update = CallUpdate(outcome=Outcome.NO_AGREEMENT)
    assert refine_outcome(update, turns).outcome is Outcome.NO_AGREEMENT
    assert update.callback_requested is None


def test_an_agreed_call_is_left_as_it_is() -> None:
    update = CallUpdate(outcome=Outcome.AGREED, negotiated_price=150)
    turns = _turns("we don't do toilets... just kidding, one fifty is fine")
    assert refine_outcome(update, turns).outcome is Outcome.AGREED
