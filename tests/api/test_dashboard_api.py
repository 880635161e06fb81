"""What the dashboard reads: the live event stream of a job, analytics across jobs, and the
page and its assets (served by the API, nothing from elsewhere)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from api.main import create_app
from api.routes.dashboard import STATIC_DIR
from shared.models import CallStatus, CallUpdate, Outcome, TranscriptTurn
from shared.settings import load_settings
from shared.storage.sql import SQLStore
from tests.api.conftest import OPERATOR, OPERATOR_KEY
from tests.support.servers import serve


@dataclass
class Site:
    client: httpx.AsyncClient
    store: SQLStore


@asynccontextmanager
async def _site(tmp_path: Path, **event_options: float) -> AsyncIterator[Site]:
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'haggle.db'}", haggle_api_key=OPERATOR_KEY
    )
    store = SQLStore(settings.database_url)  # the voice service's view of the same file
    await store.open()
    app = create_app(settings)
    app.state.event_options = event_options
    try:
        async with (
            serve(app) as url,
            httpx.AsyncClient(base_url=url, timeout=10, headers=OPERATOR) as client,
        ):
            yield Site(client, store)
    finally:
        await store.close()


async def _job(client: httpx.AsyncClient, *phones: str) -> tuple[str, list[int]]:
    job = await client.post(
        "/api/jobs", json={"problem": "my toilet keeps running", "zip_code": "94110"}
    )
    job_id: str = job.json()["job_id"]
    added = await client.post(
        f"/api/jobs/{job_id}/providers",
        json={"providers": [{"service_provider": f"P{p[-2:]}", "phone_number": p} for p in phones]},
    )
    return job_id, [row["id"] for row in added.json()]


class Events:
    """Reads `event:`/`data:` blocks off a server-sent event stream."""

    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.aiter_lines()

    async def next(self) -> tuple[str, dict]:
        kind, data = "", ""
        async for line in self._lines:
            if line.startswith("event: "):
                kind = line[len("event: ") :]
            elif line.startswith("data: "):
                data = line[len("data: ") :]
            elif line == "" and kind:
                return kind, json.loads(data)
        raise EOFError("the stream ended")


async def test_the_event_stream_sends_the_picture_then_only_changes(tmp_path: Path) -> None:
    async with _site(tmp_path) as site:
        job_id, (first, second) = await _job(site.client, "4155550100", "4155550101")
        async with site.client.stream("GET", f"/api/jobs/{job_id}/events") as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["cache-control"] == "no-cache"
            events = Events(response)
            seen = [await events.next() for _ in range(4)]
            assert [kind for kind, _ in seen] == ["job", "provider", "provider", "ready"]
            assert seen[0][1]["job_id"] == job_id
            assert [row["id"] for _, row in seen[1:3]] == [first, second]
            assert all(row["call_status"] == "pending" for _, row in seen[1:3])

            # The voice service (another connection to the store) moves one call on.
            turns = [TranscriptTurn(role="assistant", text="Hi, is this P00?")]
            await site.store.update_call(
                second, CallUpdate(call_status=CallStatus.IN_PROGRESS, transcript_turns=turns)
            )
            kind, row = await asyncio.wait_for(events.next(), 5)
            assert (kind, row["id"], row["call_status"]) == ("provider", second, "in_progress")
            assert row["transcript_turns"] == [{"role": "assistant", "text": "Hi, is this P00?"}]
            await site.store.update_call(
                second,
                CallUpdate(
                    call_status=CallStatus.COMPLETED,
                    outcome=Outcome.AGREED,
                    negotiated_price=150,
                    minimum_quote=200,
                    call_transcript="1. [ASSISTANT]: Hi, is this P00?\n",
                ),
            )
            kind, row = await asyncio.wait_for(events.next(), 5)
            assert (row["id"], row["outcome"], row["negotiated_price"]) == (second, "agreed", 150)
            assert row["estimated_price"] == 200 and row["call_transcript"]
            # A provider added later appears too; the unchanged one is never re-sent.
            third = await _add(site.client, job_id, "4155550102")
            kind, row = await asyncio.wait_for(events.next(), 5)
            assert (kind, row["id"]) == ("provider", third)


async def _add(client: httpx.AsyncClient, job_id: str, phone: str) -> int:
    added = await client.post(
        f"/api/jobs/{job_id}/providers",
        json={"providers": [{"service_provider": "Late", "phone_number": phone}]},
    )
    provider_id: int = added.json()[0]["id"]
    return provider_id


async def test_a_stream_ends_by_itself_and_an_unknown_job_is_404(tmp_path: Path) -> None:
    async with _site(tmp_path, lifetime=0.3) as site:
        missing = await site.client.get("/api/jobs/nope/events")
        assert missing.status_code == 404 and missing.json()["detail"] == "Job not found: nope"
        job_id, _ = await _job(site.client, "4155550100")
        async with asyncio.timeout(5):
            response = await site.client.get(f"/api/jobs/{job_id}/events")
        body = response.text
        assert body.startswith("retry: 1000\n\n")
        kinds = re.findall(r"^event: (\w+)$", body, flags=re.MULTILINE)
        assert kinds == ["job", "provider", "ready", "reconnect"]


async def test_analytics_across_jobs(tmp_path: Path) -> None:
    async with _site(tmp_path) as site:
        first, (ace, bay, cal) = await _job(site.client, "4155550100", "4155550101", "4155550102")
        second, (dee, eve) = await _job(site.client, "4155550103", "4155550104")
        done, agreed = CallStatus.COMPLETED, Outcome.AGREED
        updates = {
            ace: CallUpdate(
                call_status=done, outcome=agreed, negotiated_price=150, minimum_quote=200
            ),
            bay: CallUpdate(call_status=done, outcome=agreed, negotiated_price=140),
            cal: CallUpdate(call_status=CallStatus.FAILED, outcome=Outcome.NO_ANSWER),
            dee: CallUpdate(
                call_status=done, outcome=agreed, negotiated_price=90, minimum_quote=120
            ),
            eve: CallUpdate(call_status=CallStatus.IN_PROGRESS),
        }
        for provider_id, update in updates.items():
            await site.store.update_call(provider_id, update)
        body = (await site.client.get("/api/analytics")).json()
        totals = body["totals"]
        assert totals["jobs"] == 2 and totals["providers"] == 5
        assert totals["calls_placed"] == 5 and totals["connected"] == 4 and totals["agreed"] == 3
        assert totals["connect_rate"] == 0.8 and totals["agreement_rate"] == 0.75
        assert totals["average_savings"] == 40  # (50 + 30) / 2: bay had no first quote
        assert totals["average_savings_percent"] == 25.0
        assert totals["total_savings"] == 80
        assert totals["outcomes"] == {"agreed": 3, "no_answer": 1}
        newest, oldest = body["jobs"]
        assert (newest["job_id"], oldest["job_id"]) == (second, first)
        assert newest["in_progress"] == 1 and newest["best"]["price"] == 90
        assert oldest["best"] == {
            "provider_id": bay,
            "name": "P01",
            "price": 140,
            "first_quote": None,
            "savings": None,
        }
        assert oldest["not_reached"] == 1
        limited = (await site.client.get("/api/analytics", params={"limit": 1})).json()
        assert [job["job_id"] for job in limited["jobs"]] == [second]
        assert (await site.client.get("/api/analytics", params={"limit": 0})).status_code == 422


async def test_the_dashboard_is_served_by_the_api_with_nothing_from_elsewhere(
    tmp_path: Path,
) -> None:
    async with _site(tmp_path) as site:
        page = await site.client.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        policy = page.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
        assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text)
        assert "/static/app.js" in assets and "/static/app.css" in assets
        for name in sorted(path.name for path in STATIC_DIR.iterdir()):
            asset = await site.client.get(f"/static/{name}")
            assert asset.status_code == 200, name
            if name.endswith(".js"):
                assert "javascript" in asset.headers["content-type"]
                imports = re.findall(r'from "([^"]+)"', asset.text)
                assert all(target.startswith("./") for target in imports), imports
            # No CDN, no web font, no outside address of any kind.
            assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", asset.text), name
        assert (await site.client.get("/static/nope.js")).status_code == 404
