"""The dial rate of the whole fleet: `CALLS_PER_SECOND` call creations per second, at most,
across every voice instance sharing the store (Twilio's limit is per account, not per
process).

Right before each dial the instance takes a ticket from the store (`Fleet.reserve_dial`), or
waits as long as the store says and asks again; when Twilio has answered the request, the
ticket is handed back (`Fleet.dial_done`) and counts one more rate window from then. Should
the store fail to answer, the instance paces itself alone until it answers again.
"""

from __future__ import annotations

import asyncio
import logging

from shared.storage import StoreError
from shared.storage.fleet import DialRate, Fleet, LocalFleet

logger = logging.getLogger(__name__)


class DialPacer:
    """Hands out dial tickets at the fleet's rate."""

    def __init__(self, fleet: Fleet, calls_per_second: float) -> None:
        self._fleet = fleet
        self._fallback = LocalFleet.pacing_only()
        self.rate = DialRate.per_second(calls_per_second)

    async def wait_for_slot(self) -> str:
        """Return a ticket once the fleet's rate allows a dial: dial at once."""
        while True:
            try:
                answer = await self._fleet.reserve_dial(self.rate)
            except StoreError as error:
                logger.warning("cannot reach the fleet's dial rate, pacing alone: %s", error)
                answer = await self._fallback.reserve_dial(self.rate)
            if isinstance(answer, str):
                return answer
            await asyncio.sleep(answer)

    async def done(self, ticket: str) -> None:
        """The dial's request to Twilio came back (or failed)."""
        try:
            await self._fleet.dial_done(ticket, self.rate)
        except StoreError as error:  # it then counts until its time-out: slower, not faster
            logger.warning("cannot record the end of a dial: %s", error)
        await self._fallback.dial_done(ticket, self.rate)
