"""How Alembic reaches the database.

`SQLStore.open()` hands Alembic its own connection (`config.attributes["connection"]`), under
the store's migration lock. Run from the `alembic` command (to write a revision), it connects
to `DATABASE_URL` itself, or to `-x url=…`.
"""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine

from shared.storage.schema import metadata


def _configure_and_run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite alters a table by copying it; batch mode writes such revisions for both.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_the_command_line() -> None:
    from shared.settings import load_settings
    from shared.storage.sql_connect import async_url

    url = context.get_x_argument(as_dictionary=True).get("url") or load_settings().database_url
    engine_url, connect_args = async_url(url)
    engine = create_async_engine(engine_url, connect_args=connect_args)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_configure_and_run)
            await connection.commit()
    finally:
        await engine.dispose()


_connection = context.config.attributes.get("connection")
if _connection is not None:
    _configure_and_run(_connection)
else:
    asyncio.run(_run_from_the_command_line())
