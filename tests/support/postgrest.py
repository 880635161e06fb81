"""A fake Supabase REST API (PostgREST) for tests, served by a real uvicorn on loopback.

It speaks PostgREST's documented HTTP API at `/rest/v1/<table>` for the tables of
`shared/storage/schema.py`, strictly enough that a wrong request fails instead of silently
passing:

* `apikey` and `Authorization: Bearer <key>` must both carry the configured key (401);
* reads: `select=` (`*`, columns, `alias:column`), horizontal filters (`eq`, `neq`, `gt`,
  `gte`, `lt`, `lte`, `in.(...)`, `is.null`, `like`, `ilike`, each negatable with `not.`),
  `order=col.asc|desc[.nullsfirst|.nullslast],...`, `limit`, `offset`, `Prefer: count=exact`
  and a server-side `max_rows` cap;
* `Accept: application/vnd.pgrst.object+json` answers one object, or 406 (PGRST116) unless
  exactly one row matched (rolling a write back, as PostgREST does);
* `POST` inserts one object or an array (all or none), honouring `columns=`,
  `Prefer: return=minimal|headers-only|representation` and `missing=default`, filling in the
  column defaults of `migrations/*.sql` (a bigserial `id` for providers);
* unique keys (primary keys, `UNIQUE` columns and unique indexes) are enforced (409, 23505);
  an upsert with `on_conflict=<a unique key>` and `Prefer: resolution=ignore-duplicates`
  leaves out the rows that collide (`ON CONFLICT DO NOTHING`), nothing else of upserts;
* `PATCH` and `DELETE` with filters, all or nothing per request; without any filter they are
  refused, as Supabase's `safeupdate` does (code 21000);
* values are checked like PostgreSQL would (types, NOT NULL, CHECK, primary and foreign keys)
  and answered as PostgREST serialises them: timestamps as ISO strings (`+00:00`), numerics
  as JSON numbers with their scale (`150.00`), JSONB as JSON;
* errors are PostgREST's JSON (`{"code", "details", "hint", "message"}`): PGRST100 for a
  malformed query, 42703 for an unknown column in a query, PGRST204 for one in a body, ...

It is stricter than PostgreSQL in two ways, both to catch adapter bugs: a text column only
takes a JSON string, and a timestamp must carry its UTC offset.

Every request is handled under one lock, so concurrent PATCHes are compare-and-set, and is
recorded (`FakePostgrest.requests`) for tests to assert on. `fail_next` makes the next
requests fail like a broken upstream would.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import json
import re
import socket
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
import sqlalchemy as sa
import uvicorn
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from shared.storage.schema import metadata

#: The shipped migrations, in the order they are run.
MIGRATIONS = sorted((Path(__file__).resolve().parents[2] / "migrations").glob("*.sql"))
DEFAULT_KEY = "fake-service-role-key-5b0c1e"
SCHEMA = "public"
_JSON_TYPE = "application/json; charset=utf-8"

# -- the tables ---------------------------------------------------------------------------


@dataclass
class Column:
    """One column: its PostgreSQL type, nullability and default."""

    name: str
    kind: str  # text | bigint | numeric | timestamptz | jsonb | boolean
    nullable: bool
    precision: int | None = None
    scale: int | None = None
    serial: bool = False
    default: Callable[[], Any] | None = None


@dataclass
class Check:
    """A `col IN (...)` CHECK constraint (NULL passes, as in SQL)."""

    name: str
    column: str
    allowed: frozenset[str]


@dataclass
class ForeignKey:
    """`column` references `table.target`."""

    name: str
    column: str
    table: str
    target: str
    cascade: bool


@dataclass
class Table:
    """A table's shape, from `shared/storage/schema.py` plus the migration's defaults."""

    name: str
    columns: dict[str, Column]
    primary_key: str
    checks: list[Check] = field(default_factory=list)
    #: Unique keys besides the primary key: (name, columns).
    uniques: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)


def _kind_of(column: sa.Column[Any]) -> str:
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return "boolean"
    if isinstance(kind, sa.Integer):
        return "bigint"
    if isinstance(kind, sa.Numeric | sa.Float):
        return "numeric"
    if isinstance(kind, sa.DateTime):
        return "timestamptz"
    if isinstance(kind, sa.JSON):
        return "jsonb"
    if isinstance(kind, sa.String):
        return "text"
    raise TypeError(f"the fake PostgREST has no type for {column.table.name}.{column.name}")


_COLUMN_LINE = re.compile(
    r"^\s*(?:ALTER TABLE (?P<table>\w+) ADD COLUMN IF NOT EXISTS\s+)?"
    r"(?P<column>[a-z_]+)\s+"
    r"(?P<type>BIGSERIAL|BIGINT|INTEGER|BOOLEAN|TEXT|JSONB|TIMESTAMPTZ|NUMERIC\(\d+, \d+\))"
    r"(?P<rest>.*)$"
)


def _parse_default(expression: str) -> Callable[[], Any]:
    expression = expression.strip()
    if expression == "now()":
        return lambda: datetime.now(UTC)
    literal = re.fullmatch(r"'((?:[^']|'')*)'(::jsonb)?", expression)
    if literal is None:
        raise ValueError(f"the fake PostgREST cannot evaluate DEFAULT {expression}")
    text = literal.group(1).replace("''", "'")
    if literal.group(2):
        value = json.loads(text)
        return lambda: copy.deepcopy(value)
    return lambda: text


def _migration_defaults() -> dict[tuple[str, str], tuple[bool, Callable[[], Any] | None]]:
    """(table, column) -> (is bigserial, default) as `migrations/*.sql` declare."""
    found: dict[tuple[str, str], tuple[bool, Callable[[], Any] | None]] = {}
    table = None
    lines = [line for migration in MIGRATIONS for line in migration.read_text().splitlines()]
    for line in lines:
        created = re.match(r"^CREATE TABLE IF NOT EXISTS (\w+)", line)
        if created:
            table = created.group(1)
            continue
        if line.startswith(")"):
            table = None
        match = _COLUMN_LINE.match(line)
        if match is None or (match.group("table") or table) is None:
            continue
        owner = match.group("table") or table
        assert owner is not None
        default = re.search(r"\bDEFAULT\s+(.+?)\s*[,;]?\s*(?:--.*)?$", match.group("rest"))
        found[(owner, match.group("column"))] = (
            match.group("type") == "BIGSERIAL",
            _parse_default(default.group(1)) if default else None,
        )
    return found


def _check_of(constraint: sa.CheckConstraint, table: str) -> Check:
    text = str(constraint.sqltext)
    match = re.fullmatch(r"(?:(\w+) IS NULL OR )?(\w+) IN\s*\(([^)]*)\)", text.strip())
    if match is None or (match.group(1) and match.group(1) != match.group(2)):
        raise ValueError(f"the fake PostgREST cannot evaluate CHECK ({text})")
    allowed = frozenset(re.findall(r"'((?:[^']|'')*)'", match.group(3)))
    return Check(str(constraint.name or f"{table}_check"), match.group(2), allowed)


@functools.cache
def tables_from_schema() -> dict[str, Table]:
    """The fake's tables: columns from `shared/storage/schema.py`, defaults from the migration."""
    defaults = _migration_defaults()
    tables: dict[str, Table] = {}
    for source in metadata.sorted_tables:
        columns: dict[str, Column] = {}
        for column in source.c:
            kind = _kind_of(column)
            serial, default = defaults.get((source.name, column.name), (False, None))
            numeric = column.type if isinstance(column.type, sa.Numeric) else None
            columns[column.name] = Column(
                name=column.name,
                kind=kind,
                nullable=bool(column.nullable),
                precision=numeric.precision if numeric is not None else None,
                scale=numeric.scale if numeric is not None else None,
                serial=serial,
                default=default,
            )
        keys = [column.name for column in source.primary_key.columns]
        assert len(keys) == 1, "the fake PostgREST supports single-column primary keys"
        table = Table(source.name, columns, keys[0])
        for constraint in source.constraints:
            if isinstance(constraint, sa.CheckConstraint):
                table.checks.append(_check_of(constraint, source.name))
            if isinstance(constraint, sa.UniqueConstraint) and not isinstance(
                constraint, sa.PrimaryKeyConstraint
            ):
                names = tuple(column.name for column in constraint.columns)
                table.uniques.append((str(constraint.name or f"{source.name}_key"), names))
        for column in source.c:
            if column.unique:
                table.uniques.append((f"{source.name}_{column.name}_key", (column.name,)))
        for index in source.indexes:
            if index.unique:
                names = tuple(column.name for column in index.columns)
                table.uniques.append((str(index.name), names))
        for column in source.c:
            for key in column.foreign_keys:
                table.foreign_keys.append(
                    ForeignKey(
                        name=f"{source.name}_{column.name}_fkey",
                        column=column.name,
                        table=key.column.table.name,
                        target=key.column.name,
                        cascade=(key.ondelete or "").upper() == "CASCADE",
                    )
                )
        tables[source.name] = table
    return tables


# -- errors and values --------------------------------------------------------------------


def _unique_keys(table: Table) -> list[tuple[str, tuple[str, ...]]]:
    return [(f"{table.name}_pkey", (table.primary_key,)), *table.uniques]


def _key(row: dict[str, Any], columns: tuple[str, ...]) -> tuple[Any, ...] | None:
    values = tuple(row.get(column) for column in columns)
    return None if any(value is None for value in values) else values


class PostgrestError(Exception):
    """An error answered as PostgREST does: a status and `{code, details, hint, message}`."""

    def __init__(
        self,
        status: int,
        code: str | None,
        message: str,
        details: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {
            "code": code,
            "details": details,
            "hint": hint,
            "message": message,
        }


def _parse_error(message: str, details: str | None = None) -> PostgrestError:
    return PostgrestError(400, "PGRST100", message, details)


def _unsupported(what: str) -> PostgrestError:
    return PostgrestError(400, "PGRST100", f"the fake PostgREST does not support {what}")


def _pg_timestamp(value: datetime) -> str:
    """A timestamptz as PostgreSQL writes it in JSON (UTC session): trailing zeros trimmed."""
    value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += "." + f"{value.microsecond:06d}".rstrip("0")
    return text + "+00:00"


def _parse_timestamp(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise PostgrestError(
            400, "22007", f'invalid input syntax for type timestamp with time zone: "{text}"'
        ) from None
    if parsed.tzinfo is None:
        raise PostgrestError(
            400,
            "22007",
            f'timestamp without a UTC offset: "{text}"',
            hint="The fake PostgREST requires timestamps to carry their offset.",
        )
    return parsed.astimezone(UTC)


def _numeric(column: Column, value: Decimal) -> Decimal:
    if not value.is_finite():
        raise PostgrestError(400, "22P02", f'invalid input syntax for type numeric: "{value}"')
    if column.scale is not None:
        value = value.quantize(Decimal(1).scaleb(-column.scale), rounding=ROUND_HALF_UP)
    digits = (column.precision or 0) - (column.scale or 0)
    if column.precision is not None and abs(value) >= Decimal(10) ** digits:
        raise PostgrestError(
            400,
            "22003",
            "numeric field overflow",
            f"A field with precision {column.precision}, scale {column.scale} must round "
            f"to an absolute value less than 10^{digits}.",
        )
    return value


def _from_text(column: Column, text: str) -> Any:
    """A value written in a URL (a filter), as the column's type."""
    if column.kind == "text":
        return text
    if column.kind == "boolean":
        if text.strip().lower() not in {"true", "false"}:
            raise PostgrestError(400, "22P02", f'invalid input syntax for type boolean: "{text}"')
        return text.strip().lower() == "true"
    if column.kind == "bigint":
        if not re.fullmatch(r"\s*[+-]?\d+\s*", text):
            raise PostgrestError(400, "22P02", f'invalid input syntax for type bigint: "{text}"')
        return int(text)
    if column.kind == "numeric":
        try:
            return _numeric(column, Decimal(text.strip()))
        except InvalidOperation:
            raise PostgrestError(
                400, "22P02", f'invalid input syntax for type numeric: "{text}"'
            ) from None
    if column.kind == "timestamptz":
        return _parse_timestamp(text)
    try:
        return json.loads(text)
    except ValueError:
        raise PostgrestError(400, "22P02", "invalid input syntax for type json", text) from None


def _from_json(table: Table, column: Column, value: Any) -> Any:
    """A value of a JSON body, as the column's type (None for JSON null)."""
    if value is None:
        return None
    where = f'column "{column.name}" of relation "{table.name}"'
    if column.kind == "jsonb":
        return copy.deepcopy(value)
    if column.kind == "text":
        if not isinstance(value, str):
            raise PostgrestError(
                400,
                "22P02",
                f"{where} is text, got JSON {type(value).__name__}",
                hint="The fake PostgREST only takes JSON strings for text columns.",
            )
        return value
    if column.kind == "boolean":
        if not isinstance(value, bool):
            raise PostgrestError(400, "22P02", f'invalid input syntax for type boolean: "{value}"')
        return value
    if column.kind == "bigint":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise PostgrestError(400, "22P02", f'invalid input syntax for type bigint: "{value}"')
        return _from_text(column, str(value))
    if column.kind == "numeric":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise PostgrestError(400, "22P02", f'invalid input syntax for type numeric: "{value}"')
        return _from_text(column, str(value))
    if not isinstance(value, str):
        raise PostgrestError(
            400, "22007", f'invalid input syntax for type timestamp with time zone: "{value}"'
        )
    return _parse_timestamp(value)


def _to_json(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.kind == "timestamptz":
        return _pg_timestamp(value)
    return value


def dumps(value: Any) -> str:
    """JSON as PostgREST writes it: numerics keep their scale (`150.00`)."""
    if value is None or isinstance(value, bool | int | float | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(item) for item in value) + "]"
    if isinstance(value, dict):
        items = (
            f"{json.dumps(str(key), ensure_ascii=False)}:{dumps(v)}" for key, v in value.items()
        )
        return "{" + ",".join(items) + "}"
    raise TypeError(f"cannot serialise {type(value).__name__}")


# -- query parsing ------------------------------------------------------------------------

_RESERVED = {"select", "order", "limit", "offset", "columns", "on_conflict"}
_LOGICAL = {"or", "and", "not.or", "not.and"}
_COMPARE = {"eq", "neq", "gt", "gte", "lt", "lte"}


@dataclass
class Filter:
    """`column=[not.]op.value`."""

    column: Column
    operator: str
    value: Any
    negate: bool

    def holds(self, row: dict[str, Any]) -> bool | None:
        """SQL's three-valued answer for a row: True, False or None (unknown)."""
        current = row.get(self.column.name)
        result: bool | None
        if self.operator == "is":  # only `is.null`: the others need a boolean column
            result = current is None
        elif current is None:
            result = None
        elif self.operator == "in":
            result = current in self.value
        elif self.operator in ("like", "ilike"):
            result = self.value.fullmatch(current) is not None
        else:
            try:
                result = {
                    "eq": current == self.value,
                    "neq": current != self.value,
                    "gt": current > self.value,
                    "gte": current >= self.value,
                    "lt": current < self.value,
                    "lte": current <= self.value,
                }[self.operator]
            except TypeError:
                raise PostgrestError(
                    400, "42883", f"operator does not exist: {self.column.kind} {self.operator}"
                ) from None
        if self.negate and result is not None:
            result = not result
        return result


def _column_name(table: Table, raw: str) -> Column:
    name = raw.strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = name[1:-1].replace('\\"', '"')
    if "->" in name or "(" in name or "::" in name:
        raise _unsupported(f"the column expression {raw!r}")
    column = table.columns.get(name)
    if column is None:
        raise PostgrestError(400, "42703", f"column {table.name}.{name} does not exist")
    return column


def _split_list(text: str) -> list[str]:
    """The items of `a,"b,c",d` (PostgREST's quoting: double quotes, backslash escapes)."""
    items: list[str] = []
    current: list[str] = []
    quoted = escaped = was_quoted = False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
            was_quoted = True
        elif char == "," and not quoted:
            items.append("".join(current) if was_quoted else "".join(current).strip())
            current, was_quoted = [], False
        else:
            current.append(char)
    if quoted:
        raise _parse_error(f"failed to parse list ({text})", "unclosed double quote")
    items.append("".join(current) if was_quoted else "".join(current).strip())
    return items


def _parse_filter(table: Table, key: str, raw: str) -> Filter:
    column = _column_name(table, key)
    rest, negate = raw, False
    if rest.startswith("not."):
        rest, negate = rest[4:], True
    operator, dot, text = rest.partition(".")
    if not dot:
        raise _parse_error(f"failed to parse filter ({raw})", f"unknown operator in {key}={raw}")
    if operator in _COMPARE:
        return Filter(column, operator, _from_text(column, text), negate)
    if operator == "in":
        if not (text.startswith("(") and text.endswith(")")):
            raise _parse_error(f"failed to parse filter ({raw})", "in. needs (a,b,...)")
        inner = text[1:-1]
        items = _split_list(inner) if inner.strip() else []
        return Filter(column, "in", [_from_text(column, item) for item in items], negate)
    if operator == "is":
        if text == "null":
            return Filter(column, "is", None, negate)
        if text in ("true", "false", "unknown"):
            raise PostgrestError(
                400,
                "42804",
                f"argument of IS {text.upper()} must be type boolean, not type {column.kind}",
            )
        raise _parse_error(f"failed to parse filter ({raw})", "is. takes null, true, false")
    if operator in ("like", "ilike"):
        if column.kind != "text":
            raise PostgrestError(400, "42883", f"operator does not exist: {column.kind} ~~")
        pattern = "".join(
            ".*" if char in "*%" else "." if char == "_" else re.escape(char) for char in text
        )
        flags = re.IGNORECASE | re.DOTALL if operator == "ilike" else re.DOTALL
        return Filter(column, operator, re.compile(pattern, flags), negate)
    if operator in {"match", "imatch", "fts", "plfts", "phfts", "wfts", "cs", "cd", "ov"}:
        raise _unsupported(f"the {operator} operator")
    raise _parse_error(f"failed to parse filter ({raw})", f"unknown operator {operator!r}")


@dataclass
class Order:
    """One `order=` term."""

    column: Column
    descending: bool
    nulls_first: bool


def _parse_order(table: Table, raw: str) -> list[Order]:
    terms: list[Order] = []
    for term in raw.split(","):
        name, *modifiers = term.strip().split(".")
        if not name:
            raise _parse_error(f"failed to parse order ({raw})")
        column = _column_name(table, name)
        descending, nulls_first = False, None
        for modifier in modifiers:
            if modifier in ("asc", "desc"):
                descending = modifier == "desc"
            elif modifier in ("nullsfirst", "nullslast"):
                nulls_first = modifier == "nullsfirst"
            else:
                raise _parse_error(f"failed to parse order ({raw})", f"unknown {modifier!r}")
        if column.kind == "jsonb":
            raise _unsupported("ordering by a jsonb column")
        # PostgreSQL's defaults: NULLS LAST ascending, NULLS FIRST descending.
        terms.append(Order(column, descending, descending if nulls_first is None else nulls_first))
    return terms


def _sort(rows: list[dict[str, Any]], orders: list[Order]) -> list[dict[str, Any]]:
    result = list(rows)
    for order in reversed(orders):  # stable sorts, last key first
        name = order.column.name
        nulls = [row for row in result if row.get(name) is None]
        values = [row for row in result if row.get(name) is not None]
        values.sort(key=lambda row: row[name], reverse=order.descending)
        result = nulls + values if order.nulls_first else values + nulls
    return result


def _parse_select(table: Table, raw: str | None) -> list[tuple[str, Column]]:
    if raw is None or raw.strip() == "*":
        return [(name, column) for name, column in table.columns.items()]
    chosen: list[tuple[str, Column]] = []
    for item in _split_list(raw):
        if not item:
            raise _parse_error(f"failed to parse select parameter ({raw})")
        if item == "*":
            chosen.extend(table.columns.items())
            continue
        if "(" in item:
            raise PostgrestError(
                400,
                "PGRST200",
                f"Could not find a relationship for '{item}' in the schema cache",
                hint="The fake PostgREST does not embed resources.",
            )
        alias, colon, name = item.partition(":")
        if colon and not name:
            raise _parse_error(f"failed to parse select parameter ({raw})")
        column = _column_name(table, name if colon else alias)
        chosen.append(((alias if colon else column.name).strip(), column))
    return chosen


def _parse_count(name: str, raw: str) -> int:
    if not re.fullmatch(r"\d+", raw.strip()):
        raise _parse_error(f"failed to parse {name} parameter ({raw})")
    return int(raw)


def _parse_prefer(headers: Headers) -> dict[str, str]:
    preferences: dict[str, str] = {}
    for header in headers.getlist("prefer"):
        for token in header.split(","):
            token = token.strip()
            if token:
                key, _, value = token.partition("=")
                preferences[key.strip()] = value.strip()
    known = {
        "return": {"minimal", "headers-only", "representation"},
        "count": {"exact", "planned", "estimated"},
        "missing": {"default", "null"},
        "handling": {"strict", "lenient"},
        "tx": {"commit", "rollback"},
    }
    if preferences.get("handling") == "strict":
        for key, value in preferences.items():
            valid = key in known and value in known[key]
            valid = valid or (key == "max-affected" and value.isdigit())
            valid = valid or key in {"timezone", "resolution"}
            if not valid:
                raise PostgrestError(
                    400, "PGRST122", "Invalid preferences given with handling=strict", f"{key}"
                )
    return preferences


# -- requests -----------------------------------------------------------------------------


@dataclass
class RecordedRequest:
    """One request as the fake saw it, and the status it answered."""

    method: str
    path: str
    query: str  # raw, percent-encoded
    params: list[tuple[str, str]]  # decoded, in order
    headers: dict[str, str]  # lower-case names
    body: bytes
    status: int = 0

    @property
    def table(self) -> str | None:
        """The table of `/rest/v1/<table>`."""
        prefix = "/rest/v1/"
        return self.path[len(prefix) :] if self.path.startswith(prefix) else None

    @property
    def json(self) -> Any:
        """The body, parsed."""
        return json.loads(self.body) if self.body else None

    def param(self, name: str) -> list[str]:
        """Every value of one query parameter."""
        return [value for key, value in self.params if key == name]

    def filters(self) -> dict[str, list[str]]:
        """The horizontal filters, by column."""
        found: dict[str, list[str]] = {}
        for key, value in self.params:
            if key not in _RESERVED:
                found.setdefault(key, []).append(value)
        return found

    def prefer(self) -> set[str]:
        """The `Prefer` tokens."""
        return {
            token.strip() for token in self.headers.get("prefer", "").split(",") if token.strip()
        }


@dataclass
class _Failure:
    status: int
    body: bytes
    content_type: str
    methods: frozenset[str] | None


class FakePostgrest:
    """An in-memory PostgREST for the tables of `shared/storage/schema.py`; an ASGI app.

    Serve it with `serve_postgrest` (in the test's event loop) or `running_postgrest`
    (a thread); then `url` is the Supabase project URL to give the client.
    """

    def __init__(self, key: str = DEFAULT_KEY, *, max_rows: int | None = None) -> None:
        self.key = key
        self.max_rows = max_rows
        self.url = ""
        self.tables = tables_from_schema()
        self.requests: list[RecordedRequest] = []
        self._rows: dict[str, list[dict[str, Any]]] = {name: [] for name in self.tables}
        self._sequences: dict[str, int] = {name: 0 for name in self.tables}
        self._failures: deque[_Failure] = deque()
        self._lock = threading.Lock()

    # -- for tests -------------------------------------------------------------------------

    @property
    def rest_url(self) -> str:
        """The REST API's base URL."""
        return f"{self.url}/rest/v1"

    def rows(self, table: str) -> list[dict[str, Any]]:
        """The table's rows as PostgREST would serialise them, in storage order."""
        with self._lock:
            spec = self.tables[table]
            return [
                json.loads(dumps(self._represent(spec, row, None))) for row in self._rows[table]
            ]

    def requests_to(self, table: str, method: str | None = None) -> list[RecordedRequest]:
        """The recorded requests to one table (and method)."""
        with self._lock:
            return [
                request
                for request in self.requests
                if request.table == table and (method is None or request.method == method)
            ]

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self.requests.clear()

    def fail_next(
        self,
        status: int = 500,
        body: dict[str, Any] | str | None = None,
        *,
        times: int = 1,
        methods: set[str] | None = None,
    ) -> None:
        """Answer the next `times` requests (of `methods`) with this error, touching nothing."""
        if body is None:
            body = {"code": "XX000", "details": None, "hint": None, "message": "internal error"}
        if isinstance(body, dict):
            payload, content_type = json.dumps(body).encode(), _JSON_TYPE
        else:
            payload, content_type = body.encode(), "text/html; charset=utf-8"
        with self._lock:
            for _ in range(times):
                self._failures.append(
                    _Failure(status, payload, content_type, frozenset(methods) if methods else None)
                )

    # -- ASGI ------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        body = await request.body()
        status, headers, content = self.handle(
            request.method,
            request.url.path,
            scope.get("query_string", b"").decode("latin-1"),
            request.headers,
            body,
        )
        if request.method == "HEAD" or status == 204:
            content = b""
        response = Response(content, status_code=status, headers=headers)
        await response(scope, receive, send)

    def handle(
        self, method: str, path: str, query: str, headers: Headers, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one request, atomically: status, headers and body."""
        record = RecordedRequest(
            method=method,
            path=path,
            query=query,
            params=parse_qsl(query, keep_blank_values=True),
            headers={key.lower(): value for key, value in headers.items()},
            body=body,
        )
        with self._lock:
            self.requests.append(record)
            failure = next(
                (f for f in self._failures if f.methods is None or method in f.methods), None
            )
            if failure is not None:
                self._failures.remove(failure)
                record.status = failure.status
                return failure.status, {"content-type": failure.content_type}, failure.body
            try:
                status, extra, payload = self._answer(method, path, record, headers)
            except PostgrestError as error:
                status, extra, payload = error.status, {}, json.dumps(error.body).encode()
                extra["content-type"] = _JSON_TYPE
            record.status = status
            return status, extra, payload

    # -- PostgREST -------------------------------------------------------------------------

    def _answer(
        self, method: str, path: str, record: RecordedRequest, headers: Headers
    ) -> tuple[int, dict[str, str], bytes]:
        if not path.startswith("/rest/v1/"):
            raise PostgrestError(404, None, "no Route matched with those values")
        self._authenticate(headers)
        name = path[len("/rest/v1/") :]
        table = self.tables.get(name)
        if table is None:
            raise PostgrestError(
                404,
                "PGRST205",
                f"Could not find the table '{SCHEMA}.{name}' in the schema cache",
            )
        profile_header = "accept-profile" if method in ("GET", "HEAD") else "content-profile"
        profile = headers.get(profile_header)
        if profile is not None and profile != SCHEMA:
            raise PostgrestError(
                406, "PGRST106", f"Invalid schema: {profile}", hint=f"Only {SCHEMA} is exposed"
            )
        single = self._wants_single(headers)
        prefer = _parse_prefer(headers)
        params = record.params
        for key, _ in params:
            if key in _LOGICAL or key.endswith((".or", ".and")):
                raise _unsupported("logical operators (or/and)")
            if key.endswith((".limit", ".offset", ".order")):
                raise _unsupported("embedded resources")
        filters = [
            _parse_filter(table, key, value) for key, value in params if key not in _RESERVED
        ]
        values = {key: value for key, value in params if key in _RESERVED}
        select = _parse_select(table, values.get("select"))
        if method in ("GET", "HEAD"):
            for reserved in ("columns", "on_conflict"):
                if reserved in values:
                    raise _parse_error(f"{reserved} is not valid for reads")
            return self._read(table, filters, values, select, single, prefer)
        for reserved in ("limit", "offset", "order"):
            if reserved in values:
                raise _unsupported(f"{reserved}= on {method}")
        if method == "POST":
            return self._insert(table, record.body, headers, values, select, single, prefer)
        if method == "PATCH":
            return self._update(
                table, record.body, headers, filters, values, select, single, prefer
            )
        if method == "DELETE":
            return self._delete(table, filters, select, single, prefer)
        raise PostgrestError(405, "PGRST117", f"Unsupported HTTP method: {method}")

    def _authenticate(self, headers: Headers) -> None:
        apikey = headers.get("apikey")
        if not apikey:
            raise PostgrestError(
                401,
                None,
                "No API key found in request",
                hint="No `apikey` request header or url param was found.",
            )
        if apikey != self.key:
            raise PostgrestError(401, None, "Invalid API key")
        authorization = headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.key:
            raise PostgrestError(
                401, "PGRST301", "No suitable key or wrong key type", hint="Authorization: Bearer"
            )

    @staticmethod
    def _wants_single(headers: Headers) -> bool:
        accept = headers.get("accept", "*/*")
        for media in accept.split(","):
            kind, *parameters = (part.strip() for part in media.split(";"))
            parameters = [p for p in parameters if not p.startswith("q=")]
            if kind == "application/vnd.pgrst.object+json":
                if parameters:
                    raise _unsupported(f"media type parameters ({media.strip()})")
                return True
            if kind in ("application/json", "application/vnd.pgrst.array+json", "*/*"):
                if parameters:
                    raise _unsupported(f"media type parameters ({media.strip()})")
                return False
            if kind == "application/*":
                return False
        raise PostgrestError(406, "PGRST107", f"None of these media types are available: {accept}")

    def _represent(
        self, table: Table, row: dict[str, Any], select: list[tuple[str, Column]] | None
    ) -> dict[str, Any]:
        chosen = select if select is not None else list(table.columns.items())
        return {alias: _to_json(column, row.get(column.name)) for alias, column in chosen}

    def _matching(self, table: Table, filters: list[Filter]) -> list[dict[str, Any]]:
        return [row for row in self._rows[table.name] if all(f.holds(row) is True for f in filters)]

    def _body(
        self,
        table: Table,
        rows: list[dict[str, Any]],
        select: list[tuple[str, Column]],
        single: bool,
    ) -> bytes:
        represented = [self._represent(table, row, select) for row in rows]
        if single:
            if len(represented) != 1:
                raise PostgrestError(
                    406,
                    "PGRST116",
                    "Cannot coerce the result to a single JSON object",
                    f"The result contains {len(represented)} rows",
                )
            return dumps(represented[0]).encode()
        return dumps(represented).encode()

    def _read(
        self,
        table: Table,
        filters: list[Filter],
        values: dict[str, str],
        select: list[tuple[str, Column]],
        single: bool,
        prefer: dict[str, str],
    ) -> tuple[int, dict[str, str], bytes]:
        rows = self._matching(table, filters)
        if "order" in values:
            rows = _sort(rows, _parse_order(table, values["order"]))
        total = len(rows)
        offset = _parse_count("offset", values["offset"]) if "offset" in values else 0
        limit = _parse_count("limit", values["limit"]) if "limit" in values else None
        if self.max_rows is not None:
            limit = self.max_rows if limit is None else min(limit, self.max_rows)
        rows = rows[offset:] if limit is None else rows[offset : offset + limit]
        body = self._body(table, rows, select, single)
        counted = str(total) if prefer.get("count") in ("exact", "planned", "estimated") else "*"
        content_range = f"{offset}-{offset + len(rows) - 1}/{counted}" if rows else f"*/{counted}"
        return 200, {"content-type": _JSON_TYPE, "content-range": content_range}, body

    def _payload(self, body: bytes, headers: Headers) -> Any:
        content_type = headers.get("content-type", "application/json").split(";")[0].strip()
        if content_type != "application/json":
            raise PostgrestError(415, "PGRST107", f"Content-Type not acceptable: {content_type}")
        try:
            return json.loads(body) if body else None
        except ValueError:
            raise PostgrestError(400, "PGRST102", "Empty or invalid json") from None

    def _payload_columns(self, table: Table, values: dict[str, str]) -> list[Column] | None:
        if "columns" not in values:
            return None
        columns = []
        for name in _split_list(values["columns"]):
            column = table.columns.get(name)
            if column is None:
                raise PostgrestError(
                    400,
                    "PGRST204",
                    f"Could not find the '{name}' column of '{table.name}' in the schema cache",
                )
            columns.append(column)
        return columns

    def _known_keys(self, table: Table, keys: list[str]) -> list[Column]:
        columns = []
        for key in keys:
            column = table.columns.get(key)
            if column is None:
                raise PostgrestError(
                    400,
                    "PGRST204",
                    f"Could not find the '{key}' column of '{table.name}' in the schema cache",
                )
            columns.append(column)
        return columns

    def _validate(
        self,
        table: Table,
        candidates: list[dict[str, Any]],
        replaced: list[dict[str, Any]],
    ) -> None:
        """Raise unless the table, with `replaced` rows swapped for `candidates`, is valid."""
        for row in candidates:
            for column in table.columns.values():
                if row.get(column.name) is None and not column.nullable:
                    raise PostgrestError(
                        400,
                        "23502",
                        f'null value in column "{column.name}" of relation "{table.name}" '
                        "violates not-null constraint",
                    )
            for check in table.checks:
                value = row.get(check.column)
                if value is not None and value not in check.allowed:
                    raise PostgrestError(
                        400,
                        "23514",
                        f'new row for relation "{table.name}" violates check constraint '
                        f'"{check.name}"',
                    )
            for key in table.foreign_keys:
                value = row.get(key.column)
                if value is not None and not any(
                    other.get(key.target) == value for other in self._rows[key.table]
                ):
                    raise PostgrestError(
                        409,
                        "23503",
                        f'insert or update on table "{table.name}" violates foreign key '
                        f'constraint "{key.name}"',
                        f'Key ({key.column})=({value}) is not present in table "{key.table}".',
                    )
        replaced_ids = {id(row) for row in replaced}
        kept = [row for row in self._rows[table.name] if id(row) not in replaced_ids]
        for name, columns in _unique_keys(table):
            seen = {_key(row, columns) for row in kept} - {None}
            for row in candidates:
                value = _key(row, columns)
                if value is None:
                    continue  # a NULL never collides
                if value in seen:
                    raise PostgrestError(
                        409,
                        "23505",
                        f'duplicate key value violates unique constraint "{name}"',
                        f"Key ({', '.join(columns)})=({', '.join(map(str, value))}) "
                        "already exists.",
                    )
                seen.add(value)

    def _insert(
        self,
        table: Table,
        raw: bytes,
        headers: Headers,
        values: dict[str, str],
        select: list[tuple[str, Column]],
        single: bool,
        prefer: dict[str, str],
    ) -> tuple[int, dict[str, str], bytes]:
        ignore_key: tuple[str, ...] | None = None
        if "on_conflict" in values or "resolution" in prefer:
            wanted = tuple(part.strip() for part in values.get("on_conflict", "").split(","))
            keys = {columns for _name, columns in _unique_keys(table)}
            if prefer.get("resolution") != "ignore-duplicates" or wanted not in keys:
                raise _unsupported("upserts other than ON CONFLICT (unique key) DO NOTHING")
            ignore_key = wanted
        payload = self._payload(raw, headers)
        objects = payload if isinstance(payload, list) else [payload]
        if not all(isinstance(item, dict) for item in objects):
            raise PostgrestError(400, "PGRST102", "Empty or invalid json")
        columns = self._payload_columns(table, values)
        if columns is None:
            keys = list(objects[0]) if objects else []
            if any(set(item) != set(keys) for item in objects):
                raise PostgrestError(400, "PGRST102", "All object keys must match")
            columns = self._known_keys(table, keys)
        use_default = prefer.get("missing") == "default"
        new_rows = []
        for item in objects:
            row: dict[str, Any] = {}
            for column in columns:
                if column.name in item:
                    row[column.name] = _from_json(table, column, item[column.name])
                elif use_default:
                    row[column.name] = self._default(table, column)
                else:
                    row[column.name] = None
            for column in table.columns.values():
                if column.name not in row:
                    row[column.name] = self._default(table, column)
            new_rows.append(row)
        if ignore_key is not None:
            new_rows = self._without_conflicts(table, new_rows, ignore_key)
        self._validate(table, new_rows, [])
        representation = prefer.get("return") == "representation"
        body = self._body(table, new_rows, select, single) if representation else b""
        self._rows[table.name].extend(new_rows)
        extra = {"content-range": "*/*"}
        if representation:
            extra["content-type"] = _JSON_TYPE
            extra["preference-applied"] = "return=representation"
        elif prefer.get("return") == "headers-only" and len(new_rows) == 1:
            key = table.primary_key
            extra["location"] = f"/{table.name}?{key}=eq.{new_rows[0][key]}"
        return 201, extra, body

    def _without_conflicts(
        self, table: Table, rows: list[dict[str, Any]], key: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        """The rows whose `key` is not taken (by a stored row or an earlier row of the batch)."""
        taken = {_key(row, key) for row in self._rows[table.name]} - {None}
        kept = []
        for row in rows:
            value = _key(row, key)
            if value is not None and value in taken:
                continue
            taken.add(value)
            kept.append(row)
        return kept

    def _default(self, table: Table, column: Column) -> Any:
        if column.serial:
            # Like a sequence: consumed even if the insert then fails.
            self._sequences[table.name] += 1
            return self._sequences[table.name]
        return column.default() if column.default is not None else None

    def _mutation_guard(
        self, verb: str, filters: list[Filter], count: int, prefer: dict[str, str]
    ) -> None:
        if not filters:
            raise PostgrestError(400, "21000", f"{verb} requires a WHERE clause")
        limit = prefer.get("max-affected")
        if limit is not None and prefer.get("handling") == "strict" and count > int(limit):
            raise PostgrestError(
                400,
                "PGRST124",
                "Query result exceeds max-affected preference constraint",
                f"The query affects {count} rows",
            )

    def _write_answer(
        self,
        table: Table,
        rows: list[dict[str, Any]],
        select: list[tuple[str, Column]],
        single: bool,
        prefer: dict[str, str],
    ) -> tuple[int, dict[str, str], bytes]:
        if prefer.get("return") == "representation":
            body = self._body(table, rows, select, single)
            headers = {"content-type": _JSON_TYPE, "content-range": f"0-{len(rows) - 1}/*"}
            headers["preference-applied"] = "return=representation"
            return 200, headers, body
        return 204, {"content-range": f"0-{len(rows) - 1}/*" if rows else "*/*"}, b""

    def _update(
        self,
        table: Table,
        raw: bytes,
        headers: Headers,
        filters: list[Filter],
        values: dict[str, str],
        select: list[tuple[str, Column]],
        single: bool,
        prefer: dict[str, str],
    ) -> tuple[int, dict[str, str], bytes]:
        payload = self._payload(raw, headers)
        if not isinstance(payload, dict):
            raise PostgrestError(400, "PGRST102", "Empty or invalid json")
        columns = self._payload_columns(table, values)
        if columns is None:
            columns = self._known_keys(table, list(payload))
        changes = {
            column.name: _from_json(table, column, payload.get(column.name)) for column in columns
        }
        matched = self._matching(table, filters)
        self._mutation_guard("UPDATE", filters, len(matched), prefer)
        updated = [row | changes for row in matched]
        self._validate(table, updated, matched)
        if table.primary_key in changes:
            self._check_references(table, matched, updated)
        # All checks passed (the single-object check too): apply. Like PostgreSQL's heap,
        # updated rows move to the end of an unordered read.
        answer = self._write_answer(table, updated, select, single, prefer)
        if updated:
            gone = {id(row) for row in matched}
            kept = [row for row in self._rows[table.name] if id(row) not in gone]
            self._rows[table.name] = kept + updated
        return answer

    def _check_references(
        self, table: Table, before: list[dict[str, Any]], after: list[dict[str, Any]]
    ) -> None:
        for other in self.tables.values():
            for key in other.foreign_keys:
                if key.table != table.name:
                    continue
                for old, new in zip(before, after, strict=True):
                    if old[key.target] != new[key.target] and any(
                        row.get(key.column) == old[key.target] for row in self._rows[other.name]
                    ):
                        raise PostgrestError(
                            409,
                            "23503",
                            f'update or delete on table "{table.name}" violates foreign key '
                            f'constraint "{key.name}" on table "{other.name}"',
                        )

    def _delete(
        self,
        table: Table,
        filters: list[Filter],
        select: list[tuple[str, Column]],
        single: bool,
        prefer: dict[str, str],
    ) -> tuple[int, dict[str, str], bytes]:
        matched = self._matching(table, filters)
        self._mutation_guard("DELETE", filters, len(matched), prefer)
        targets_by_key: list[tuple[str, ForeignKey, set[Any]]] = []
        for other in self.tables.values():
            for key in other.foreign_keys:
                if key.table != table.name:
                    continue
                targets = {row[key.target] for row in matched}
                dependent = any(row.get(key.column) in targets for row in self._rows[other.name])
                if dependent and not key.cascade:
                    raise PostgrestError(
                        409,
                        "23503",
                        f'update or delete on table "{table.name}" violates foreign key '
                        f'constraint "{key.name}" on table "{other.name}"',
                    )
                targets_by_key.append((other.name, key, targets))
        answer = self._write_answer(table, matched, select, single, prefer)
        # Every check passed: delete, cascading to the referencing rows.
        gone = {id(row) for row in matched}
        self._rows[table.name] = [row for row in self._rows[table.name] if id(row) not in gone]
        for other_name, key, targets in targets_by_key:
            self._rows[other_name] = [
                row for row in self._rows[other_name] if row.get(key.column) not in targets
            ]
        return answer


# -- serving ------------------------------------------------------------------------------


def _bound_socket() -> socket.socket:
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose protocol
    # says TCP, and without it every answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def _server(fake: FakePostgrest) -> uvicorn.Server:
    config = uvicorn.Config(fake, lifespan="off", log_level="warning", access_log=False, http="h11")
    return uvicorn.Server(config)


@asynccontextmanager
async def serve_postgrest(
    key: str = DEFAULT_KEY, *, max_rows: int | None = None
) -> AsyncIterator[FakePostgrest]:
    """A fresh fake, served by uvicorn in this event loop; yields it with `url` set.

    Sharing the loop with the code under test also proves that code never blocks the loop:
    a blocking client would starve the server and time out.
    """
    fake = FakePostgrest(key, max_rows=max_rows)
    sock = _bound_socket()
    fake.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = _server(fake)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("the fake PostgREST stopped during start-up")
            await asyncio.sleep(0.005)
        yield fake
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=15)
        sock.close()


@contextmanager
def running_postgrest(
    key: str = DEFAULT_KEY, *, max_rows: int | None = None
) -> Iterator[FakePostgrest]:
    """A fresh fake, served by uvicorn in a background thread; yields it with `url` set."""
    fake = FakePostgrest(key, max_rows=max_rows)
    sock = _bound_socket()
    fake.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = _server(fake)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="fake-postgrest", daemon=True
    )
    thread.start()
    try:
        for _ in range(3000):
            if server.started or not thread.is_alive():
                break
            threading.Event().wait(0.005)
        if not server.started:
            raise RuntimeError("the fake PostgREST did not start")
        yield fake
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@pytest.fixture
async def fake_postgrest() -> AsyncIterator[FakePostgrest]:
    """A fresh fake PostgREST for one test, served in the test's event loop."""
    async with serve_postgrest() as fake:
        yield fake
