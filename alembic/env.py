"""Alembic environment: migrations run against DATABASE_URL, or a connection handed in."""

from __future__ import annotations

from sqlmodel import SQLModel

import billing.models  # noqa: F401  (registers the tables)
from alembic import context
from billing.config import load_settings
from billing.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url or url == "sqlite:///billing.db":
        url = load_settings().database_url
    engine = make_engine(url)
    with engine.begin() as conn:
        _run(conn)


def _run(connection) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
