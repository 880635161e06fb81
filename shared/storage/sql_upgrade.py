"""Bringing a database made by an earlier version up to date, in place, when a store opens.

`metadata.create_all` creates what is missing entirely (new tables and their indexes); this
adds what an existing table lacks:

* the nullable columns added since (new columns are always nullable);
* the indexes added since, among them the unique (job, number) key. Duplicate rows an older
  version let in are merged first where that loses nothing: a copy never called is dropped;
* the `canceled` outcome in the outcome check (Postgres alters the constraint; SQLite, which
  cannot, rebuilds the table with the rows it holds).

`migrations/002_security.sql` does the same for databases the services do not manage.
"""

from __future__ import annotations

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
    if connection.dialect.name != "sqlite":
        return
    created = connection.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'providers'")
    ).scalar()
    if not created or "'canceled'" in created:
        return
    # SQLite cannot alter a CHECK: rebuild the table, keeping every row and id.
    connection.execute(sa.text("ALTER TABLE providers RENAME TO providers_before_upgrade"))
    for index in providers.indexes:
        connection.execute(sa.text(f'DROP INDEX IF EXISTS "{index.name}"'))
    providers.create(connection)
    names = ", ".join(f'"{column.name}"' for column in providers.columns)
    connection.execute(
        sa.text(f"INSERT INTO providers ({names}) SELECT {names} FROM providers_before_upgrade")
    )
    connection.execute(sa.text("DROP TABLE providers_before_upgrade"))


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
