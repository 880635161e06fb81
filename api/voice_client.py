"""The job API's interface to the voice service: start the calls of a job, or cancel them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


class VoiceServiceUnavailable(Exception):
    """The voice service could not be reached."""


@dataclass(frozen=True)
class VoiceAnswer:
    """What the voice service answered."""

    status_code: int
    body: Any
    text: str


class VoiceServiceClient:
    """Forwards "start calls" to the voice service over HTTP.

    It never retries: a request that timed out may still have queued the calls, and the
    voice service's own idempotence is what keeps a repeated start from dialling twice.
    """

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 30.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.AsyncClient(base_url=base_url, headers=headers, timeout=timeout)

    async def start_job(self, job_id: str) -> VoiceAnswer:
        """`POST /start-job/{job_id}` on the voice service."""
        return await self._post(f"/start-job/{job_id}")

    async def cancel_job(self, job_id: str) -> VoiceAnswer:
        """`POST /cancel-job/{job_id}` on the voice service: hang up the job's live calls."""
        return await self._post(f"/cancel-job/{job_id}")

    async def _post(self, path: str) -> VoiceAnswer:
        try:
            response = await self._client.post(path)
        except httpx.RequestError as error:
            raise VoiceServiceUnavailable(f"{type(error).__name__}: {error}") from error
        try:
            body = response.json()
        except ValueError:
            body = None
        return VoiceAnswer(response.status_code, body, response.text)

    async def simulated_providers(self, trade: str) -> list[dict[str, Any]] | None:
        """`GET /sim/directory?trade=` on the voice service: the simulated providers offered
        for `trade`; None when its telephony is not simulated."""
        try:
            response = await self._client.get("/sim/directory", params={"trade": trade})
        except httpx.RequestError as error:
            raise VoiceServiceUnavailable(f"{type(error).__name__}: {error}") from error
        if response.status_code == 404:
            return None
        response.raise_for_status()
        entries: list[dict[str, Any]] = response.json()
        return entries

    async def alive(self) -> bool:
        """Whether the voice service answers its liveness check (within 2 s)."""
        try:
            response = await self._client.get("/healthz", timeout=2.0)
        except httpx.RequestError:
            return False
        return response.status_code == 200

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()
