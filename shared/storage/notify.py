"""The Postgres trigger behind the change feed: every write to `jobs` or `providers` sends
`NOTIFY haggle_changes, '<job id>'` (Postgres folds repeats within one transaction).

`SQLStore.open` installs it (idempotently) when it owns the schema; `migrations/004_fleet.sql`
holds the same statements for Supabase and hand-run Postgres.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

#: Serialises concurrent installs by several processes starting at once.
_INSTALL_LOCK = 7_031_501

STATEMENTS = (
    """
CREATE OR REPLACE FUNCTION haggle_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    row_data jsonb := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
BEGIN
    PERFORM pg_notify('haggle_changes', row_data ->> TG_ARGV[0]);
    RETURN NULL;
END
$$
""",
    """
CREATE OR REPLACE TRIGGER haggle_jobs_changed
    AFTER INSERT OR UPDATE OR DELETE ON jobs
    FOR EACH ROW EXECUTE FUNCTION haggle_notify_change('id')
""",
    """
CREATE OR REPLACE TRIGGER haggle_providers_changed
    AFTER INSERT OR UPDATE OR DELETE ON providers
    FOR EACH ROW EXECUTE FUNCTION haggle_notify_change('job_id')
""",
)


async def install_notify_trigger(connection: AsyncConnection) -> None:
    """Create or replace the trigger and its function, in the connection's transaction."""
    await connection.execute(sa.text(f"SELECT pg_advisory_xact_lock({_INSTALL_LOCK})"))
    for statement in STATEMENTS:
        await connection.execute(sa.text(statement))
