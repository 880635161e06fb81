"""The fleet's shared limits and the change feed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

The same change as `migrations/006_fleet.sql` for Supabase: `fleet_buckets` (one row per
bucket: `dial` spaces the fleet's dial tickets, `claims` serialises claims) and `fleet_dials`
(the recent dials that count against `CALLS_PER_SECOND`), both read by
`shared/storage/fleet.py`; the index the change feed polls providers by (`updated_at`); and,
on Postgres, the trigger that sends `NOTIFY haggle_changes, '<job id>'` on every write to
`jobs` or `providers`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The change feed's trigger (Postgres folds repeated notifications within a transaction).
NOTIFY_STATEMENTS = (
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


def upgrade() -> None:
    """Create the fleet's tables and the change feed's index and (Postgres) trigger."""
    op.create_table(
        "fleet_buckets",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("next_at", sa.Float, nullable=False),
    )
    op.create_table(
        "fleet_dials",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("until", sa.Float, nullable=False),
    )
    op.create_index("idx_providers_updated_at", "providers", ["updated_at"])
    if op.get_bind().dialect.name == "postgresql":
        for statement in NOTIFY_STATEMENTS:
            op.execute(statement)


def downgrade() -> None:
    """Drop what this revision added."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS haggle_providers_changed ON providers")
        op.execute("DROP TRIGGER IF EXISTS haggle_jobs_changed ON jobs")
        op.execute("DROP FUNCTION IF EXISTS haggle_notify_change()")
    op.drop_index("idx_providers_updated_at", "providers")
    op.drop_table("fleet_dials")
    op.drop_table("fleet_buckets")
