"""`ping` says whether the store can take writes, and an SQLite store never writes into a file
that is no longer the one at its path."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.models import JobCreate
from shared.storage.base import StoreError
from shared.storage.sql import SQLStore
from tests.conftest import _admin

JOB = JobCreate(problem="a leak", zip_code="94110")


async def test_no_write_lands_in_a_deleted_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "data" / "haggle.db"
    store = SQLStore(f"sqlite:///{path}")
    await store.open()
    try:
        await store.create_job(JOB)
        path.unlink()
        with pytest.raises(StoreError, match="is gone"):
            await store.ping()
        with pytest.raises(StoreError, match="is gone"):
            await store.create_job(JOB)
        with pytest.raises(StoreError, match="is gone"):
            await store.list_jobs()
        assert not path.exists()
    finally:
        await store.close()


async def test_an_in_memory_sqlite_store_pings(tmp_path: Path) -> None:
    store = SQLStore("sqlite:///:memory:")
    await store.open()
    try:
        await store.ping()
    finally:
        await store.close()


@pytest.mark.postgres
async def test_a_read_only_postgres_database_is_reported(postgres_url: str) -> None:
    store = SQLStore(postgres_url)
    await store.open()
    await store.close()
    database = postgres_url.rsplit("/", 1)[1]
    admin_url = postgres_url.rsplit("/", 1)[0] + "/postgres"
    _admin(admin_url, f'ALTER DATABASE "{database}" SET default_transaction_read_only = on')
    reopened = SQLStore(postgres_url)
    await reopened.open()  # already at the newest revision: nothing to write
    try:
        with pytest.raises(StoreError, match="read-only"):
            await reopened.ping()
        with pytest.raises(StoreError, match="read-only"):
            await reopened.create_job(JOB)
    finally:
        await reopened.close()
