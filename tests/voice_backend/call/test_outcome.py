"""The outcome rules: a call's status, outcome and failure note from how it ended."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.models import CallStatus, CallUpdate, Outcome, TranscriptTurn, format_transcript
from voice_backend.call.outcome import (
    ERROR_ENDS,
    EndReason,
    Verdict,
    agent_error_kind,
    decide,
    final_update,
)


def test_a_price_agreed_and_a_goodbye_is_a_completed_agreement() -> None:
    verdict = decide(EndReason.AGENT_HUNG_UP, agreed=True, conversation=True)
    assert verdict == Verdict(CallStatus.COMPLETED, Outcome.AGREED, None)


def test_a_conversation_without_a_price_is_no_agreement() -> None:
    verdict = decide(EndReason.PROVIDER_HUNG_UP, agreed=False, conversation=True)
    assert verdict == Verdict(CallStatus.COMPLETED, Outcome.NO_AGREEMENT, None)


@pytest.mark.parametrize("reason", [EndReason.TIME_LIMIT, EndReason.SILENCE])
def test_limits_end_a_call_as_completed(reason: EndReason) -> None:
    verdict = decide(reason, agreed=True, conversation=True)
    assert verdict == Verdict(CallStatus.COMPLETED, Outcome.AGREED, None)


def test_voicemail_fails_the_call_with_its_detail() -> None:
    verdict = decide(
        EndReason.VOICEMAIL, "answered by machine_start", agreed=False, conversation=True
    )
    assert verdict == Verdict(
        CallStatus.FAILED, Outcome.VOICEMAIL, "a voicemail answered: answered by machine_start"
    )


def test_voicemail_wins_over_a_price() -> None:
    verdict = decide(EndReason.VOICEMAIL, agreed=True, conversation=True)
    assert (verdict.call_status, verdict.outcome) == (CallStatus.FAILED, Outcome.VOICEMAIL)


@pytest.mark.parametrize("reason", sorted(ERROR_ENDS))
def test_an_error_without_a_price_is_an_error(reason: EndReason) -> None:
    verdict = decide(reason, "boom", agreed=False, conversation=True)
    assert verdict == Verdict(CallStatus.FAILED, Outcome.ERROR, f"{reason.value}: boom")


def test_an_error_after_a_price_keeps_the_agreement_but_notes_the_error() -> None:
    verdict = decide(EndReason.AGENT_FAILED, "socket closed", agreed=True, conversation=True)
    assert verdict == Verdict(
        CallStatus.COMPLETED, Outcome.AGREED, "the agent's session failed: socket closed"
    )


def test_no_conversation_is_noted_even_when_the_call_completed() -> None:
    verdict = decide(EndReason.PROVIDER_HUNG_UP, agreed=False, conversation=False)
    assert verdict == Verdict(CallStatus.COMPLETED, Outcome.NO_AGREEMENT, "the provider hung up")


def test_the_end_note_is_appended_to_an_earlier_one() -> None:
    verdict = decide(
        EndReason.SHUTDOWN,
        agreed=False,
        conversation=True,
        failure_reason="price extraction failed",
    )
    assert verdict.failure_reason == "price extraction failed; the voice service shut down"


def test_an_earlier_note_is_kept_as_is_when_the_end_adds_none() -> None:
    verdict = decide(
        EndReason.AGENT_HUNG_UP, agreed=True, conversation=True, failure_reason="over budget"
    )
    assert verdict.failure_reason == "over budget"


def test_agent_error_kind_labels_only_the_agent_s_failures() -> None:
    assert agent_error_kind(EndReason.AGENT_START_FAILED) == "start"
    assert agent_error_kind(EndReason.AGENT_FAILED) == "session"
    assert {agent_error_kind(reason) for reason in EndReason} == {"start", "session", None}
    assert agent_error_kind(EndReason.BAD_MESSAGE) is None


def test_final_update_completes_the_price_fields_with_verdict_time_and_transcript() -> None:
    turns = [
        TranscriptTurn(role="assistant", text="Hi, is this Ace Plumbing?"),
        TranscriptTurn(role="user", text="Yes, $180 for the visit."),
    ]
    ended = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    update = final_update(
        CallUpdate(negotiated_price=180.0, minimum_quote=180.0),
        turns,
        EndReason.AGENT_HUNG_UP,
        None,
        ended_at=ended,
    )
    assert update.call_status is CallStatus.COMPLETED and update.outcome is Outcome.AGREED
    assert (update.negotiated_price, update.minimum_quote) == (180.0, 180.0)
    assert update.failure_reason is None and update.ended_at == ended
    assert update.transcript_turns == turns
    assert update.call_transcript == format_transcript(turns)


def test_final_update_of_a_call_nobody_answered_notes_why() -> None:
    turns = [TranscriptTurn(role="assistant", text="Hello?")]
    update = final_update(CallUpdate(), turns, EndReason.SILENCE, None, ended_at=datetime.now(UTC))
    assert update.outcome is Outcome.NO_AGREEMENT
    assert update.failure_reason == "the line stayed silent"
