"""A job API on a real loopback server, wired to a recording stand-in of the voice service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.main import create_app
from shared.settings import load_settings
from tests.support.access import OPERATOR, OPERATOR_KEY
from tests.support.servers import serve

__all__ = ["JOB", "OPERATOR", "OPERATOR_KEY", "Api", "VoiceStandIn"]


@dataclass
class VoiceStandIn:
    """Answers `POST /start-job/{id}` as configured and records what it was sent."""

    status_code: int = 200
    body: dict[str, Any] = field(default_factory=lambda: {"status": "started", "count": 2})
    requests: list[tuple[str, str | None]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/start-job/{job_id}")
        async def start_job(job_id: str, request: Request) -> JSONResponse:
            self.requests.append((job_id, request.headers.get("authorization")))
            return JSONResponse(self.body, status_code=self.status_code)

        return app


@dataclass
class Api:
    url: str
    client: httpx.AsyncClient
    voice: VoiceStandIn
    database: Path


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    voice = VoiceStandIn()
    async with serve(voice.app()) as voice_url:
        database = tmp_path / "haggle.db"
        settings = load_settings(
            database_url=f"sqlite:///{database}",
            call_backend_url=voice_url,
            voice_backend_token="s3cret-token",
            cors_origins="http://dashboard.example",
            max_body_bytes=4096,
            haggle_api_key=OPERATOR_KEY,
        )
        async with (
            serve(create_app(settings)) as url,
            httpx.AsyncClient(base_url=url, headers=OPERATOR) as client,
        ):
            yield Api(url, client, voice, database)


JOB = {"problem": "my toilet keeps running", "zip_code": "94110", "max_price": 150}
