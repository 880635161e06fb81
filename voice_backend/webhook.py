"""The job webhook: a signed notice to the homeowner's own app once a job's calls have all
ended.

`POST JOB_WEBHOOK_URL` with a JSON body; `X-Haggle-Signature: sha256=<hex>` is HMAC-SHA256 of
the exact body bytes under `JOB_WEBHOOK_SECRET` (the receiver recomputes it over the raw body
and compares in constant time); `X-Haggle-Delivery` is one id per notice, the same on every
retry, so a receiver can drop repeats. A transport error, a 429 or a 5xx is retried with
doubling delays, up to `JOB_WEBHOOK_ATTEMPTS` tries; another 4xx is final.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import uuid
from typing import Any

import httpx

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Haggle-Signature"
DELIVERY_HEADER = "X-Haggle-Delivery"
EVENT_HEADER = "X-Haggle-Event"
CALLS_ENDED = "job.calls_ended"


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """Whether `header` is the signature of `body` (for receivers, and tests)."""
    return header is not None and hmac.compare_digest(sign(secret, body), header)


class JobWebhook:
    """Delivers signed notices to one URL, retrying with back-off."""

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        attempts: int = 5,
        first_delay: float = 1.0,
        timeout: float = 10.0,
    ) -> None:
        self._url = url
        self._secret = secret
        self._attempts = attempts
        self._first_delay = first_delay
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def close(self) -> None:
        """Release connections."""
        await self._client.aclose()

    async def deliver(self, event: str, payload: dict[str, Any]) -> bool:
        """Send one notice; `True` once the receiver answered 2xx."""
        body = json.dumps(payload, separators=(",", ":"), default=str).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self._secret, body),
            DELIVERY_HEADER: str(uuid.uuid4()),
            EVENT_HEADER: event,
        }
        delay = self._first_delay
        for attempt in range(1, self._attempts + 1):
            try:
                response = await self._client.post(self._url, content=body, headers=headers)
            except httpx.HTTPError as error:
                outcome = f"{type(error).__name__}"
            else:
                if response.is_success:
                    logger.info("job webhook delivered", extra={"attempt": attempt})
                    return True
                outcome = f"HTTP {response.status_code}"
                if response.status_code != 429 and response.status_code < 500:
                    logger.warning("job webhook refused (%s); not retried", outcome)
                    return False
            if attempt < self._attempts:
                logger.warning("job webhook failed (%s); retrying in %.1f s", outcome, delay)
                await asyncio.sleep(delay)
                delay *= 2
        logger.error("job webhook gave up after %d attempts", self._attempts)
        return False
