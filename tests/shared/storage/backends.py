"""The stores the contract suite runs against, each opened on real parts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from shared.storage.base import Store
from shared.storage.sql import SQLStore
from shared.storage.supabase import SupabaseStore
from tests.support.postgrest import serve_postgrest

#: The shipped migrations, in the order they are run.
MIGRATIONS = sorted((Path(__file__).resolve().parents[3] / "migrations").glob("*.sql"))

BACKENDS = ["sqlite", "postgres", "postgres_migration", "supabase"]


async def apply_migration(url: str) -> None:
    """Run the shipped migrations, in order, on a database, with Supabase's roles present."""
    connection = await asyncpg.connect(url)
    try:
        for role in ("anon", "authenticated", "service_role"):
            exists = await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
            if not exists:
                await connection.execute(f'CREATE ROLE "{role}" NOLOGIN')
        for migration in MIGRATIONS:
            await connection.execute(migration.read_text())
    finally:
        await connection.close()


@asynccontextmanager
async def open_backend(
    request: pytest.FixtureRequest, name: str, tmp_path: Path
) -> AsyncIterator[Store]:
    """Open the named backend on a fresh database of its own."""
    if name == "supabase":
        # A fresh fake PostgREST per test, served in the test's own event loop.
        async with serve_postgrest() as fake:
            supabase = SupabaseStore(fake.url, fake.key)
            await supabase.open()
            try:
                yield supabase
            finally:
                await supabase.close()
        return
    store: Store
    if name == "sqlite":
        store = SQLStore(f"sqlite:///{tmp_path}/haggle.db")
    elif name == "postgres":
        # The schema as a store's first open leaves it (that open is tested on its own).
        store = SQLStore(request.getfixturevalue("postgres_store_url"))
    elif name == "postgres_migration":
        url = request.getfixturevalue("postgres_sql_migrated_url")
        store = SQLStore(url, create_schema=False)
    else:
        raise ValueError(name)
    await store.open()
    try:
        yield store
    finally:
        await store.close()
