"""Test-wide guards and fixtures.

* The environment is cleared of every Haggle variable and no `.env` is read, so a developer's
  credentials never leak into a test (and a test never depends on them).
* Name resolution is limited to loopback: a test that tries to reach the internet fails.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

from shared.settings import ENV_FILE_VARIABLE, Settings

_HAGGLE_VARIABLES = {name.upper() for name in Settings.model_fields} | {"LOG_FORMAT"}

for _name in list(os.environ):
    if _name.upper() in _HAGGLE_VARIABLES:
        del os.environ[_name]
os.environ[ENV_FILE_VARIABLE] = ""

_real_getaddrinfo = socket.getaddrinfo
_LOCAL_HOSTS = {None, "", "localhost", "::1", b"localhost"}


def _loopback_only(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    text = host.decode() if isinstance(host, bytes) else host
    if text in _LOCAL_HOSTS or (isinstance(text, str) and text.startswith("127.")):
        return _real_getaddrinfo(host, *args, **kwargs)
    raise OSError(f"tests may not reach the internet (tried to resolve {text!r})")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.upper() in _HAGGLE_VARIABLES:
            monkeypatch.delenv(name)
    monkeypatch.setenv(ENV_FILE_VARIABLE, "")
    monkeypatch.setattr(socket, "getaddrinfo", _loopback_only)
    yield


@pytest.fixture(scope="session")
def postgres_server():  # type: ignore[no-untyped-def]
    """A real PostgreSQL server for the session (skipped, with the reason, where absent)."""
    from tests.support.postgres import find_bin_dir, running_postgres

    if find_bin_dir() is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql); CI installs it")
    with running_postgres() as server:
        yield server


def _admin(url: str, statement: str) -> None:
    """Run one statement as the admin, on a loop of its own (fixtures here are synchronous)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(url)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


@pytest.fixture
def postgres_url(postgres_server) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A fresh, empty database on the session's server."""
    import uuid

    name = f"t_{uuid.uuid4().hex[:12]}"
    _admin(postgres_server.url(), f'CREATE DATABASE "{name}"')
    yield postgres_server.url(name)
    _admin(postgres_server.url(), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
