"""`haggle` as a user runs it: the installed console script in a subprocess, against a real
job API process on loopback whose voice service is a recording stand-in."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp

from shared.models import CallUpdate
from shared.storage.sql import SQLStore
from tests.support.servers import bound_socket, free_port, uvicorn_process

HAGGLE = Path(sys.executable).parent / "haggle"
#: The operator key the job API runs with; `haggle` sends it from `HAGGLE_API_KEY`.
OPERATOR_KEY = "hgl_cli-tests-operator-key-42"
AUTH = {"Authorization": f"Bearer {OPERATOR_KEY}"}


@dataclass
class VoiceStandIn:
    """Answers `POST /start-job/{id}` as configured and records the job ids it was sent."""

    status_code: int = 200
    body: dict[str, Any] = field(default_factory=lambda: {"status": "started", "count": 2})
    started: list[str] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/start-job/{job_id}")
        async def start_job(job_id: str) -> JSONResponse:
            self.started.append(job_id)
            return JSONResponse(self.body, status_code=self.status_code)

        return app


@contextmanager
def serve_in_thread(app: ASGIApp) -> Iterator[str]:
    """Run `app` under uvicorn on a loopback port in a thread of its own; yield its URL.

    The tests around it block on subprocesses, so the server cannot share their thread.
    """
    sock, url = bound_socket()
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the stand-in voice service did not start")
        time.sleep(0.01)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@dataclass
class Stack:
    """The job API's URL, its SQLite file, and the voice stand-in it calls."""

    url: str
    database: Path
    voice: VoiceStandIn

    def create_job(self, **fields: Any) -> str:
        body = {"problem": "my toilet keeps running", "zip_code": "94110", "max_price": 150}
        response = httpx.post(f"{self.url}/api/jobs", json=body | fields, headers=AUTH)
        response.raise_for_status()
        return str(response.json()["job_id"])

    def add_providers(self, job_id: str, *names: str) -> list[int]:
        providers = [
            {"service_provider": name, "phone_number": f"+1415555{index:04d}"}
            for index, name in enumerate(names, 100)
        ]
        response = httpx.post(
            f"{self.url}/api/jobs/{job_id}/providers",
            json={"providers": providers},
            headers=AUTH,
        )
        response.raise_for_status()
        return [int(row["id"]) for row in response.json()]

    def providers(self, job_id: str) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.url}/api/providers/{job_id}", headers=AUTH)
        response.raise_for_status()
        rows: list[dict[str, Any]] = response.json()
        return rows

    def set_call(self, provider_id: int, **fields: Any) -> None:
        """Move a call as the voice service would: a write to the same store."""

        async def write() -> None:
            store = SQLStore(f"sqlite:///{self.database}")
            await store.open()
            try:
                await store.update_call(provider_id, CallUpdate(**fields))
            finally:
                await store.close()

        asyncio.run(write())


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    voice = VoiceStandIn()
    with serve_in_thread(voice.app()) as voice_url:
        database = tmp_path_factory.mktemp("cli") / "haggle.db"
        env = {
            "DATABASE_URL": f"sqlite:///{database}",
            "CALL_BACKEND_URL": voice_url,
            "HAGGLE_API_KEY": OPERATOR_KEY,
        }
        with uvicorn_process("api.main:app", env) as (url, _):
            yield Stack(url, database, voice)


@pytest.fixture
def voice(stack: Stack) -> Iterator[VoiceStandIn]:
    """The stand-in, answering 200 again after the test."""
    yield stack.voice
    stack.voice.status_code, stack.voice.body = 200, {"status": "started", "count": 2}


def cli_env(api_url: str | None, **extra: str) -> dict[str, str]:
    """This process's (already cleaned) environment with `HAGGLE_API_URL` set or removed, and
    the operator key in `HAGGLE_API_KEY`."""
    env = {key: value for key, value in os.environ.items() if key != "HAGGLE_API_URL"}
    if api_url is not None:
        env["HAGGLE_API_URL"] = api_url
    return env | {"HAGGLE_API_KEY": OPERATOR_KEY} | extra


def haggle(
    *args: str,
    api: str | None = None,
    stdin: str = "",
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `.venv/bin/haggle ARGS` to the end, with `HAGGLE_API_URL=api`."""
    if not HAGGLE.exists():
        pytest.fail(f"{HAGGLE} is missing: install the project (make install)")
    return subprocess.run(
        [str(HAGGLE), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=env if env is not None else cli_env(api),
        cwd=cwd,
    )


def assert_one_line_error(
    run: subprocess.CompletedProcess[str], *words: str, status: int = 1
) -> str:
    """The run failed with `status`, printing nothing but one `haggle: …` line on stderr."""
    assert run.returncode == status, (run.returncode, run.stderr)
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("haggle: ")
    for word in words:
        assert word in line, line
    return line


def dead_url() -> str:
    """A loopback URL nobody listens on."""
    return f"http://127.0.0.1:{free_port()}"
