"""Alembic's entry point: `Database.upgrade()` hands it a connection (there is no alembic.ini)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from bot.store.tables import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError(
        "Migrations run through `venice-bot db upgrade` (bot.store.Database.upgrade), "
        "not the alembic command line."
    )
# Batch mode lets later migrations alter tables on SQLite, which has no ALTER COLUMN.
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
