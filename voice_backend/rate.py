"""The dial rate of the whole fleet: `CALLS_PER_SECOND` call creations per second, at most,
across every voice instance sharing the store (Twilio's limit is per account, not per
process).

Each dial takes the fleet's next slot from the store (`Fleet.reserve_dial`), spaced
`(1 + GUARD) / CALLS_PER_SECOND` seconds after the previous one: the guard absorbs the few
milliseconds between a slot and the moment Twilio receives the request, so that no
one-second window ever holds more than `CALLS_PER_SECOND` creations. Should the store fail
to answer, the instance paces itself alone until it answers again.
"""

from __future__ import annotations

import logging

from shared.storage import StoreError
from shared.storage.fleet import Fleet, LocalFleet

logger = logging.getLogger(__name__)

#: Share of the spacing added as a margin for the time from slot to Twilio (50 ms per
#: `CALLS_PER_SECOND` calls).
GUARD = 0.05


class DialPacer:
    """Hands out dial slots at the fleet's rate."""

    def __init__(self, fleet: Fleet, calls_per_second: float) -> None:
        self._fleet = fleet
        self._fallback = LocalFleet.pacing_only()
        self.spacing = (1 + GUARD) / calls_per_second

    async def reserve(self) -> float:
        """Take the next slot; how many seconds to wait before dialling."""
        try:
            return await self._fleet.reserve_dial(self.spacing)
        except StoreError as error:
            logger.warning("cannot reach the fleet's dial rate, pacing alone: %s", error)
            return await self._fallback.reserve_dial(self.spacing)
