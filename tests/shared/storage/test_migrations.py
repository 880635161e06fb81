"""The schema comes from Alembic revisions: exactly the tables the code declares, created once
whoever opens the database first, and a database made before Alembic upgraded in place."""

from __future__ import annotations

import asyncio
import multiprocessing
import sqlite3
import traceback
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from shared.models import JobCreate
from shared.storage import migrate
from shared.storage.schema import metadata
from shared.storage.sql import SQLStore
from shared.storage.sql_connect import async_url
from tests.shared.storage.backends import apply_migration

PRE_ALEMBIC_SQLITE = Path(__file__).with_name("pre_alembic_sqlite.sql")


def _differences(connection: sa.Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def _schema_report(database_url: str) -> tuple[list[Any], set[str]]:
    """What differs between the database and the declared tables, and its revisions."""
    url, connect_args = async_url(database_url)
    engine = create_async_engine(url, connect_args=connect_args)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
            revisions = await connection.run_sync(migrate.current_revisions)
    finally:
        await engine.dispose()
    return differences, revisions


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/haggle.db"
    url: str = request.getfixturevalue("postgres_url")
    return url


async def test_the_newest_revision_is_exactly_the_declared_schema(database_url: str) -> None:
    store = SQLStore(database_url)
    await store.open()
    await store.close()
    differences, revisions = await _schema_report(database_url)
    assert differences == []
    assert revisions == migrate.head_revisions()


async def test_opening_again_changes_nothing(database_url: str) -> None:
    for _ in range(2):
        store = SQLStore(database_url)
        await store.open()
        await store.close()
    _, revisions = await _schema_report(database_url)
    assert revisions == migrate.head_revisions()


async def _jobs_survive_the_upgrade(database_url: str) -> None:
    store = SQLStore(database_url)
    await store.open()
    try:
        (job,) = await store.list_jobs()
        assert job.problem == "a leak"
        (provider,) = await store.list_providers(job.id)
        assert provider.service_provider == "Ace"
        # The upgraded database takes the whole call lifecycle.
        await store.queue_calls(job.id)
        claimed = await store.claim_call(provider.id, "a", lease_until=provider.created_at)
        assert claimed is not None and claimed.lease_expires_at is not None
    finally:
        await store.close()
    differences, revisions = await _schema_report(database_url)
    assert differences == []
    assert revisions == migrate.head_revisions()


_OLD_ROWS = (
    "INSERT INTO jobs (id, problem, zip_code, questions, clarifications, status, created_at,"
    " updated_at) VALUES ('job-1', 'a leak', '94110', '[]', '{}', 'ready_for_search',"
    " '2026-01-01 10:00:00', '2026-01-01 10:00:00')",
    "INSERT INTO providers (job_id, service_provider, phone_number, call_status,"
    " transcript_turns, created_at) VALUES ('job-1', 'Ace', '+14155550101', 'pending', '[]',"
    " '2026-01-01 10:00:00')",
)


async def test_an_sqlite_file_made_before_alembic_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as connection:  # as the previous version left it
        connection.executescript(PRE_ALEMBIC_SQLITE.read_text())
        for statement in _OLD_ROWS:
            connection.execute(statement)
    await _jobs_survive_the_upgrade(f"sqlite:///{path}")


@pytest.mark.postgres
async def test_a_postgres_database_made_by_the_sql_migration_is_upgraded_in_place(
    postgres_url: str,
) -> None:
    import asyncpg

    await apply_migration(postgres_url)  # an operator ran migrations/001_init.sql by hand
    connection = await asyncpg.connect(postgres_url)
    try:
        for statement in _OLD_ROWS:
            await connection.execute(statement.replace("'2026", "TIMESTAMPTZ '2026"))
    finally:
        await connection.close()
    await _jobs_survive_the_upgrade(postgres_url)


# --- two processes opening a fresh database at once ----------------------------------------


def _open_each(paths: list[str], barrier: Any, errors: Any) -> None:
    """In a child process: open and close the store on each file, in step with the other."""

    async def open_once(path: str) -> None:
        store = SQLStore(f"sqlite:///{path}")
        await store.open()
        await store.create_job(JobCreate(problem="a leak", zip_code="94110"))
        await store.close()

    for path in paths:
        barrier.wait(timeout=60)
        try:
            asyncio.run(open_once(path))
        except Exception as error:
            errors.put(f"{path}: {type(error).__name__}: {error}\n{traceback.format_exc()}")


def test_two_processes_opening_a_fresh_file_at_once_never_fail(tmp_path: Path) -> None:
    tries = 50
    paths = [str(tmp_path / f"race-{number}" / "haggle.db") for number in range(tries)]
    context = multiprocessing.get_context("spawn")
    barrier, errors = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_open_each, args=(paths, barrier, errors)) for _ in "ab"]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    assert failures == [], "\n".join(failures)
    assert [worker.exitcode for worker in workers] == [0, 0]
    for path in paths:
        with sqlite3.connect(path) as connection:
            (count,) = connection.execute("SELECT count(*) FROM jobs").fetchone()
            (version,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        assert count == 2 and {version} == migrate.head_revisions()


async def test_a_store_left_to_the_operator_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    store = SQLStore(f"sqlite:///{path}", create_schema=False)
    await store.open()
    await store.close()
    with sqlite3.connect(path) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == []


@pytest.mark.postgres
async def test_stores_opening_a_fresh_postgres_database_at_once_create_it_once(
    postgres_url: str,
) -> None:
    stores = [SQLStore(postgres_url) for _ in range(4)]
    async with asyncio.timeout(60):  # without the advisory lock they block each other
        await asyncio.gather(*(store.open() for store in stores))
    try:
        for store in stores:
            await store.create_job(JobCreate(problem="a leak", zip_code="94110"))
        assert len(await stores[0].list_jobs()) == 4
    finally:
        for store in stores:
            await store.close()
    differences, revisions = await _schema_report(postgres_url)
    assert differences == [] and revisions == migrate.head_revisions()
