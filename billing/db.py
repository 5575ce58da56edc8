"""The database: engine creation and migrations, the same on SQLite and PostgreSQL.

Alembic owns the schema; `migrate` is what `billing init` and the tests call.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, inspect

from billing.exact_sum import register as register_exact_sum

if TYPE_CHECKING:
    from alembic.config import Config

ROOT = Path(__file__).resolve().parent.parent
# The sqlite3 module binds None by asking it for an adaptation protocol it never has, about a
# microsecond per value (a third of a ledger insert); with an adapter registered for None it
# takes a C dict look-up instead (`{}.get(None)` is None), and binds NULL all the same.
_BIND_NULL_QUICKLY = {}.get


def make_engine(url: str) -> Engine:
    """An engine tuned for the ledger: WAL and a busy timeout on SQLite, pooled on PostgreSQL."""
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite"):
        sqlite3.register_adapter(type(None), _BIND_NULL_QUICKLY)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):  # noqa: ANN001
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            # bulk ingest: a larger page cache, temporary b-trees in memory, fewer checkpoints
            cursor.execute("PRAGMA cache_size=-65536")
            cursor.execute("PRAGMA temp_store=MEMORY")
            cursor.execute("PRAGMA wal_autocheckpoint=4000")
            cursor.close()
            register_exact_sum(dbapi_connection)

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
            connection.exec_driver_sql(f"BEGIN {mode}")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: on SQLite it takes the write lock first (BEGIN
    IMMEDIATE), so a read followed by a write never fails on a snapshot another writer moved;
    concurrent writers queue on the busy timeout instead."""
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection = connection.execution_options(sqlite_begin="IMMEDIATE")
        with connection.begin():
            yield connection


CLOSE_LOCK_KEY = 7_201_012


def lock_closes(connection: Connection) -> None:
    """Serialise, inside a write transaction, the closes and what must not interleave with one
    (recording an FX rate the close may be using): an advisory lock on PostgreSQL; on SQLite
    the write lock `write_transaction` takes already does it."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({CLOSE_LOCK_KEY})")


@cache
def engine_for(url: str) -> Engine:
    return make_engine(url)


def alembic_config(url: str) -> Config:
    """Alembic loads only where the schema is migrated or its head read, so a command that
    only reads starts without it."""
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str) -> str:
    """Bring the database to the newest schema; returns the revision now in force."""
    from alembic import command

    engine = engine_for(url)
    config = alembic_config(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return current_revision(engine)


def current_revision(engine: Engine) -> str:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return ""
        return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() or ""


def head_revision() -> str:
    """The newest migration this code ships."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or ""
