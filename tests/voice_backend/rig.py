"""The whole product on loopback: job API and voice service on real uvicorn servers, Twilio's
REST API and phones played by `FakeTwilio`, Grok Realtime played by `FakeGrok`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from api.main import create_app as create_api
from shared.settings import Settings, load_settings
from shared.storage.sql import SQLStore
from tests.fakes.grok_realtime import FakeGrok
from tests.fakes.twilio_rest import FakeTwilio
from tests.support.access import OPERATOR, OPERATOR_KEY
from tests.support.servers import VOICE_WS, bound_socket, free_port, serve
from voice_backend.app import create_app as create_voice

CALLER_ID = "+15005550006"
#: Overrides that are the job API's business too (the guardrails it applies at its door).
_API_SETTINGS = {"max_providers_per_job", "daily_call_limit", "dial_countries", "calling_hours"}
TOKEN = "voice-backend-test-token"


@dataclass
class Rig:
    """Everything a test drives or inspects."""

    api: httpx.AsyncClient
    voice: httpx.AsyncClient
    voice_url: str
    twilio: FakeTwilio
    grok: FakeGrok
    settings: Settings
    api_settings: Settings

    async def job(self, *providers: tuple[str, str], max_price: float | None = 150) -> str:
        """Create a job with these (name, phone) providers through the job API."""
        job = await self.api.post(
            "/api/jobs",
            json={
                "problem": "my toilet keeps running",
                "zip_code": "94110",
                "max_price": max_price,
            },
        )
        job.raise_for_status()
        job_id: str = job.json()["job_id"]
        added = await self.api.post(
            f"/api/jobs/{job_id}/providers",
            json={"providers": [{"service_provider": n, "phone_number": p} for n, p in providers]},
        )
        added.raise_for_status()
        return job_id

    async def start(self, job_id: str) -> dict[str, Any]:
        """`POST /api/start-calls/{job_id}` on the job API."""
        response = await self.api.post(f"/api/start-calls/{job_id}")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    async def rows(self, job_id: str) -> list[dict[str, Any]]:
        """The job's providers with transcripts and outcomes, as the API shows them."""
        response = await self.api.get(f"/api/providers/{job_id}/status")
        response.raise_for_status()
        rows: list[dict[str, Any]] = response.json()
        return rows

    @asynccontextmanager
    async def another_api(self) -> AsyncIterator[httpx.AsyncClient]:
        """A second job API on the same database and voice service, as when the API is scaled
        out (its own in-process locks); a client sending the operator's key."""
        async with (
            serve(create_api(self.api_settings)) as url,
            httpx.AsyncClient(base_url=url, timeout=10, headers=OPERATOR) as client,
        ):
            yield client

    @asynccontextmanager
    async def voice_store(self) -> AsyncIterator[SQLStore]:
        """The rig's database, opened directly (to set up or inspect what the API cannot)."""
        store = SQLStore(self.settings.database_url)
        await store.open()
        try:
            yield store
        finally:
            await store.close()

    async def finished(self, job_id: str, within: float = 30.0) -> list[dict[str, Any]]:
        """Wait until every call of the job is `completed` or `failed`; the rows."""
        async with asyncio.timeout(within):
            while True:
                rows = await self.rows(job_id)
                if rows and all(row["call_status"] in ("completed", "failed") for row in rows):
                    return rows
                await asyncio.sleep(0.05)


def voice_settings(
    tmp: Path, twilio: FakeTwilio, grok: FakeGrok, voice_url: str, **overrides: Any
) -> Settings:
    """Settings of a voice service wired to the fakes."""
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp}/haggle.db",
        "telephony": "twilio",
        "agent": "grok",
        "twilio_account_sid": twilio.account_sid,
        "twilio_auth_token": twilio.auth_token,
        "twilio_phone_number": CALLER_ID,
        "twilio_api_base_url": twilio.base_url,
        "public_base_url": voice_url,
        "xai_api_key": grok.api_key,
        "grok_realtime_url": grok.url,
        "voice_backend_token": TOKEN,
        # Tests run at any hour: the calling-hours rule has its own tests.
        "calling_hours": "00:00-24:00",
        "calls_per_second": 50,
        "data_dir": str(tmp / "data"),
        "log_level": "debug",
        # No price model here: a closed loopback port, so extraction falls back offline.
        "xai_api_host": f"127.0.0.1:{free_port()}",
    }
    values.update(overrides)
    return load_settings(**values)


@asynccontextmanager
async def running_rig(
    tmp: Path,
    *,
    twilio_speed: float = 4.0,
    grok: FakeGrok | None = None,
    ws: str = VOICE_WS,
    **overrides: Any,
) -> AsyncIterator[Rig]:
    """Start the fakes and both services; stop them all afterwards. `ws`: the voice service's
    WebSocket implementation (production's by default; "auto" is uvicorn's own)."""
    async with AsyncExitStack() as stack:
        fake_grok = await stack.enter_async_context(grok or FakeGrok())
        fake_twilio = FakeTwilio(speed=twilio_speed)
        await stack.enter_async_context(fake_twilio.serve())
        sock, voice_url = bound_socket()
        settings = voice_settings(tmp, fake_twilio, fake_grok, voice_url, **overrides)
        await stack.enter_async_context(serve(create_voice(settings), sock=sock, ws=ws))
        api_settings = load_settings(
            database_url=settings.database_url,
            call_backend_url=voice_url,
            voice_backend_token=TOKEN,
            haggle_api_key=OPERATOR_KEY,
            # Tests poll the API as fast as they like; the rate limit has its own tests.
            requests_per_minute=100_000,
            **{key: value for key, value in overrides.items() if key in _API_SETTINGS},
        )
        api_url = await stack.enter_async_context(serve(create_api(api_settings)))
        api = await stack.enter_async_context(
            httpx.AsyncClient(base_url=api_url, timeout=10, headers=OPERATOR)
        )
        voice = await stack.enter_async_context(httpx.AsyncClient(base_url=voice_url, timeout=10))
        yield Rig(api, voice, voice_url, fake_twilio, fake_grok, settings, api_settings)
