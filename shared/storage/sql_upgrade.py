"""Bringing a database made by an earlier version up to date, in place, when a store opens.

`metadata.create_all` creates what is missing entirely (new tables and their indexes); this
adds what an existing table lacks:

* the nullable columns added since (new columns are always nullable);
* the indexes added since, among them the unique (job, number) key. Duplicate rows an older
  version let in are merged first where that loses nothing: a copy never called is dropped;
* the outcomes added since (`canceled`, `declined`) in the outcome check (Postgres alters the
  constraint; SQLite, which cannot, rewrites the table's stored definition).

`migrations/002_security.sql` does the same for databases the services do not manage.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from shared.storage.schema import metadata, providers

_OUTCOME_CHECK = "providers_outcome_check"


def upgrade_schema(connection: sa.Connection) -> None:
    """Add the columns, indexes and constraint values an older schema lacks."""
    _add_missing_columns(connection)
    _drop_uncalled_duplicates(connection)  # before anything creates the unique key
    _widen_outcome_check(connection)
    for table in metadata.sorted_tables:
        for index in table.indexes:
            index.create(connection, checkfirst=True)


def _add_missing_columns(connection: sa.Connection) -> None:
    inspector = sa.inspect(connection)
    for table in metadata.sorted_tables:
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present or not column.nullable:
                continue
            kind = column.type.compile(dialect=connection.dialect)
            connection.execute(
                sa.text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}')
            )


def _outcome_check_sql() -> str:
    for constraint in providers.constraints:
        if isinstance(constraint, sa.CheckConstraint) and constraint.name == _OUTCOME_CHECK:
            return str(constraint.sqltext)
    raise LookupError(_OUTCOME_CHECK)


def _widen_outcome_check(connection: sa.Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(
            sa.text(f"ALTER TABLE providers DROP CONSTRAINT IF EXISTS {_OUTCOME_CHECK}")
        )
        connection.execute(
            sa.text(
                f"ALTER TABLE providers ADD CONSTRAINT {_OUTCOME_CHECK} "
                f"CHECK ({_outcome_check_sql()})"
            )
        )
        return
    if connection.dialect.name == "sqlite":
        _widen_sqlite_checks(connection)


def _widen_sqlite_checks(connection: sa.Connection) -> None:
    """Let an SQLite file made by an earlier version store the outcomes added since.

    SQLite cannot alter a CHECK constraint. Its documented way to loosen one is to rewrite
    the table's stored definition (`writable_schema`) and bump the schema version; widening
    an `IN (...)` list keeps every stored row valid, so no row needs copying.
    """
    for table in (providers,):
        for constraint in table.constraints:
            if not isinstance(constraint, sa.CheckConstraint) or constraint.name is None:
                continue
            stored = connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table.name,)
            ).scalar()
            wanted = str(constraint.sqltext)
            if not stored or wanted in stored:
                continue
            # The CHECK's text runs to the next clause of the definition, or its end.
            after = r"(?=,\s*CONSTRAINT|,\s*FOREIGN|\s*\)\s*$)"
            pattern = rf"CONSTRAINT {constraint.name} CHECK \((.*?)\){after}"
            found = re.search(pattern, stored, flags=re.DOTALL)
            if found is None:
                continue
            updated = stored[: found.start(1)] + wanted + stored[found.end(1) :]
            version = connection.exec_driver_sql("PRAGMA schema_version").scalar() or 0
            connection.exec_driver_sql("PRAGMA writable_schema = ON")
            connection.exec_driver_sql(
                "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
                (updated, table.name),
            )
            connection.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
            connection.exec_driver_sql("PRAGMA writable_schema = OFF")


def _drop_uncalled_duplicates(connection: sa.Connection) -> None:
    """Where a job holds one number twice, drop the copies that were never queued or called
    (the first row of each number stays)."""
    present = {index["name"] for index in sa.inspect(connection).get_indexes("providers")}
    if "uq_providers_job_phone" in present:
        return
    connection.execute(
        sa.text(
            "DELETE FROM providers WHERE call_status = 'pending' AND queued_at IS NULL "
            "AND id > (SELECT MIN(other.id) FROM providers AS other "
            "WHERE other.job_id = providers.job_id "
            "AND other.phone_number = providers.phone_number)"
        )
    )
