"""The migrations' row-level security on a real Postgres with Supabase's roles: someone who
connects with a user's token (role `authenticated`, `auth.uid()` their account) reaches only
their account's rows, and never users or keys; the anonymous role reaches nothing."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from shared.models import JobCreate, ProviderCreate
from shared.storage.sql import SQLStore
from tests.shared.storage.backends import apply_migration

# What Supabase provides: `auth.uid()` reads the token's subject.
_AUTH = """
CREATE SCHEMA IF NOT EXISTS auth;
CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;
GRANT USAGE ON SCHEMA auth TO PUBLIC;
"""


async def test_a_users_token_reaches_only_their_accounts_rows(postgres_url: str) -> None:
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    admin = await asyncpg.connect(postgres_url)
    try:
        for role in ("anon", "authenticated", "service_role"):
            if not await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
                await admin.execute(f'CREATE ROLE "{role}" NOLOGIN')
        await admin.execute(_AUTH)
    finally:
        await admin.close()
    await apply_migration(postgres_url)
    store = SQLStore(postgres_url, create_schema=False)
    await store.open()
    try:
        mine = await store.create_job(JobCreate(problem="mine", zip_code="1", account_id=alice))
        await store.add_providers(mine, [ProviderCreate(service_provider="A", phone_number="+1")])
        theirs = await store.create_job(JobCreate(problem="bob's", zip_code="1", account_id=bob))
        await store.add_providers(theirs, [ProviderCreate(service_provider="B", phone_number="+2")])
        await store.create_user("alice", "argon-hash")
        await store.add_do_not_call("+14155550100", bob, "account")
    finally:
        await store.close()

    connection = await asyncpg.connect(postgres_url)
    try:
        async with connection.transaction():
            await connection.execute("SET LOCAL ROLE authenticated")
            await connection.execute(f"SET LOCAL request.jwt.claim.sub = '{alice}'")
            assert [r["problem"] for r in await connection.fetch("SELECT problem FROM jobs")] == [
                "mine"
            ]
            names = await connection.fetch("SELECT service_provider FROM providers")
            assert [r["service_provider"] for r in names] == ["A"]
            assert await connection.fetch("SELECT * FROM do_not_call") == []
            updated = await connection.execute(
                f"UPDATE jobs SET problem = 'x' WHERE id = '{theirs.id}'"
            )
            assert updated == "UPDATE 0"
        for forbidden in ("SELECT * FROM users", "SELECT * FROM api_keys"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                async with connection.transaction():
                    await connection.execute("SET LOCAL ROLE authenticated")
                    await connection.execute(f"SET LOCAL request.jwt.claim.sub = '{alice}'")
                    await connection.fetch(forbidden)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):  # a job for another account
            async with connection.transaction():
                await connection.execute("SET LOCAL ROLE authenticated")
                await connection.execute(f"SET LOCAL request.jwt.claim.sub = '{alice}'")
                await connection.execute(
                    "INSERT INTO jobs (id, problem, zip_code, account_id) "
                    f"VALUES ('forged', 'p', '1', '{bob}')"
                )
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with connection.transaction():
                await connection.execute("SET LOCAL ROLE anon")
                await connection.fetch("SELECT * FROM jobs")
    finally:
        await connection.close()
