"""Usage partitions: on PostgreSQL the usage ledger is one table per period under `usage_event`.

A closed period then leaves the ledger as a partition drop, not a `DELETE` of millions of rows.
PostgreSQL wants the partition key in every unique index, so `event_id` stays unique across
periods through `usage_event_id` (event id, period, content hash), written in the same
statement as the event; its rows outlive an archived partition, so a late resend of an archived
event is still a duplicate (or a conflict), never new usage. A period's partition is made the
first time an event of it is written (`usage_event_partition`, a function migration 0020
installs: it attaches a fresh table, which locks readers out of nothing, and tolerates a
concurrent creator). SQLite keeps one plain table and none of this.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection

IDS = "usage_event_id"
LOCK_TIMEOUT = "30s"
BUSY = ("55P03", "40P01")  # lock_not_available (the timeout), deadlock_detected


def partitioned(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def name(period: str) -> str:
    """The partition of a period (`2026-10` -> `usage_event_p2026_10`); the migration's
    function names them the same way."""
    return "usage_event_p" + period.replace("-", "_")


def ensure(cursor: Any, periods: Iterable[str]) -> None:
    """Make the partitions of these periods where missing, through a driver cursor (the
    write path's): one round trip, a catalog look-up per period when they exist."""
    chosen = sorted(set(periods))
    if chosen:
        cursor.execute("SELECT usage_event_partition(p) FROM unnest(%s::varchar[]) AS p",
                       (chosen,))


def ensure_on(connection: Connection, periods: Iterable[str]) -> None:
    """`ensure` on a SQLAlchemy connection; nothing on SQLite."""
    if not partitioned(connection):
        return
    cursor = connection.connection.driver_connection.cursor()
    try:
        ensure(cursor, periods)
    finally:
        cursor.close()


def periods(connection: Connection) -> list[str]:
    """The periods that have a partition, oldest first (empty on SQLite)."""
    if not partitioned(connection):
        return []
    tables = connection.exec_driver_sql(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'usage_event'::regclass").scalars().all()
    return sorted(table.removeprefix("usage_event_p").replace("_", "-") for table in tables)


def _exists(connection: Connection, period: str) -> bool:
    return connection.exec_driver_sql(
        "SELECT 1 FROM pg_inherits WHERE inhparent = 'usage_event'::regclass "
        "AND inhrelid = to_regclass(%(table)s)", {"table": name(period)}).first() is not None


def hold(connection: Connection, period: str) -> None:
    """Keep writers out of a period's partition until the transaction ends (the other
    periods, and every reader, go on)."""
    if _exists(connection, period):
        connection.exec_driver_sql(f'LOCK TABLE "{name(period)}" IN SHARE MODE')


def drop(connection: Connection, period: str) -> bool:
    """Detach and drop a period's partition, in the caller's transaction; its event ids stay
    in `usage_event_id`. False when the period has none. Detaching locks `usage_event` for a
    moment; waiting longer than LOCK_TIMEOUT for that (a long query runs) fails with a
    `BUSY` state rather than keep every reader queued behind it."""
    if not _exists(connection, period):
        return False
    table = name(period)
    connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    connection.exec_driver_sql(f'ALTER TABLE usage_event DETACH PARTITION "{table}"')
    connection.exec_driver_sql(f'DROP TABLE "{table}"')
    return True


def stored_hashes(cursor: Any, event_ids: list[str]) -> list[tuple[str, int, str]]:
    """(event id, 0, content hash) of each of these ids the ledger has ever stored, archived
    periods included, through a driver cursor."""
    cursor.execute(f"SELECT event_id, 0, content_hash FROM {IDS} "
                   "WHERE event_id = ANY(%s::varchar[])", (event_ids,))
    return cursor.fetchall()
