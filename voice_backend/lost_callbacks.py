"""Noticing a dial whose status callbacks never reach this service.

While a call is still `dialing` here, its status is read from Twilio's Calls resource (or the
simulated equivalent) every `STATUS_POLL_SECONDS`: a call Twilio has ended, or answered without
a media stream starting, is closed out within a minute, with a reason that says what to fix.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Final

from shared.models import Outcome
from voice_backend.telephony.base import DialError, Telephony
from voice_backend.twilio.callbacks import (
    UNCONNECTED_OUTCOMES,
    TwilioCallStatus,
    parse_call_status,
)

logger = logging.getLogger(__name__)

#: How often a call still dialing has its status read from Twilio.
STATUS_POLL_SECONDS: Final = 15.0
#: Polls that may find a call answered before its media stream must have started.
_ANSWERED_POLLS: Final = 2
_STILL_DIALING: Final = frozenset(
    {TwilioCallStatus.QUEUED, TwilioCallStatus.INITIATED, TwilioCallStatus.RINGING}
)


class LostCallbacks:
    """Watches the calls this instance dialled until their callbacks or stream arrive."""

    def __init__(
        self,
        telephony: Telephony,
        public_base_url: str | None,
        *,
        still_dialing: Callable[[int], Awaitable[bool]],
        close_out: Callable[[int, Outcome, str], Awaitable[None]],
        hang_up: Callable[[str], Awaitable[None]],
    ) -> None:
        self._telephony = telephony
        self._public_base_url = public_base_url
        self._still_dialing = still_dialing
        self._close_out = close_out
        self._hang_up = hang_up
        self._called_back: set[int] = set()  # providers whose call sent us a callback

    def heard_from(self, provider_id: int) -> None:
        """A status callback of the provider's call arrived."""
        self._called_back.add(provider_id)

    def forget(self, provider_id: int) -> None:
        """The provider's call is over here."""
        self._called_back.discard(provider_id)

    async def watch(self, provider_id: int, call_sid: str) -> None:
        """Poll the call's status until it is no longer dialing here, closing it out when
        Twilio says it ended or was answered without a stream."""
        answered_polls = 0
        while True:
            await asyncio.sleep(STATUS_POLL_SECONDS)
            if not await self._still_dialing(provider_id):
                return
            try:
                status = await self._telephony.call_status(call_sid)
            except DialError as error:
                logger.warning("cannot read the call's status from Twilio: %s", error)
                continue
            twilio_status = parse_call_status(status)
            if twilio_status in _STILL_DIALING:
                continue
            if twilio_status is TwilioCallStatus.IN_PROGRESS:
                answered_polls += 1
                if answered_polls < _ANSWERED_POLLS:
                    continue  # its stream may be connecting right now
                await self._hang_up(call_sid)
                outcome, reason = Outcome.ERROR, "the call was answered but no media stream came"
            elif status is None:
                outcome, reason = Outcome.ERROR, "Twilio does not know the call"
            else:
                known = UNCONNECTED_OUTCOMES.get(twilio_status) if twilio_status else None
                outcome, reason = known or (Outcome.ERROR, f"Twilio reports the call {status}")
            logger.warning(
                "call closed out from its Twilio status: %s", status, extra={"call_sid": call_sid}
            )
            await self._close_out(provider_id, outcome, f"{reason}; {self._hint(provider_id)}")
            return

    def _hint(self, provider_id: int) -> str:
        """What to fix when Twilio's callbacks for a call did not reach us."""
        if provider_id in self._called_back:
            return "Twilio's last status callback never reached the voice service"
        return (
            "none of Twilio's callbacks reached the voice service: check that PUBLIC_BASE_URL "
            f"({self._public_base_url}) reaches it from the internet (is the tunnel up?)"
        )
