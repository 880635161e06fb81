"""Voice-service processes sharing one Postgres behind a load balancer: their environment,
the job they share, and its start and end."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from shared.models import Job, JobCreate, Provider, ProviderCreate
from shared.storage.sql import SQLStore
from tests.fakes.grok_realtime import FakeGrok
from tests.fakes.twilio_rest import FakeTwilio
from tests.support.balancer import balancer
from tests.support.servers import free_port, uvicorn_processes

TOKEN = "scale-out-token"


def voice_env(
    instance: str,
    *,
    public: str,
    postgres_url: str,
    twilio: FakeTwilio,
    grok: FakeGrok,
    data_dir: Path,
    calls_per_second: float,
    max_concurrent_calls: int,
) -> dict[str, str]:
    """One instance's environment: Twilio and Grok fakes, a short lease, a quick poll,
    calling hours round the clock."""
    return {
        "DATABASE_URL": postgres_url,
        "TELEPHONY": "twilio",
        "AGENT": "grok",
        "TWILIO_ACCOUNT_SID": twilio.account_sid,
        "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_PHONE_NUMBER": "+15005550006",
        "TWILIO_API_BASE_URL": twilio.base_url,
        "PUBLIC_BASE_URL": public,
        "XAI_API_KEY": grok.api_key,
        "GROK_REALTIME_URL": grok.url,
        "XAI_API_HOST": f"127.0.0.1:{free_port()}",
        "VOICE_BACKEND_TOKEN": TOKEN,
        "INSTANCE_ID": instance,
        "LEASE_SECONDS": "3",
        "DISPATCH_POLL_SECONDS": "0.2",
        "MAX_CONCURRENT_CALLS": str(max_concurrent_calls),
        "CALLS_PER_SECOND": str(calls_per_second),
        "SILENCE_LIMIT_SECONDS": "60",
        "DATA_DIR": str(data_dir / instance),
        "LOG_LEVEL": "warning",
        # The calls go to San Francisco numbers whatever the hour the test runs at.
        "CALLING_HOURS": "00:00-24:00",
    }


@asynccontextmanager
async def voice_fleet(
    *,
    postgres_url: str,
    twilio: FakeTwilio,
    grok: FakeGrok,
    data_dir: Path,
    calls_per_second: float,
    max_concurrent_calls: int,
) -> AsyncIterator[tuple[str, dict[str, tuple[str, subprocess.Popen[bytes]]]]]:
    """Three instances, "a", "b" and "c", behind a balancer; yields its URL and each
    instance's URL and process by name, once all three answer. The limits are the fleet's."""
    ports = {name: free_port() for name in ("a", "b", "c")}
    async with balancer([("127.0.0.1", port) for port in ports.values()]) as public:
        instances = {
            name: (
                voice_env(
                    name,
                    public=public,
                    postgres_url=postgres_url,
                    twilio=twilio,
                    grok=grok,
                    data_dir=data_dir,
                    calls_per_second=calls_per_second,
                    max_concurrent_calls=max_concurrent_calls,
                ),
                port,
            )
            for name, port in ports.items()
        }
        with uvicorn_processes("voice_backend.app:app", instances) as processes:
            yield public, processes


async def job_calling(store: SQLStore, numbers: list[str]) -> Job:
    """A job with a provider for each of `numbers`, P0, P1, …"""
    job = await store.create_job(JobCreate(problem="a leak", zip_code="94110"))
    await store.add_providers(
        job,
        [ProviderCreate(service_provider=f"P{i}", phone_number=n) for i, n in enumerate(numbers)],
    )
    return job


async def start_job(public: str, job: Job, calls: int) -> None:
    """Start the job's calls through the balancer, as the job API does."""
    async with httpx.AsyncClient(base_url=public) as client:
        started = await client.post(
            f"/start-job/{job.id}", headers={"Authorization": f"Bearer {TOKEN}"}
        )
    assert started.json() == {"status": "started", "count": calls}


async def all_ended(store: SQLStore, job: Job, within: float) -> list[Provider]:
    """The job's rows once every call has ended (fails after `within` seconds)."""
    async with asyncio.timeout(within):
        while True:
            rows = await store.list_providers(job.id)
            if all(row.call_status.is_terminal for row in rows):
                return rows
            await asyncio.sleep(0.1)
