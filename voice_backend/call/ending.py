"""When a call should end: the goodbye the agent asked for, and the limits the watchdog keeps.

`Ending` holds the times that matter (all from `time.monotonic()`) and answers the bridge's
questions without doing any I/O: has the goodbye played, and what should the watchdog do now
(wait, check the goodbye, ask the agent to wrap up, or stop waiting for it).
"""

from __future__ import annotations

from enum import Enum

from voice_backend.call.outcome import EndReason

#: How long the goodbye may take to play before we hang up anyway.
GOODBYE_TIMEOUT_SECONDS = 15.0
#: How often the bridge's watchdog asks `Ending.tick` what to do.
WATCHDOG_SECONDS = 0.25
#: With no end-of-response signal, how long without agent audio means the goodbye is over.
GOODBYE_QUIET_SECONDS = 1.0
#: After a polite wrap-up was asked for, how long before we hang up regardless.
WRAP_UP_GRACE_SECONDS = 20.0


class WatchdogStep(Enum):
    """What the watchdog should do on this tick."""

    WAIT = "nothing to do yet"
    CHECK_GOODBYE = "a hang-up is pending: see whether the goodbye has played"
    GOODBYE_OVERDUE = "the goodbye is taking too long: stop waiting for its marks, hang up"
    WRAP_UP_OVERDUE = "the agent did not close after a wrap-up: hang up regardless"
    WRAP_UP_TIME = "the call reached its time limit: ask the agent to close"
    WRAP_UP_SILENCE = "the line has been silent too long: ask the agent to close"


class Ending:
    """The hang-up and wrap-up state of one call, with its time and silence limits."""

    def __init__(self, time_limit_seconds: float, silence_limit_seconds: float) -> None:
        self._time_limit = time_limit_seconds
        self._silence_limit = silence_limit_seconds
        self.started_at = 0.0
        self._last_activity = 0.0
        self._last_agent_audio = 0.0
        self.hang_up_pending = False
        self._hang_up_since = 0.0
        self._goodbye_done = False
        self._voicemail = False  # the agent hung up on an answering machine
        self._wrap_up_since: float | None = None
        self.wrap_up_reason = EndReason.TIME_LIMIT

    def begin(self, now: float) -> None:
        """The conversation starts: the time limit counts from `now`."""
        self.started_at = self._last_activity = now

    def heard(self, now: float) -> None:
        """The provider spoke (or stopped speaking): the line is not silent."""
        self._last_activity = now

    def agent_spoke(self, now: float) -> None:
        """Agent audio went out."""
        self._last_activity = self._last_agent_audio = now

    def hang_up_requested(self, now: float, *, voicemail: bool) -> bool:
        """The agent asked to hang up; `True` if this is the first time."""
        if voicemail:
            self._voicemail = True
        if self.hang_up_pending:
            return False
        self.hang_up_pending = True
        self._hang_up_since = now
        return True

    def response_done(self) -> None:
        """The agent finished a turn: after a hang-up request, that was its goodbye."""
        if self.hang_up_pending:
            self._goodbye_done = True

    def goodbye_played(self, now: float, *, playing: bool) -> bool:
        """Whether to hang up now: one is pending, no audio of ours is still playing, and the
        goodbye's response is over (or no agent audio came for a while)."""
        if not self.hang_up_pending or playing:
            return False
        quiet = now - self._last_agent_audio > GOODBYE_QUIET_SECONDS
        return self._goodbye_done or quiet

    @property
    def hang_up_reason(self) -> EndReason:
        """How a call the agent hung up on ended."""
        return EndReason.VOICEMAIL if self._voicemail else EndReason.AGENT_HUNG_UP

    def wrap_up_requested(self, now: float, reason: EndReason) -> None:
        """The agent was asked to close the call for `reason`."""
        self._wrap_up_since = now
        self.wrap_up_reason = reason

    def tick(self, now: float, *, playing: bool) -> WatchdogStep:
        """What the watchdog should do at `now`; `playing`: audio of ours is still out.

        An overdue goodbye counts as done from here on.
        """
        if self.hang_up_pending:
            if now - self._hang_up_since > GOODBYE_TIMEOUT_SECONDS:
                self._goodbye_done = True
                return WatchdogStep.GOODBYE_OVERDUE
            return WatchdogStep.CHECK_GOODBYE
        if self._wrap_up_since is not None:
            if now - self._wrap_up_since > WRAP_UP_GRACE_SECONDS:
                return WatchdogStep.WRAP_UP_OVERDUE
            return WatchdogStep.WAIT
        if now - self.started_at > self._time_limit:
            return WatchdogStep.WRAP_UP_TIME
        if now - self._last_activity > self._silence_limit and not playing:
            return WatchdogStep.WRAP_UP_SILENCE
        return WatchdogStep.WAIT
