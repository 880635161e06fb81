"""How sure the price reader is, and the homeowner's answers as question/answer pairs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03

The same columns as `migrations/005_prices.sql` for Supabase. Rows written before keep their
flat `context_answers` string; the models read it as pairs (`shared.context.as_pairs`).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Add `context_pairs` to jobs and providers, and the price's confidence and notes."""
    op.add_column("jobs", sa.Column("context_pairs", _json))
    op.add_column("providers", sa.Column("context_pairs", _json))
    op.add_column("providers", sa.Column("price_confidence", _json))
    op.add_column("providers", sa.Column("price_notes", sa.Text))


def downgrade() -> None:
    """Drop the four columns."""
    with op.batch_alter_table("providers") as batch:
        for name in ("price_notes", "price_confidence", "context_pairs"):
            batch.drop_column(name)
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("context_pairs")
