"""The schema as SQLStore created it before Alembic: jobs and providers.

Revision ID: 0001
Revises:
Create Date: 2026-12-03

A database made before Alembic managed the schema holds exactly this; `SQLStore.open()`
stamps such a database with this revision instead of running it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_money = sa.Numeric(10, 2, asdecimal=False)
_when = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create `jobs` and `providers` with their indexes."""
    op.create_table(
        "jobs",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("problem", sa.Text, nullable=False),
        sa.Column("zip_code", sa.Text, nullable=False),
        sa.Column("max_price", _money),
        sa.Column("house_address", sa.Text),
        sa.Column("date_needed", sa.Text),
        sa.Column("context_answers", sa.Text),
        sa.Column("original_query", sa.Text),
        sa.Column("task", sa.Text),
        sa.Column("questions", _json, nullable=False),
        sa.Column("clarifications", _json, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("created_at", _when, nullable=False),
        sa.Column("updated_at", _when, nullable=False),
    )
    op.create_index("idx_jobs_created_at", "jobs", ["created_at"])
    op.create_table(
        "providers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("job_id", sa.Text, sa.ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("service_provider", sa.Text, nullable=False),
        sa.Column("phone_number", sa.Text, nullable=False),
        sa.Column("context_answers", sa.Text),
        sa.Column("house_address", sa.Text),
        sa.Column("zip_code", sa.Text),
        sa.Column("max_price", _money),
        sa.Column("problem", sa.Text),
        sa.Column("minimum_quote", _money),
        sa.Column("negotiated_price", _money),
        sa.Column("call_status", sa.Text, nullable=False),
        sa.Column("call_transcript", sa.Text),
        sa.Column("created_at", _when, nullable=False),
        sa.Column("outcome", sa.Text),
        sa.Column("failure_reason", sa.Text),
        sa.Column("conditions", sa.Text),
        sa.Column("call_sid", sa.Text),
        sa.Column("transcript_turns", _json, nullable=False),
        sa.Column("queued_at", _when),
        sa.Column("claimed_by", sa.Text),
        sa.Column("lease_expires_at", _when),
        sa.Column("dialed_at", _when),
        sa.Column("answered_at", _when),
        sa.Column("ended_at", _when),
        sa.Column("updated_at", _when),
        sa.CheckConstraint(
            "call_status IN ('pending', 'dialing', 'in_progress', 'completed', 'failed')",
            name="providers_call_status_check",
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN "
            "('agreed', 'no_agreement', 'no_answer', 'busy', 'voicemail', 'dial_error', 'error')",
            name="providers_outcome_check",
        ),
    )
    op.create_index("idx_providers_job_id", "providers", ["job_id"])
    op.create_index("idx_providers_call_status", "providers", ["call_status"])
    op.create_index("idx_providers_call_sid", "providers", ["call_sid"])


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("providers")
    op.drop_table("jobs")
