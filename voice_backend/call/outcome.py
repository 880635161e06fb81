"""How a call ended, and what that makes its outcome: pure rules, no I/O.

The bridge records an `EndReason` when the conversation stops; once the transcript has been
read for a price, `decide` turns the two into the call's status, outcome and failure note, and
`final_update` into the result that is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pricing.intent import refine_outcome
from shared.models import CallStatus, CallUpdate, Outcome, TranscriptTurn, format_transcript


class EndReason(StrEnum):
    """Why the conversation ended."""

    AGENT_HUNG_UP = "the agent said goodbye and hung up"
    PROVIDER_HUNG_UP = "the provider hung up"
    TIME_LIMIT = "the call reached its time limit"
    SILENCE = "the line stayed silent"
    VOICEMAIL = "a voicemail answered"
    AGENT_FAILED = "the agent's session failed"
    AGENT_START_FAILED = "the agent's session could not start"
    BAD_MESSAGE = "Twilio sent a malformed message"
    SHUTDOWN = "the voice service shut down"


#: Ends that mean something went wrong on our side (or on the wire), not in the conversation.
ERROR_ENDS = frozenset(
    {
        EndReason.AGENT_FAILED,
        EndReason.AGENT_START_FAILED,
        EndReason.BAD_MESSAGE,
        EndReason.SHUTDOWN,
    }
)


@dataclass(frozen=True)
class Verdict:
    """A call's status and outcome, and the note saying why it failed (if it did)."""

    call_status: CallStatus
    outcome: Outcome
    failure_reason: str | None


def decide(
    reason: EndReason,
    detail: str | None = None,
    *,
    agreed: bool,
    conversation: bool,
    failure_reason: str | None = None,
) -> Verdict:
    """The verdict on a call that ended for `reason`.

    `agreed`: a price was read from the transcript; `conversation`: the provider said anything
    at all; `failure_reason`: a note already set (by price extraction, say), which the end's
    own note is appended to when the call failed, hit voicemail or had no conversation.
    """
    if reason is EndReason.VOICEMAIL:
        status, outcome = CallStatus.FAILED, Outcome.VOICEMAIL
    elif reason in ERROR_ENDS and not agreed:
        status, outcome = CallStatus.FAILED, Outcome.ERROR
    else:
        status = CallStatus.COMPLETED
        outcome = Outcome.AGREED if agreed else Outcome.NO_AGREEMENT
    note = f"{reason.value}: {detail}" if detail else reason.value
    if reason in ERROR_ENDS or reason is EndReason.VOICEMAIL or not conversation:
        failure_reason = f"{failure_reason}; {note}" if failure_reason else note
    return Verdict(status, outcome, failure_reason)


def final_update(
    update: CallUpdate,
    turns: list[TranscriptTurn],
    reason: EndReason,
    detail: str | None,
    *,
    ended_at: datetime,
) -> CallUpdate:
    """A call's result: `update` (the price fields read from `turns`) with the verdict on a
    call that ended for `reason`, its end time and its transcript."""
    verdict = decide(
        reason,
        detail,
        agreed=update.negotiated_price is not None,
        conversation=any(turn.role == "user" for turn in turns),
        failure_reason=update.failure_reason,
    )
    result = update.model_copy(
        update={
            "call_status": verdict.call_status,
            "outcome": verdict.outcome,
            "failure_reason": verdict.failure_reason,
            "ended_at": ended_at,
            "transcript_turns": turns,
            "call_transcript": format_transcript(turns),
        }
    )
    return refine_outcome(result, turns)  # declined, or asked to be called back


def agent_error_kind(reason: EndReason) -> str | None:
    """For a call the agent broke: `"start"` or `"session"` (the metric's label); else None."""
    if reason is EndReason.AGENT_START_FAILED:
        return "start"
    if reason is EndReason.AGENT_FAILED:
        return "session"
    return None
