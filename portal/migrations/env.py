"""Alembic environment: the connection comes from ``portal.migrate``; metadata from every package's models."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import portal.app  # noqa: F401 - importing the app imports every package's models into the metadata
from portal.migrate import branch_of_table

config = context.config
target_metadata = SQLModel.metadata
only_branch = config.attributes.get("autogenerate_branch")


def include_object(obj, name, type_, reflected, compare_to):
    if only_branch and type_ == "table":
        return branch_of_table(name) == only_branch
    if only_branch and hasattr(obj, "table"):
        return branch_of_table(obj.table.name) == only_branch
    return True


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        url = config.get_main_option("sqlalchemy.url")
        if url is None:
            raise RuntimeError("alembic needs either a connection or sqlalchemy.url")
        engine = create_engine(url)
        with engine.begin() as conn:
            _run(conn)
    else:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
