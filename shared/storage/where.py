"""Which provider rows a bulk update touches: the conditions every backend translates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.models import CallStatus


@dataclass(frozen=True)
class Where:
    """Which provider rows a bulk update touches (every given condition must hold)."""

    job_id: str | None = None
    provider_id: int | None = None
    #: Only the row whose latest attempt has this number (a compare-and-set on the attempt).
    attempt: int | None = None
    statuses: tuple[str, ...] | None = None
    queued: bool | None = None
    claimed_by: str | None = None
    #: Only rows whose lease ran out before this time (rows without a lease never match).
    lease_before: datetime | None = None


#: Calls on the line now.
LIVE = (CallStatus.DIALING.value, CallStatus.IN_PROGRESS.value)
#: Calls that have ended.
ENDED = (CallStatus.COMPLETED.value, CallStatus.FAILED.value)
