"""The tables, as SQLAlchemy Core metadata.

`migrations/001_init.sql` and the numbered migrations after it are the same schema for Supabase
and hand-run Postgres; the storage contract suite runs on a database made by them.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData()

_json = sa.JSON().with_variant(JSONB(), "postgresql")
_money = sa.Numeric(10, 2, asdecimal=False)
_when = sa.DateTime(timezone=True)
_seconds = sa.Numeric(10, 1, asdecimal=False)
#: Call costs are estimates of a few cents: four decimals keep the sum of many right.
_cost = sa.Numeric(12, 4, asdecimal=False)
_OUTCOMES = (
    "outcome IS NULL OR outcome IN ('agreed', 'no_agreement', 'no_answer', 'busy', "
    "'voicemail', 'dial_error', 'error', 'declined', 'canceled')"
)

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
    # Follow-ups (migrations/003_attempts.sql): minutes after a busy or unanswered call.
    sa.Column("followup_minutes", _json),
    sa.Column("account_id", sa.Text),
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
    # Attempts, follow-ups and costs (migrations/003_attempts.sql).
    sa.Column("attempt", sa.Integer),
    sa.Column("attempt_reason", sa.Text),
    sa.Column("duration_seconds", _seconds),
    sa.Column("cost", _cost),
    sa.Column("callback_requested", sa.Boolean),
    #: A follow-up is due then (the row keeps showing the ended attempt until it is placed).
    sa.Column("next_attempt_at", _when),
    # Accounts and dialing guardrails (migrations/002_security.sql).
    sa.Column("account_id", sa.Text),
    sa.Column("not_before", _when),
    # What the price reader is sure of, and the answers as pairs (migrations/005_prices.sql).
    sa.Column("context_pairs", _json),
    sa.Column("price_confidence", _json),
    sa.Column("price_notes", sa.Text),
    sa.CheckConstraint(
        "call_status IN ('pending', 'dialing', 'in_progress', 'completed', 'failed')",
        name="providers_call_status_check",
    ),
    sa.CheckConstraint(
        _OUTCOMES,
        name="providers_outcome_check",
    ),
)

#: Earlier calls to a provider, kept when it is called again (the provider row shows the
#: latest). The id is `{provider_id}:{attempt}`, so keeping an attempt twice is refused.
call_attempts = sa.Table(
    "call_attempts",
    metadata,
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

#: One number is stored once per job, whoever adds it and however many requests race.
sa.Index("uq_providers_job_phone", providers.c.job_id, providers.c.phone_number, unique=True)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("username", sa.Text, nullable=False, unique=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("created_at", _when, nullable=False),
    sa.Column("disabled_at", _when),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    # The key's public id (shown by `haggle keys list`); the secret is only stored hashed.
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("user_id", sa.Text, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("key_hash", sa.Text, nullable=False, unique=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("created_at", _when, nullable=False),
    sa.Column("expires_at", _when),
    sa.Column("revoked_at", _when),
    sa.CheckConstraint("kind IN ('api', 'session')", name="api_keys_kind_check"),
)

do_not_call = sa.Table(
    "do_not_call",
    metadata,
    # `<account_id or *>:<E.164 number>`: the key makes each entry unique per scope.
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("phone_number", sa.Text, nullable=False),
    sa.Column("account_id", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("created_at", _when, nullable=False),
    sa.CheckConstraint("source IN ('account', 'callee')", name="do_not_call_source_check"),
)

#: Limits shared by every voice instance (`shared/storage/fleet.py`): one row per bucket.
#: `dial`: the fleet's next free dial slot, in seconds since the epoch on the database's
#: clock; `claims`: a row whose lock serialises claims, so the cap on calls in flight holds.
fleet_buckets = sa.Table(
    "fleet_buckets",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("next_at", sa.Float, nullable=False),
)

#: The fleet's recent dials (`shared/storage/fleet.py`): each counts against the dial rate
#: until `until` (seconds since the epoch, the database's clock): one rate window after its
#: request to Twilio came back, or, while it is out, a generous time-out later.
fleet_dials = sa.Table(
    "fleet_dials",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("until", sa.Float, nullable=False),
)

sa.Index("idx_providers_job_id", providers.c.job_id)
sa.Index("idx_providers_account_dialed", providers.c.account_id, providers.c.dialed_at)
sa.Index("idx_jobs_account_id", jobs.c.account_id)
sa.Index("idx_api_keys_user_id", api_keys.c.user_id)
sa.Index("idx_do_not_call_phone", do_not_call.c.phone_number)
sa.Index("idx_providers_call_status", providers.c.call_status)
sa.Index("idx_providers_call_sid", providers.c.call_sid)
sa.Index("idx_jobs_created_at", jobs.c.created_at)
sa.Index("idx_call_attempts_job_id", call_attempts.c.job_id)
sa.Index("idx_call_attempts_ended_at", call_attempts.c.ended_at)
sa.Index("idx_providers_ended_at", providers.c.ended_at)
sa.Index("idx_providers_next_attempt_at", providers.c.next_attempt_at)
# The change feed's look on SQLite and Supabase: which providers changed lately.
sa.Index("idx_providers_updated_at", providers.c.updated_at)
