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
        old = sql.replace(", 'declined', 'canceled')", ")")
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


async def test_a_file_from_before_accounts_gains_them_and_keeps_its_calls(tmp_path: Path) -> None:
    """The outcome check learns `canceled` (SQLite rebuilds the table, ids and rows kept), a
    duplicate never called is merged away, and the unique (job, number) key holds from then on."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as connection:  # the previous version's providers table
        connection.executescript(
            """
            CREATE TABLE jobs (id TEXT PRIMARY KEY, problem TEXT NOT NULL, zip_code TEXT NOT NULL,
                questions JSON NOT NULL, clarifications JSON NOT NULL, status TEXT NOT NULL,
                created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL);
            CREATE TABLE providers (id INTEGER PRIMARY KEY, job_id TEXT NOT NULL
                REFERENCES jobs (id) ON DELETE CASCADE, service_provider TEXT NOT NULL,
                phone_number TEXT NOT NULL, call_status TEXT NOT NULL, outcome TEXT,
                transcript_turns JSON NOT NULL, created_at DATETIME NOT NULL, queued_at DATETIME,
                CONSTRAINT providers_outcome_check CHECK (outcome IS NULL OR outcome IN
                ('agreed', 'no_agreement', 'no_answer', 'busy', 'voicemail', 'dial_error',
                 'error')));
            INSERT INTO jobs VALUES ('j1', 'a leak', '94110', '[]', '{}', 'searched',
                '2026-01-01 00:00:00', '2026-01-01 00:00:00');
            INSERT INTO providers (id, job_id, service_provider, phone_number, call_status,
                outcome, transcript_turns, created_at) VALUES
                (7, 'j1', 'Ace', '+14155550100', 'completed', 'agreed', '[]',
                 '2026-01-01 00:00:00'),
                (8, 'j1', 'Ace again', '+14155550100', 'pending', NULL, '[]',
                 '2026-01-01 00:00:00');
            """
        )
    store = SQLStore(f"sqlite:///{path}")
    await store.open()
    try:
        (kept,) = await store.list_providers("j1")
        assert (kept.id, kept.outcome) == (7, "agreed")
        job = await store.get_job("j1")
        assert job is not None and job.account_id is None
        again = ProviderCreate(service_provider="B", phone_number="+14155550100")
        assert await store.add_providers(job, [again]) == []
        (fresh,) = await store.add_providers(
            job, [ProviderCreate(service_provider="C", phone_number="+14155550101")]
        )
        assert [p.id for p in await store.cancel_job("j1")] == [fresh.id]
        (_, canceled) = await store.list_providers("j1")
        assert canceled.outcome == "canceled"
    finally:
        await store.close()
