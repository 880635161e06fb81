"""The ending rules: when a pending hang-up happens, and what the watchdog does on each tick."""

from __future__ import annotations

from voice_backend.call.ending import (
    GOODBYE_QUIET_SECONDS,
    GOODBYE_TIMEOUT_SECONDS,
    WRAP_UP_GRACE_SECONDS,
    Ending,
    WatchdogStep,
)
from voice_backend.call.outcome import EndReason

LIMIT, SILENCE = 300.0, 30.0


def started(at: float = 100.0) -> Ending:
    ending = Ending(LIMIT, SILENCE)
    ending.begin(at)
    return ending


def test_a_quiet_line_within_the_limits_needs_nothing() -> None:
    ending = started()
    assert ending.tick(100.0 + SILENCE - 1, playing=False) is WatchdogStep.WAIT


def test_the_time_limit_asks_for_a_wrap_up_even_while_the_agent_talks() -> None:
    ending = started()
    ending.agent_spoke(100.0 + LIMIT)
    assert ending.tick(100.0 + LIMIT + 0.5, playing=True) is WatchdogStep.WRAP_UP_TIME


def test_silence_asks_for_a_wrap_up_only_when_nothing_of_ours_is_playing() -> None:
    ending = started()
    ending.heard(110.0)
    assert ending.tick(110.0 + SILENCE + 1, playing=True) is WatchdogStep.WAIT
    assert ending.tick(110.0 + SILENCE + 1, playing=False) is WatchdogStep.WRAP_UP_SILENCE


def test_a_wrap_up_waits_its_grace_then_hangs_up_with_its_reason() -> None:
    ending = started()
    ending.wrap_up_requested(200.0, EndReason.SILENCE)
    assert ending.tick(200.0 + WRAP_UP_GRACE_SECONDS, playing=False) is WatchdogStep.WAIT
    step = ending.tick(200.0 + WRAP_UP_GRACE_SECONDS + 0.1, playing=False)
    assert step is WatchdogStep.WRAP_UP_OVERDUE
    assert ending.wrap_up_reason is EndReason.SILENCE


def test_only_the_first_hang_up_request_counts() -> None:
    ending = started()
    assert ending.hang_up_requested(150.0, voicemail=False)
    assert not ending.hang_up_requested(151.0, voicemail=False)
    assert ending.hang_up_pending


def test_the_goodbye_has_played_once_its_response_is_over_and_its_marks_are_back() -> None:
    ending = started()
    ending.agent_spoke(150.0)
    ending.hang_up_requested(150.0, voicemail=False)
    assert not ending.goodbye_played(150.1, playing=False)  # the response is still going
    ending.response_done()
    assert not ending.goodbye_played(150.2, playing=True)  # its audio is still playing
    assert ending.goodbye_played(150.2, playing=False)
    assert ending.hang_up_reason is EndReason.AGENT_HUNG_UP


def test_without_an_end_of_response_a_quiet_agent_means_the_goodbye_is_over() -> None:
    ending = started()
    ending.agent_spoke(150.0)
    ending.hang_up_requested(150.0, voicemail=False)
    assert not ending.goodbye_played(150.0 + GOODBYE_QUIET_SECONDS, playing=False)
    assert ending.goodbye_played(150.0 + GOODBYE_QUIET_SECONDS + 0.1, playing=False)


def test_a_response_done_before_any_hang_up_request_is_not_a_goodbye() -> None:
    ending = started()
    ending.agent_spoke(150.0)
    ending.response_done()
    ending.hang_up_requested(150.1, voicemail=False)
    assert not ending.goodbye_played(150.2, playing=False)


def test_a_voicemail_hang_up_ends_as_a_voicemail() -> None:
    ending = started()
    ending.hang_up_requested(150.0, voicemail=True)
    assert ending.hang_up_reason is EndReason.VOICEMAIL


def test_a_pending_hang_up_is_checked_then_given_up_on_after_the_goodbye_timeout() -> None:
    ending = started()
    ending.agent_spoke(150.0)
    ending.hang_up_requested(150.0, voicemail=False)
    assert ending.tick(151.0, playing=True) is WatchdogStep.CHECK_GOODBYE
    late = 150.0 + GOODBYE_TIMEOUT_SECONDS + 0.1
    assert ending.tick(late, playing=True) is WatchdogStep.GOODBYE_OVERDUE
    # Overdue counts as played, even before the agent goes quiet.
    ending.agent_spoke(late)
    assert ending.goodbye_played(late, playing=False)


def test_a_pending_hang_up_outranks_the_limits() -> None:
    ending = started()
    ending.hang_up_requested(100.0 + LIMIT, voicemail=False)
    assert ending.tick(100.0 + LIMIT + 1, playing=False) is WatchdogStep.CHECK_GOODBYE
