"""Rows as SQLAlchemy returns them, made into what the models take."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

__all__ = ["row_dict", "utc"]


def utc(value: Any) -> Any:
    """A value with its datetime in UTC: SQLite keeps no time zone, everything is stored in UTC."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def row_dict(result: Any) -> dict[str, Any]:
    """A result row as a dict, its datetimes in UTC."""
    return {key: utc(value) for key, value in result._mapping.items()}
