"""Canceling a job's calls in progress: hang each up through the telephony's REST API (Twilio's
`Status=completed`); the call's own stream and callbacks then write how it ended."""

from __future__ import annotations

import logging

from shared.models import CallStatus
from voice_backend.call.services import CallServices

logger = logging.getLogger(__name__)


async def hang_up_job(services: CallServices, job_id: str) -> int:
    """Hang up every call of the job that is dialling or in progress; how many were."""
    count = 0
    for provider in await services.store.list_providers(job_id):
        if provider.call_status not in (CallStatus.DIALING, CallStatus.IN_PROGRESS):
            continue
        if not provider.call_sid:
            continue  # still being dialled: the dispatcher hangs it up once it has its SID
        try:
            await services.telephony.hang_up(provider.call_sid)
            count += 1
        except Exception as error:  # one failed hang-up must not stop the others
            logger.warning(
                "hang-up on cancel failed: %s", error, extra={"call_sid": provider.call_sid}
            )
    return count
