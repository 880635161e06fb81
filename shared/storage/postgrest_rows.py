"""Rows as PostgREST's JSON carries them, both ways, for the Supabase store.

Times go out as ISO-8601 text and come back timezone-aware; prices go out as JSON numbers and
come back as floats; a value Supabase sends that cannot be read is a `StoreError`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from shared.storage.base import StoreError
from shared.storage.schema import metadata


def _columns_of(table: sa.Table, kind: type[sa.types.TypeEngine[Any]]) -> frozenset[str]:
    return frozenset(column.name for column in table.c if isinstance(column.type, kind))


_TABLES = metadata.sorted_tables
_DATETIME_COLUMNS = {table.name: _columns_of(table, sa.DateTime) for table in _TABLES}
_NUMERIC_COLUMNS = {table.name: _columns_of(table, sa.Numeric) for table in _TABLES}


def filtered(query: Any, where: dict[str, Any]) -> Any:
    """`column = value` (or `IN (...)` for a list) for each entry of `where`."""
    for name, value in where.items():
        query = query.in_(name, value) if isinstance(value, list) else query.eq(name, value)
    return query


def encode(value: Any) -> Any:
    """A row (or value) as plain JSON: datetimes as ISO-8601 strings, enums as their values."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return encode(value.value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Mapping):
        return {str(key): encode(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [encode(item) for item in value]
    return value


def decode(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """A row as PostgREST sent it, with timezone-aware datetimes and float prices."""
    decoded = dict(row)
    for name in _DATETIME_COLUMNS[table]:
        value = decoded.get(name)
        if isinstance(value, str):
            decoded[name] = _parse_datetime(table, name, value)
    for name in _NUMERIC_COLUMNS[table]:
        value = decoded.get(name)
        if value is not None:
            decoded[name] = _parse_number(table, name, value)
    return decoded


def _parse_datetime(table: str, column: str, text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        raise StoreError(f"Supabase sent an unreadable time in {table}.{column}") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _parse_number(table: str, column: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise StoreError(f"Supabase sent a non-number in {table}.{column}")
    try:
        return float(value)
    except ValueError:
        raise StoreError(f"Supabase sent a non-number in {table}.{column}") from None
