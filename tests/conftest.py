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


def _run(work):  # type: ignore[no-untyped-def]
    """Run a coroutine on a loop of its own, in a thread (fixtures here are synchronous and
    may be set up while a test's loop runs)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()


def _admin(url: str, statement: str) -> None:
    """Run one statement as the admin."""
    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(url)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    _run(run())


def _fresh_database(server, template: str | None = None) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A new database on `server` (a copy of `template`, or empty); dropped afterwards."""
    import uuid

    name = f"t_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    _admin(server.url(), f'CREATE DATABASE "{name}"{copy}')
    yield server.url(name)
    _admin(server.url(), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(postgres_server) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A fresh, empty database on the session's server."""
    yield from _fresh_database(postgres_server)


@pytest.fixture(scope="session")
def _postgres_schema_template(postgres_server) -> str:  # type: ignore[no-untyped-def]
    """A database holding the schema as `SQLStore.open()` leaves a new one (Alembic at head),
    made once a session: the template of `postgres_store_url`."""
    from shared.storage.sql import SQLStore

    name = "template_alembic_head"
    _admin(postgres_server.url(), f'CREATE DATABASE "{name}"')

    async def migrate() -> None:
        store = SQLStore(postgres_server.url(name))
        await store.open()
        await store.close()

    _run(migrate())
    return name


@pytest.fixture
def postgres_store_url(postgres_server, _postgres_schema_template) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A fresh database with the store's schema in place: a copy of a database a store has
    opened once (the migrations themselves are tested on empty databases, `postgres_url`)."""
    yield from _fresh_database(postgres_server, _postgres_schema_template)


@pytest.fixture(scope="session")
def _postgres_sql_template(postgres_server) -> str:  # type: ignore[no-untyped-def]
    """A database with the shipped `migrations/*.sql` applied (Supabase's schema), made once
    a session: the template of `postgres_sql_migrated_url`."""
    from tests.shared.storage.backends import apply_migration

    name = "template_sql_migrations"
    _admin(postgres_server.url(), f'CREATE DATABASE "{name}"')
    _run(apply_migration(postgres_server.url(name)))
    return name


@pytest.fixture
def postgres_sql_migrated_url(postgres_server, _postgres_sql_template) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A fresh database with the shipped SQL migrations applied, copied from a template."""
    yield from _fresh_database(postgres_server, _postgres_sql_template)
