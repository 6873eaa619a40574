"""Alembic environment: the URL comes from the caller (``compris migrate``), never from a file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from compris.inbox.search import include_object
from compris.models import Base

config = context.config
target_metadata = Base.metadata


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things: batch mode copies the table
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `compris migrate`")
run(connection)
