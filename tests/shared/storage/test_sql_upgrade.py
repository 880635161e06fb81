"""A database made by an earlier version opens, and gains the columns added since."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from shared.models import CallStatus, CallUpdate, JobCreate, Outcome, ProviderCreate
from shared.storage.sql import SQLStore


async def test_an_older_sqlite_file_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = SQLStore(f"sqlite:///{path}")
    await store.open()
    job = await store.create_job(JobCreate(problem="a leak", zip_code="94110"))
    await store.add_providers(job, [ProviderCreate(service_provider="A", phone_number="+1415")])
    await store.close()
    with sqlite3.connect(path) as connection:  # as the previous version left it
        connection.execute("ALTER TABLE providers DROP COLUMN lease_expires_at")
    reopened = SQLStore(f"sqlite:///{path}")
    await reopened.open()
    (provider,) = await reopened.list_providers(job.id)
    assert provider.service_provider == "A" and provider.lease_expires_at is None
    await reopened.queue_calls(job.id)
    claimed = await reopened.claim_call(provider.id, "a", lease_until=provider.created_at)
    assert claimed is not None and claimed.lease_expires_at is not None
    await reopened.close()


async def test_an_older_sqlite_file_accepts_the_outcomes_added_since(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = SQLStore(f"sqlite:///{path}")
    await store.open()
    job = await store.create_job(JobCreate(problem="a leak", zip_code="94110"))
    (provider,) = await store.add_providers(
        job, [ProviderCreate(service_provider="A", phone_number="+1415")]
    )
    await store.close()
    with sqlite3.connect(path) as connection:  # the CHECK as the previous version made it
        (sql,) = connection.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'providers'"
        ).fetchone()
        old = sql.replace(", 'declined')", ")")
        assert old != sql
        connection.execute("PRAGMA writable_schema = ON")
        connection.execute("UPDATE sqlite_master SET sql = ? WHERE name = 'providers'", (old,))
        (version,) = connection.execute("PRAGMA schema_version").fetchone()
        connection.execute(f"PRAGMA schema_version = {version + 1}")
    with sqlite3.connect(path) as connection, pytest.raises(sqlite3.IntegrityError):
        connection.execute("UPDATE providers SET outcome = 'declined'")
    reopened = SQLStore(f"sqlite:///{path}")
    await reopened.open()
    done = await reopened.update_call(
        provider.id, CallUpdate(call_status=CallStatus.COMPLETED, outcome=Outcome.DECLINED)
    )
    assert done is not None and done.outcome is Outcome.DECLINED
    await reopened.close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        with pytest.raises(sqlite3.IntegrityError):  # still checked
            connection.execute("UPDATE providers SET outcome = 'nonsense'")
