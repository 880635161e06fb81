"""Both services notice when their SQLite database is deleted, moved, replaced or read-only:
`/readyz` says so, and every route that needs the store answers a one-line JSON 503 instead of
writing into a file nobody will ever read again."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from api.main import create_app as create_api
from shared.models import JobCreate, ProviderCreate
from shared.settings import load_settings
from shared.storage.sql import SQLStore
from tests.support.access import OPERATOR, OPERATOR_KEY
from tests.support.servers import serve
from voice_backend.app import create_app as create_voice

JOB = {"problem": "my toilet keeps running", "zip_code": "94110", "max_price": 150}


@dataclass(frozen=True)
class Service:
    """One of the two services, and a request of it that needs the store."""

    name: str
    method: str
    path: str

    def app(self, database: Path) -> FastAPI:
        settings = load_settings(
            database_url=f"sqlite:///{database}",
            data_dir=str(database.parent),
            call_backend_url="http://127.0.0.1:9",
            haggle_api_key=OPERATOR_KEY,
        )
        return create_api(settings) if self.name == "api" else create_voice(settings)

    async def use_the_store(self, client: httpx.AsyncClient, job_id: str = "x") -> httpx.Response:
        """A request that writes: a new job; queueing a job's calls."""
        body = JOB if self.name == "api" else None
        return await client.request(self.method, self.path.format(job_id=job_id), json=body)


SERVICES = [
    Service("api", "POST", "/api/jobs"),
    Service("voice", "POST", "/start-job/{job_id}"),
]


@contextlib.asynccontextmanager
async def running(service: Service, database: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serve(service.app(database)) as url,
        httpx.AsyncClient(base_url=url, timeout=30, headers=OPERATOR) as client,
    ):
        ready = await client.get("/readyz")
        assert ready.json()["problems"] == [], ready.text
        yield client


async def _assert_refused(
    client: httpx.AsyncClient, service: Service, words: str, job_id: str = "x"
) -> None:
    ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "not_ready"
    assert any(words in problem for problem in ready.json()["problems"]), ready.text
    answer = await service.use_the_store(client, job_id)
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/json"
    detail = answer.json()["detail"]
    assert detail.startswith("storage unavailable: ") and words in detail
    assert "\n" not in detail


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
async def test_a_deleted_data_directory_is_reported_and_never_written(
    tmp_path: Path, service: Service
) -> None:
    data = tmp_path / "data"
    async with running(service, data / "haggle.db") as client:
        shutil.rmtree(data)
        await _assert_refused(client, service, "is gone (deleted or moved)")
    assert not data.exists()  # nothing was written, not even into a new file


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
async def test_a_moved_database_is_reported(tmp_path: Path, service: Service) -> None:
    database = tmp_path / "haggle.db"
    async with running(service, database) as client:
        database.rename(tmp_path / "elsewhere.db")
        await _assert_refused(client, service, "is gone (deleted or moved)")
    assert not database.exists()  # no connection opened meanwhile left a new empty file


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
async def test_a_replaced_database_is_reported(tmp_path: Path, service: Service) -> None:
    database = tmp_path / "haggle.db"
    async with running(service, database) as client:
        shutil.copy(database, tmp_path / "copy.db")
        os.replace(tmp_path / "copy.db", database)  # same path, another file
        await _assert_refused(client, service, "was replaced by another file")


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make the file read-only even for root (immutable), or by its mode for anyone else."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)
        return
    if shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: no way to make a file read-only")
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"running as root and chattr +i is refused: {made.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
async def test_a_read_only_database_is_reported(tmp_path: Path, service: Service) -> None:
    database = tmp_path / "haggle.db"
    store = SQLStore(f"sqlite:///{database}")  # made by an earlier run, with a job to call
    await store.open()
    job = await store.create_job(JobCreate(problem="a leak", zip_code="94110"))
    await store.add_providers(job, [ProviderCreate(service_provider="A", phone_number="+1415")])
    await store.close()
    with read_only(database):
        async with (
            serve(service.app(database)) as url,
            httpx.AsyncClient(base_url=url, timeout=30, headers=OPERATOR) as client,
        ):
            assert (await client.get("/healthz")).status_code == 200  # alive, not ready
            await _assert_refused(client, service, "readonly database", job.id)


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
async def test_a_database_made_read_only_while_running_is_reported(
    tmp_path: Path, service: Service
) -> None:
    # The connections already open keep their write access (and SQLite's WAL takes commits
    # until a checkpoint), so only a look at the file tells: /readyz must not say ready.
    database = tmp_path / "haggle.db"
    async with running(service, database) as client:
        with read_only(database):
            ready = await client.get("/readyz")
            assert ready.status_code == 503, ready.text
            assert any("read-only" in problem for problem in ready.json()["problems"]), ready.text
        ready = await client.get("/readyz")  # writable again: ready again
        assert ready.status_code == 200, ready.text
