"""Live updates are pushed: a write through another store (as the voice service's process
makes, on connections of its own) reaches an open event stream through the API's change feed,
on SQLite and on Postgres; the analytics are served from a cache that every write
invalidates."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from api.main import create_app
from shared.models import CallStatus, CallUpdate, TranscriptTurn
from shared.settings import load_settings
from shared.storage.sql import SQLStore
from tests.api.test_dashboard_api import Events, _job
from tests.support.access import OPERATOR, OPERATOR_KEY
from tests.support.servers import serve


async def _write_as_the_voice_service(database_url: str, provider_id: int) -> None:
    """The voice service's write: one call moves to `in_progress`, through a store of its own
    (its own connections, none of the API's write listeners: the API can only learn of it
    from the database, as it learns of the voice process's writes)."""
    store = SQLStore(database_url)
    await store.open()
    try:
        turns = [TranscriptTurn(role="assistant", text="Hello from the voice service")]
        await store.update_call(
            provider_id, CallUpdate(call_status=CallStatus.IN_PROGRESS, transcript_turns=turns)
        )
    finally:
        await store.close()


@asynccontextmanager
async def _api(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(load_settings(database_url=database_url, haggle_api_key=OPERATOR_KEY))
    async with (
        serve(app) as url,
        httpx.AsyncClient(base_url=url, timeout=10, headers=OPERATOR) as client,
    ):
        yield client


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'haggle.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


async def test_a_write_by_another_store_reaches_every_open_stream(database_url: str) -> None:
    async with _api(database_url) as client:
        job_id, (_first, second) = await _job(client, "4155550100", "4155550101")
        async with (
            client.stream("GET", f"/api/jobs/{job_id}/events") as one,
            client.stream("GET", f"/api/jobs/{job_id}/events") as two,
        ):
            streams = [Events(one), Events(two)]
            for events in streams:
                kinds = [(await events.next())[0] for _ in range(4)]
                assert kinds == ["job", "provider", "provider", "ready"]
            await _write_as_the_voice_service(database_url, second)
            for events in streams:
                kind, row = await asyncio.wait_for(events.next(), 5)
                assert (kind, row["id"], row["call_status"]) == ("provider", second, "in_progress")
                assert row["transcript_turns"][0]["text"] == "Hello from the voice service"


async def test_a_write_invalidates_the_cached_analytics(database_url: str) -> None:
    async with _api(database_url) as client:
        job_id, (provider_id,) = await _job(client, "4155550100")
        before = (await client.get("/api/analytics")).json()
        assert before["totals"]["calls_placed"] == 0
        assert (await client.get("/api/analytics")).json() == before  # served from the cache
        await _write_as_the_voice_service(database_url, provider_id)
        async with asyncio.timeout(5):
            while True:
                after = (await client.get("/api/analytics")).json()
                if after != before:
                    break
                await asyncio.sleep(0.05)
        assert after["totals"]["calls_placed"] == 1 and after["totals"]["connected"] == 1
        assert after["jobs"][0]["in_progress"] == 1
        # A write through the API itself shows on the very next request.
        added = await client.post(
            f"/api/jobs/{job_id}/providers",
            json={"providers": [{"service_provider": "Late", "phone_number": "4155550102"}]},
        )
        assert added.status_code in (200, 201)
        assert (await client.get("/api/analytics")).json()["totals"]["providers"] == 2
