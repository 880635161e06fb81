"""What the change feed reads from every store: which jobs changed since a moment; and the
Postgres trigger behind it, the same in the store and in the shipped migration."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from shared.models import CallStatus, CallUpdate, JobCreate, ProviderCreate, utcnow
from shared.storage.base import Store
from tests.shared.storage.backends import BACKENDS, MIGRATIONS, open_backend


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with open_backend(request, request.param, tmp_path) as opened:
        yield opened


async def test_changed_jobs_are_those_written_since(store: Store) -> None:
    old = await store.create_job(JobCreate(problem="old", zip_code="94110"))
    (provider,) = await store.add_providers(
        old, [ProviderCreate(service_provider="Ace", phone_number="+14155550100")]
    )
    quiet = await store.create_job(JobCreate(problem="quiet", zip_code="94110"))
    since = utcnow()
    assert await store.changed_jobs(since + timedelta(seconds=1)) == {}
    fresh = await store.create_job(JobCreate(problem="fresh", zip_code="94110"))
    moved = await store.update_call(provider.id, CallUpdate(call_status=CallStatus.DIALING))
    assert moved is not None and moved.updated_at is not None
    changed = await store.changed_jobs(since)
    assert set(changed) == {fresh.id, old.id}
    assert changed[old.id] == moved.updated_at
    assert quiet.id not in changed


def _words(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


def _revision_statements() -> tuple[str, ...]:
    versions = Path(__file__).resolve().parents[3] / "shared/storage/migrations/versions"
    (path,) = versions.glob("0004_*.py")
    spec = importlib.util.spec_from_file_location("revision_0004", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    statements: tuple[str, ...] = module.NOTIFY_STATEMENTS
    return statements


def test_the_supabase_migration_installs_the_same_trigger_as_the_alembic_one() -> None:
    (fleet,) = [path for path in MIGRATIONS if path.name == "006_fleet.sql"]
    migration = _words(fleet.read_text())
    statements = _revision_statements()
    assert statements
    for statement in statements:
        assert _words(statement) in migration
