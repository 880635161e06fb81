"""Access to the job API, tried as an attacker would: no credential, a forged `Host`, another
account's job, a cross-site write riding on a cookie, a flood of requests. Real servers on
loopback; the voice service is a stand-in that records every request forwarded to it. (The
attack chain against the real voice service and a fake Twilio counting dials is in
tests/voice_backend/test_guardrails.py.)"""

from __future__ import annotations

import asyncio
import re
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from api.main import create_app
from shared.settings import load_settings
from shared.storage.sql import SQLStore
from tests.api.conftest import JOB, VoiceStandIn
from tests.support.access import OPERATOR, OPERATOR_KEY, PASSWORD, new_user
from tests.support.servers import REPO, VENV_BIN, serve

ACE = {"providers": [{"service_provider": "Ace", "phone_number": "+14155550100"}]}


@dataclass
class Site:
    url: str
    operator: httpx.AsyncClient
    voice: VoiceStandIn
    database: Path

    async def user(self, name: str) -> httpx.AsyncClient:
        """A new user and a client sending an API key of theirs."""
        return await new_user(self.operator, name)

    async def rows(self, table: str) -> int:
        store = SQLStore(f"sqlite:///{self.database}")
        await store.open()
        try:
            async with store.engine.connect() as connection:
                count = await connection.scalar(sa.text(f"SELECT COUNT(*) FROM {table}"))
                return int(count or 0)
        finally:
            await store.close()


@asynccontextmanager
async def _site(tmp_path: Path, **overrides: Any) -> AsyncIterator[Site]:
    voice = VoiceStandIn()
    async with serve(voice.app()) as voice_url:
        database = tmp_path / "haggle.db"
        settings = load_settings(
            database_url=f"sqlite:///{database}",
            call_backend_url=voice_url,
            haggle_api_key=OPERATOR_KEY,
            **overrides,
        )
        async with (
            serve(create_app(settings)) as url,
            httpx.AsyncClient(base_url=url, headers=OPERATOR) as operator,
        ):
            yield Site(url, operator, voice, database)


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with _site(tmp_path) as opened:
        yield opened


def _api_paths(app: Any) -> list[tuple[str, str]]:
    """Every (method, path) under /api/, path parameters filled in."""
    found = []
    routes = []
    for route in app.routes:
        included = getattr(route, "original_router", None)  # FastAPI's include_router wrapper
        routes.extend(included.routes if included is not None else [route])
    for route in routes:
        path = getattr(route, "path", "")
        if not path.startswith("/api/"):
            continue
        for method in sorted(getattr(route, "methods", set()) - {"HEAD"}):
            found.append((method, re.sub(r"\{[^}]+\}", "x1", path)))
    return found


async def test_every_api_path_but_health_needs_a_credential(site: Site) -> None:
    app = create_app(load_settings(database_url="sqlite:///:memory:"))
    paths = _api_paths(app)
    assert len(paths) > 20
    async with httpx.AsyncClient(base_url=site.url) as anonymous:
        for method, path in paths:
            answer = await anonymous.request(method, path, json=JOB)
            if path == "/api/health":
                assert answer.status_code == 200
                continue
            assert answer.status_code == 401, (method, path, answer.status_code)
            assert answer.headers["www-authenticate"] == "Bearer"
        # A wrong key is refused the same way, never treated as anonymous.
        wrong = await anonymous.post(
            "/api/jobs", json=JOB, headers={"Authorization": "Bearer hgl_not-a-key"}
        )
        assert wrong.status_code == 401
    assert await site.rows("jobs") == 0 and await site.rows("providers") == 0
    assert site.voice.requests == []  # nothing was forwarded to the voice service


async def test_another_account_gets_404_for_every_part_of_a_job(site: Site) -> None:
    alice, bob = await site.user("alice"), await site.user("bob")
    async with alice, bob:
        job_id = (await alice.post("/api/jobs", json=JOB)).json()["job_id"]
        assert (await alice.post(f"/api/jobs/{job_id}/providers", json=ACE)).status_code == 201
        for method, path, body in [
            ("GET", f"/api/jobs/{job_id}", None),
            ("GET", f"/api/providers/{job_id}", None),
            ("GET", f"/api/providers/{job_id}/status", None),
            ("GET", f"/api/jobs/{job_id}/events", None),
            ("POST", f"/api/jobs/{job_id}/providers", ACE),
            ("POST", f"/api/start-calls/{job_id}", None),
            ("POST", f"/api/jobs/{job_id}/cancel", None),
            ("POST", "/api/complete-job", {"job_id": job_id, "answers": {}}),
        ]:
            answer = await bob.request(method, path, json=body)
            assert answer.status_code == 404, (path, answer.text)
            assert "toilet" not in answer.text
        assert (await bob.get("/api/jobs")).json() == []
        assert (await bob.get("/api/analytics")).json()["totals"]["jobs"] == 0
        assert (await alice.get("/api/analytics")).json()["totals"]["jobs"] == 1
        # Each account's figures are cached apart: alice's never answer bob.
        assert (await bob.get("/api/analytics")).json()["totals"]["jobs"] == 0
        assert [j["job_id"] for j in (await alice.get("/api/jobs")).json()] == [job_id]
        # The operator sees every job.
        assert (await site.operator.get(f"/api/jobs/{job_id}")).status_code == 200
    assert site.voice.requests == []


async def test_a_forged_host_is_refused(site: Site) -> None:
    forged = await site.operator.get("/api/jobs", headers={"Host": "attacker.example"})
    assert forged.status_code == 400
    for host in ("localhost:8000", "127.0.0.1", "[::1]:8000"):
        assert (await site.operator.get("/api/jobs", headers={"Host": host})).status_code == 200


async def test_docs_and_metrics_are_not_public(tmp_path: Path) -> None:
    async with (
        _site(tmp_path, metrics_token="metrics-secret-123") as site,
        httpx.AsyncClient(base_url=site.url) as anonymous,
    ):
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert (await anonymous.get(path)).status_code == 404
        assert (await anonymous.get("/api/openapi.json")).status_code == 401
        assert (await anonymous.get("/api/docs")).status_code == 401
        assert (await site.operator.get("/api/openapi.json")).json()["paths"]
        # /metrics: loopback clients, not a request a proxy forwarded, unless it has the token.
        assert (await anonymous.get("/metrics")).status_code == 200
        proxied = {"X-Forwarded-For": "203.0.113.7"}
        assert (await anonymous.get("/metrics", headers=proxied)).status_code == 401
        token = proxied | {"Authorization": "Bearer metrics-secret-123"}
        assert (await anonymous.get("/metrics", headers=token)).status_code == 200


async def test_dashboard_session_cookie_and_cross_site_writes(site: Site) -> None:
    await (await site.user("alice")).aclose()
    async with httpx.AsyncClient(base_url=site.url) as browser:
        page = await browser.get("/")
        assert page.status_code == 303 and page.headers["location"] == "/login"
        login = {"username": "alice", "password": PASSWORD}
        assert (await browser.post("/login", data=login)).status_code == 403  # no Origin
        wrong = await browser.post(
            "/login", data=login | {"password": "wrong password!!"}, headers={"Origin": site.url}
        )
        assert wrong.status_code == 401 and "haggle_session" not in browser.cookies
        signed = await browser.post("/login", data=login, headers={"Origin": site.url})
        assert signed.status_code == 303
        cookie = signed.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert (await browser.get("/api/session")).json()["username"] == "alice"
        # A write with the cookie from another site (or with no Origin at all) is refused.
        evil = await browser.post("/api/jobs", json=JOB, headers={"Origin": "http://evil.example"})
        bare = await browser.post("/api/jobs", json=JOB)
        assert (evil.status_code, bare.status_code) == (403, 403)
        assert await site.rows("jobs") == 0
        mine = await browser.post("/api/jobs", json=JOB, headers={"Origin": site.url})
        assert mine.status_code == 201
        out = await browser.post("/logout", headers={"Origin": site.url})
        assert out.status_code == 303
        browser.cookies.set("haggle_session", signed.cookies["haggle_session"])
        assert (await browser.get("/api/jobs")).status_code == 401  # the session was revoked


async def test_keys_are_shown_once_stored_hashed_and_revocable(site: Site) -> None:
    alice = await site.user("alice")
    async with alice:
        created = await alice.post("/api/keys", json={"name": "laptop"})
        assert created.status_code == 201
        secret = created.json()["key"]
        listed = await alice.get("/api/keys")
        assert secret not in listed.text and len(listed.json()) == 2
        store = SQLStore(f"sqlite:///{site.database}")
        await store.open()
        try:
            async with store.engine.connect() as connection:
                stored = (await connection.execute(sa.text("SELECT key_hash FROM api_keys"))).all()
                users = (await connection.execute(sa.text("SELECT password_hash FROM users"))).all()
        finally:
            await store.close()
        assert all(secret not in row[0] for row in stored)
        assert all(row[0].startswith("$argon2id$") for row in users)
        laptop = {"Authorization": f"Bearer {secret}"}
        assert (await alice.get("/api/jobs", headers=laptop)).status_code == 200
        revoked = await alice.delete(f"/api/keys/{created.json()['id']}")
        assert revoked.status_code == 200
        assert (await alice.get("/api/jobs", headers=laptop)).status_code == 401
        # A user is no operator.
        assert (await alice.get("/api/users")).status_code == 403
        attempt = await alice.post("/api/users", json={"username": "eve", "password": PASSWORD})
        assert attempt.status_code == 403
    short = await site.operator.post("/api/users", json={"username": "eve", "password": "short"})
    assert short.status_code == 422


async def test_request_rate_per_key_and_streams_per_account(tmp_path: Path) -> None:
    async with _site(tmp_path, requests_per_minute=5, max_streams_per_account=1) as site:
        alice = await site.user("alice")
        async with alice:
            answers = [(await alice.get("/api/jobs")).status_code for _ in range(6)]
            assert answers[:5] == [200] * 5 and answers[5] == 429
            limited = await alice.get("/api/jobs")
            assert int(limited.headers["retry-after"]) >= 1
        bob = await site.user("bob")  # another key has its own budget
        async with bob:
            job_id = (await bob.post("/api/jobs", json=JOB)).json()["job_id"]
            async with bob.stream("GET", f"/api/jobs/{job_id}/events") as first:
                assert first.status_code == 200
                second = await bob.get(f"/api/jobs/{job_id}/events")
                assert second.status_code == 429
            await asyncio.sleep(0.2)


async def test_local_anonymous_access_is_loopback_only(tmp_path: Path) -> None:
    async with (
        _site(tmp_path, local_anonymous_access=True) as site,
        httpx.AsyncClient(base_url=site.url) as anonymous,
    ):
        assert (await anonymous.post("/api/jobs", json=JOB)).status_code == 201
        proxied = await anonymous.get("/api/jobs", headers={"X-Forwarded-For": "198.51.100.2"})
        assert proxied.status_code == 401  # through a proxy: not this machine
        other_site = await anonymous.post(
            "/api/jobs", json=JOB, headers={"Origin": "http://evil.example"}
        )
        assert other_site.status_code == 403


def test_local_anonymous_access_refuses_a_public_bind() -> None:
    result = subprocess.run(
        [str(VENV_BIN / "uvicorn"), "api.main:app", "--host", "0.0.0.0", "--port", "0"],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "HAGGLE_ENV_FILE": "", "LOCAL_ANONYMOUS_ACCESS": "true"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    (line,) = [line for line in result.stderr.splitlines() if line.strip()]
    assert "LOCAL_ANONYMOUS_ACCESS" in line and "0.0.0.0" in line
