"""Archive: a closed period's raw usage events leave the ledger for Parquet files.

Once a period is closed and every one of its events rated, the raw rows only matter to an
audit: its rated lines and documents never change again. They are written to Parquet, one
folder per day, read back and counted against the ledger (events, requests, tokens, in total
and with a customer, the two views the close checks), and only then removed, in the same
transaction that records where they went: on PostgreSQL by detaching and dropping the period's
partition (billing/ledger/partitions.py), whose event ids stay known so a late resend is still
a duplicate; on SQLite by a `DELETE`, which takes the ids with the rows. `billing reconcile`
counts the files instead of the rows from then on (`archived_counts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    Integer,
    and_,
    case,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.exc import DBAPIError

from billing.db import lock_closes, write_transaction
from billing.ledger import partitions
from billing.ledger.usage_event import BILLED
from billing.models import PeriodClose, RatingRun, UsageArchive, UsageEvent
from billing.period import Period

usage = UsageEvent.__table__
archives = UsageArchive.__table__
closes = PeriodClose.__table__
runs = RatingRun.__table__
TOKENS = ("input_tokens", "output_tokens", "cached_input_tokens", "cache_write_input_tokens")
CHUNK = 50_000
COLUMNS = [column.name for column in usage.c if column.name != "id"]


class ArchiveRefused(ValueError):
    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclass(frozen=True)
class Counts:
    """(events, requests, tokens) in all and of the events with a customer; requests and tokens
    of billed calls only, as rating counts them (a cache hit or a failed call is an event that
    carries no usage)."""

    events: int
    requests: int
    tokens: int
    customer_events: int
    customer_requests: int
    customer_tokens: int

    def showback(self) -> tuple[int, int, int]:
        return self.events, self.requests, self.tokens

    def chargeback(self) -> tuple[int, int, int]:
        return self.customer_events, self.customer_requests, self.customer_tokens


@dataclass
class ArchiveResult:
    period: str
    path: str
    counts: Counts
    files: int

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period, "path": self.path, "files": self.files,
                **self.counts.__dict__}


def _ledger_counts(connection: Connection, period: str) -> Counts:
    tokens = sum((usage.c[name] for name in TOKENS[1:]), usage.c[TOKENS[0]])
    has = usage.c.customer.is_not(None)
    billed = usage.c.call_status == BILLED
    row = connection.execute(select(
        func.count(), func.sum(case((billed, usage.c.requests), else_=0)),
        func.sum(case((billed, tokens), else_=0)), func.sum(case((has, 1), else_=0)),
        func.sum(case((and_(has, billed), usage.c.requests), else_=0)),
        func.sum(case((and_(has, billed), tokens), else_=0))).where(usage.c.period == period)).one()
    return Counts(*(int(value or 0) for value in row))


def parquet_counts(path: Path) -> Counts:
    """The same counts, read from an archive's Parquet files."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    table = ds.dataset(path, format="parquet", partitioning="hive").to_table(
        columns=["customer", "call_status", "requests", *TOKENS])
    tokens = table.column(TOKENS[0]).cast(pa.int64())
    for name in TOKENS[1:]:
        tokens = pc.add_checked(tokens, table.column(name))
    has = pc.is_valid(table.column("customer"))
    billed = pc.equal(table.column("call_status"), BILLED)

    def total(values: Any, where: Any = None) -> int:
        chosen = values if where is None else pc.filter(values, where)
        return int(pc.sum(chosen).as_py() or 0)

    return Counts(table.num_rows, total(table.column("requests"), billed), total(tokens, billed),
                  int(pc.sum(has.cast(pa.int64())).as_py() or 0),
                  total(table.column("requests"), pc.and_(has, billed)),
                  total(tokens, pc.and_(has, billed)))


def archived(connection: Connection, period: str) -> Any:
    return connection.execute(select(archives).where(archives.c.period == period)).first()


class ArchiveUnreadable(RuntimeError):
    pass


def archived_counts(connection: Connection, period: str) -> Counts | None:
    """An archived period's counts read again from its files (None: not archived)."""
    row = archived(connection, period)
    if row is None:
        return None
    try:
        return parquet_counts(Path(row.path))
    except (OSError, _arrow_error()) as exc:
        raise ArchiveUnreadable(f"the archive of {period} at {row.path} cannot be read "
                                f"({exc})") from None


def _check(connection: Connection, period: str) -> None:
    if connection.execute(select(closes.c.period).where(closes.c.period == period)).first() \
            is None:
        raise ArchiveRefused(f"{period} is not closed; only a closed period's raw usage is "
                             "archived", f"close it first: billing close --period {period}")
    if archived(connection, period) is not None:
        raise ArchiveRefused(f"{period} is already archived (to "
                             f"{archived(connection, period).path})",
                             f"check it with: billing reconcile --period {period}")
    watermark = connection.execute(select(func.coalesce(func.max(runs.c.to_event_id), 0))
                                   .where(runs.c.kind == "incremental")).scalar_one()
    unrated = connection.execute(select(func.count()).where(
        usage.c.period == period, usage.c.id > watermark)).scalar_one()
    if unrated:
        raise ArchiveRefused(f"{unrated:,} usage events of {period} are not rated yet",
                             "run `billing rate` (late usage is rated into the next open "
                             "period), then archive")


def _write(connection: Connection, period: str, folder: Path) -> int:
    """Stream the period's rows by id into one Parquet file per day."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _schema()
    writers: dict[str, pq.ParquetWriter] = {}
    last = 0
    try:
        while True:
            rows = connection.execute(
                select(usage.c.id, *[usage.c[name] for name in COLUMNS])
                .where(usage.c.period == period, usage.c.id > last)
                .order_by(usage.c.id).limit(CHUNK)).mappings().all()
            if not rows:
                break
            last = rows[-1]["id"]
            by_day: dict[str, list[Any]] = {}
            for row in rows:
                by_day.setdefault(str(row["usage_date"]), []).append(row)
            for day, items in by_day.items():
                table = pa.Table.from_pylist([_plain(item) for item in items], schema=schema)
                if day not in writers:
                    target = folder / f"usage_date={day}"
                    target.mkdir(parents=True, exist_ok=True)
                    writers[day] = pq.ParquetWriter(target / "part-0.parquet", schema)
                writers[day].write_table(table)
    finally:
        for writer in writers.values():
            writer.close()
    return len(writers)


def _plain(row: Any) -> dict[str, Any]:
    values = {name: row[name] for name in COLUMNS if name != "usage_date"}
    moment = values["occurred_at"]
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    values["occurred_at"] = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return values


# every whole-number column of the ledger, read from its schema so a new one is never a string
_INTEGERS = {column.name for column in usage.c
             if isinstance(column.type, BigInteger | Integer)} | {"id", "batch_id"}


@cache
def _schema() -> Any:
    """pyarrow loads only when an archive is written or read: every other command starts
    without it."""
    import pyarrow as pa

    return pa.schema([
        (name, pa.int64() if name in _INTEGERS else
         pa.timestamp("us", tz="UTC") if name == "occurred_at" else pa.string())
        for name in COLUMNS if name != "usage_date"])


def _arrow_error() -> type[Exception]:
    import pyarrow as pa

    return pa.ArrowException


def archive_period(engine: Engine, period: str, to: Path) -> ArchiveResult:
    """Archive a closed period's raw events to `to/<period>/usage_date=<day>/`; verify, then
    remove them from the ledger. Refused (nothing changed) when a check does not hold."""
    Period.parse(period)
    folder = (to / period).resolve()
    with engine.connect() as connection:
        _check(connection, period)
        if folder.exists() and any(folder.iterdir()):
            raise ArchiveRefused(f"{folder} already holds files",
                                 "archive to an empty folder, or move the old files away")
        ledger = _ledger_counts(connection, period)
        files = _write(connection, period, folder) if ledger.events else 0
    written = parquet_counts(folder) if files else Counts(0, 0, 0, 0, 0, 0)
    if written != ledger:
        raise ArchiveRefused(f"the Parquet files in {folder} count {written}, the ledger "
                             f"{ledger}; nothing was removed",
                             "check the disk and archive again to an empty folder")
    try:
        _remove(engine, period, folder, ledger)
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) not in partitions.BUSY:
            raise
        raise ArchiveRefused(f"the ledger was busy, so {period}'s partition could not be "
                             f"dropped ({exc.orig}); nothing was removed",
                             "move the files away, then archive again, outside peak "
                             "hours") from None
    return ArchiveResult(period, str(folder), ledger, files)


def _remove(engine: Engine, period: str, folder: Path, ledger: Counts) -> None:
    """Recount and remove the period's rows, and record the archive, in one transaction."""
    with write_transaction(engine) as connection:
        lock_closes(connection)
        if partitions.partitioned(connection):
            partitions.hold(connection, period)
        _check(connection, period)
        if _ledger_counts(connection, period) != ledger:
            raise ArchiveRefused(f"usage of {period} changed while it was archived; nothing "
                                 "was removed", "rate it, then archive again to an empty folder")
        if partitions.partitioned(connection):
            partitions.drop(connection, period)
        else:
            connection.execute(delete(usage).where(usage.c.period == period))
        connection.execute(insert(archives).values(period=period, path=str(folder),
                                                   archived_at=datetime.now(UTC),
                                                   **ledger.__dict__))
