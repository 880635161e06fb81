"""The tables, as SQLAlchemy Core metadata.

`migrations/001_init.sql` and the numbered migrations after it are the same schema for Supabase
and hand-run Postgres; a test checks they agree column for column.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData()

_json = sa.JSON().with_variant(JSONB(), "postgresql")
_money = sa.Numeric(10, 2, asdecimal=False)
_when = sa.DateTime(timezone=True)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("problem", sa.Text, nullable=False),
    sa.Column("zip_code", sa.Text, nullable=False),
    sa.Column("max_price", _money),
    sa.Column("house_address", sa.Text),
    sa.Column("date_needed", sa.Text),
    sa.Column("context_answers", sa.Text),
    sa.Column("context_pairs", _json),  # migrations/005_prices.sql
    sa.Column("original_query", sa.Text),
    sa.Column("task", sa.Text),
    sa.Column("questions", _json, nullable=False),
    sa.Column("clarifications", _json, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("created_at", _when, nullable=False),
    sa.Column("updated_at", _when, nullable=False),
)

providers = sa.Table(
    "providers",
    metadata,
    # The original's columns.
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
    # What the call lifecycle needs.
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
    # What the price reader is sure of, and the answers as pairs (migrations/005_prices.sql).
    sa.Column("context_pairs", _json),
    sa.Column("price_confidence", _json),
    sa.Column("price_notes", sa.Text),
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

sa.Index("idx_providers_job_id", providers.c.job_id)
sa.Index("idx_providers_call_status", providers.c.call_status)
sa.Index("idx_providers_call_sid", providers.c.call_sid)
sa.Index("idx_jobs_created_at", jobs.c.created_at)
