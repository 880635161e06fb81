"""Accounts, dialing guardrails, call attempts, costs and follow-ups.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03

The same change as `migrations/002_security.sql` and `003_attempts.sql` for Supabase: users,
API keys and sessions, the do-not-call list, each job's account, the unique (job, number) key,
calls that wait for calling hours, the attempts kept when a provider is called again, their
durations and costs, follow-up schedules, and the outcomes `canceled` and `declined`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_money = sa.Numeric(10, 2, asdecimal=False)
_when = sa.DateTime(timezone=True)
_seconds = sa.Numeric(10, 1, asdecimal=False)
_cost = sa.Numeric(12, 4, asdecimal=False)
_OUTCOME_CHECK = "providers_outcome_check"
_OUTCOMES = (
    "outcome IS NULL OR outcome IN ('agreed', 'no_agreement', 'no_answer', 'busy', "
    "'voicemail', 'dial_error', 'error', 'declined', 'canceled')"
)


def upgrade() -> None:
    """Add the columns, tables and keys; widen the outcome check; number earlier calls 1."""
    _drop_uncalled_duplicates()
    op.add_column("jobs", sa.Column("followup_minutes", _json))
    op.add_column("jobs", sa.Column("account_id", sa.Text))
    for column in (
        sa.Column("attempt", sa.Integer),
        sa.Column("attempt_reason", sa.Text),
        sa.Column("duration_seconds", _seconds),
        sa.Column("cost", _cost),
        sa.Column("callback_requested", sa.Boolean),
        sa.Column("next_attempt_at", _when),
        sa.Column("account_id", sa.Text),
        sa.Column("not_before", _when),
    ):
        op.add_column("providers", column)
    _widen_outcome_check()
    op.execute("UPDATE providers SET attempt = 1 WHERE attempt IS NULL")
    _create_tables()
    op.create_index("uq_providers_job_phone", "providers", ["job_id", "phone_number"], unique=True)
    op.create_index("idx_providers_account_dialed", "providers", ["account_id", "dialed_at"])
    op.create_index("idx_jobs_account_id", "jobs", ["account_id"])
    op.create_index("idx_api_keys_user_id", "api_keys", ["user_id"])
    op.create_index("idx_do_not_call_phone", "do_not_call", ["phone_number"])
    op.create_index("idx_call_attempts_job_id", "call_attempts", ["job_id"])
    op.create_index("idx_call_attempts_ended_at", "call_attempts", ["ended_at"])
    op.create_index("idx_providers_ended_at", "providers", ["ended_at"])
    op.create_index("idx_providers_next_attempt_at", "providers", ["next_attempt_at"])


def _create_tables() -> None:
    op.create_table(
        "call_attempts",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column(
            "provider_id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            sa.ForeignKey("providers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("job_id", sa.Text, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("attempt_reason", sa.Text),
        sa.Column("call_status", sa.Text, nullable=False),
        sa.Column("outcome", sa.Text),
        sa.Column("failure_reason", sa.Text),
        sa.Column("negotiated_price", _money),
        sa.Column("minimum_quote", _money),
        sa.Column("conditions", sa.Text),
        sa.Column("call_sid", sa.Text),
        sa.Column("call_transcript", sa.Text),
        sa.Column("transcript_turns", _json, nullable=False),
        sa.Column("dialed_at", _when),
        sa.Column("answered_at", _when),
        sa.Column("ended_at", _when),
        sa.Column("duration_seconds", _seconds),
        sa.Column("cost", _cost),
        sa.Column("callback_requested", sa.Boolean),
        sa.Column("created_at", _when, nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("username", sa.Text, nullable=False, unique=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("created_at", _when, nullable=False),
        sa.Column("disabled_at", _when),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column(
            "user_id", sa.Text, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("key_hash", sa.Text, nullable=False, unique=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("created_at", _when, nullable=False),
        sa.Column("expires_at", _when),
        sa.Column("revoked_at", _when),
        sa.CheckConstraint("kind IN ('api', 'session')", name="api_keys_kind_check"),
    )
    op.create_table(
        "do_not_call",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("phone_number", sa.Text, nullable=False),
        sa.Column("account_id", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("created_at", _when, nullable=False),
        sa.CheckConstraint("source IN ('account', 'callee')", name="do_not_call_source_check"),
    )


def _drop_uncalled_duplicates() -> None:
    """Where a job holds one number twice, drop the copies never queued or called (the first
    row of each number stays), so the unique key can be made."""
    op.execute(
        "DELETE FROM providers WHERE call_status = 'pending' AND queued_at IS NULL "
        "AND id > (SELECT MIN(other.id) FROM providers AS other "
        "WHERE other.job_id = providers.job_id "
        "AND other.phone_number = providers.phone_number)"
    )


def _widen_outcome_check() -> None:
    """Let the outcome check take `canceled` and `declined`.

    Postgres replaces the constraint. SQLite cannot alter a CHECK; its documented way to loosen
    one is to rewrite the table's stored definition (`writable_schema`) and bump the schema
    version. Widening an `IN (...)` list keeps every stored row valid, and unlike rebuilding
    the table it leaves the foreign keys that name `providers` as they are.
    """
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(_OUTCOME_CHECK, "providers", type_="check")
        op.create_check_constraint(_OUTCOME_CHECK, "providers", _OUTCOMES)
        return
    stored = str(
        bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'providers'"
        ).scalar()
    )
    # The CHECK's text runs to the next clause of the definition, or its end.
    after = r"(?=,\s*CONSTRAINT|,\s*FOREIGN|\s*\)\s*$)"
    found = re.search(rf"CONSTRAINT {_OUTCOME_CHECK} CHECK \((.*?)\){after}", stored, re.DOTALL)
    if found is None:
        raise RuntimeError("the providers table has no outcome check to widen")
    updated = stored[: found.start(1)] + _OUTCOMES + stored[found.end(1) :]
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar() or 0
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'providers'", (updated,)
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def downgrade() -> None:
    """Drop what this revision added (the outcome check keeps its wider list)."""
    for index in (
        "idx_providers_next_attempt_at",
        "idx_providers_ended_at",
        "idx_providers_account_dialed",
        "uq_providers_job_phone",
    ):
        op.drop_index(index, "providers")
    op.drop_index("idx_jobs_account_id", "jobs")
    for table in ("do_not_call", "api_keys", "users", "call_attempts"):
        op.drop_table(table)
    with op.batch_alter_table("providers") as batch:
        for name in (
            "not_before",
            "account_id",
            "next_attempt_at",
            "callback_requested",
            "cost",
            "duration_seconds",
            "attempt_reason",
            "attempt",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("account_id")
        batch.drop_column("followup_minutes")
