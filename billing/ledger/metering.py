"""Metering: usage events enter the append-only ledger exactly once.

Each chunk of rows is validated in Python, then written in one transaction with
`INSERT ... ON CONFLICT (event_id) DO NOTHING RETURNING` (on PostgreSQL into the event-id
table beside the partitioned ledger: billing/ledger/partitions.py), so a resend is a
duplicate, a changed resend is a conflict, and a process killed mid-file loses nothing: the
next run skips what landed. Rejected rows go to the quarantine verbatim, keyed by their
content, so a re-run does not quarantine them twice. A provider's usage bucket (a snapshot,
not an event) read again with other numbers is restated instead of refused
(billing/ledger/restatement.py).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import chain, islice
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from billing.db import write_transaction
from billing.ledger import partitions, plain_event, restatement
from billing.ledger.formats import SourceRow, reader_for
from billing.ledger.formats.native import read_line
from billing.ledger.usage_event import (
    HASH_AT,
    LEDGER_COLUMNS,
    InvalidEvent,
    ledger_tuple,
    validate,
)
from billing.models import IngestBatch, QuarantinedRow, UsageEvent

CHUNK_SIZE = 10_000
MAX_KEPT_ERRORS = 10_000

usage_table = UsageEvent.__table__
quarantine_table = QuarantinedRow.__table__
batch_table = IngestBatch.__table__


@dataclass(frozen=True, slots=True)
class RowError:
    """Why one row was refused: which row, which event, which field, what to do."""

    row: int
    event_id: str | None
    field: str | None
    message: str
    source: str | None = None  # set for a quarantined row: its file ...
    quarantine_id: int | None = None  # ... and the id `billing quarantine fix` takes

    def to_dict(self) -> dict[str, Any]:
        found = {"row": self.row, "event_id": self.event_id, "field": self.field,
                 "message": self.message}
        if self.quarantine_id is not None:
            found |= {"source": self.source, "quarantine_id": self.quarantine_id}
        return found


@dataclass(frozen=True, slots=True)
class RowOutcome:
    status: str  # accepted | duplicate | restated | rejected
    event_id: str | None = None
    field: str | None = None
    message: str | None = None


ACCEPTED = RowOutcome("accepted")


@dataclass
class IngestResult:
    batch_id: int | None = None
    source: str = ""
    format: str = "native"
    rows: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    restated: int = 0
    errors: list[RowError] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)

    def add_chunk(self, source: Callable[[int], SourceRow], outcomes: list[RowOutcome]
                  ) -> None:
        """Count a written chunk; `source(index)` is the row an outcome is about."""
        counts = Counter(outcome.status for outcome in outcomes)
        self.rows += len(outcomes)
        self.accepted += counts["accepted"]
        self.duplicates += counts["duplicate"]
        self.rejected += counts["rejected"]
        self.restated += counts["restated"]
        if counts["rejected"]:
            for index, outcome in enumerate(outcomes):
                if outcome.status == "rejected":
                    self.reasons[outcome.field or "record"] += 1
                    if len(self.errors) < MAX_KEPT_ERRORS:
                        self.errors.append(RowError(source(index).row, outcome.event_id,
                                                    outcome.field, outcome.message or ""))

    def to_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "source": self.source,
            "format": self.format,
            "rows": self.rows,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "restated": self.restated,
            "rejected_by_field": dict(self.reasons.most_common()),
            "errors": [error.to_dict() for error in self.errors],
        }


def _now() -> datetime:
    return datetime.now(UTC)


def _insert(connection: Connection, table: Any):  # noqa: ANN202
    dialect = connection.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database {dialect!r}: use SQLite or PostgreSQL")


def _chunks(rows: Iterable[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


@dataclass
class _Prepared:
    """A validated chunk, ready to write: the pure half of storing, done off the writer."""

    chunk: list[SourceRow | tuple[int, str]]
    """The rows as read; a line the typed decoder settled stays (line number, text)."""
    outcomes: list[RowOutcome | None]
    candidates: dict[str, tuple[int, tuple[Any, ...]]]
    """The first row of each event id: its outcome's index and its ledger tuple
    (`usage_event.ledger_tuple`), the very parameters the insert binds."""
    repeats: list[tuple[int, tuple[Any, ...]]]
    snapshots: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def source(self, index: int) -> SourceRow:
        """The source row of an outcome; a decoded line becomes one only when it is refused
        (a conflicting resend), to be reported and quarantined as it arrived."""
        found = self.chunk[index]
        if isinstance(found, SourceRow):
            return found
        row, text = found
        return SourceRow(row, None, text.strip())


def _validated(source: SourceRow, zone: ZoneInfo, backfill: bool, now: datetime
               ) -> dict[str, Any] | RowOutcome:
    """The ledger row of a source row, or the outcome that refuses it."""
    if source.data is None:
        return RowOutcome("rejected", None, source.field, source.error)
    try:
        return validate(source.data, zone, backfill=backfill, now=now)
    except InvalidEvent as exc:
        event_id = source.data.get("event_id")
        return RowOutcome(
            "rejected", event_id if isinstance(event_id, str) else None, exc.field, exc.message
        )


def _prepare(chunk: list[SourceRow], zone: ZoneInfo, batch_id: int | None,
             backfill: bool = False) -> _Prepared:
    prepared = _Prepared(list(chunk), [None] * len(chunk), {}, [])
    candidates, outcomes = prepared.candidates, prepared.outcomes
    now = _now()
    for index, source in enumerate(chunk):
        values = _validated(source, zone, backfill, now)
        if isinstance(values, RowOutcome):
            outcomes[index] = values
            continue
        values["batch_id"] = batch_id
        if source.bucket is not None:
            prepared.snapshots.append((index, values))
        elif values["event_id"] in candidates:
            prepared.repeats.append((index, ledger_tuple(values)))
        else:
            candidates[values["event_id"]] = (index, ledger_tuple(values))
    return prepared


def _prepare_lines(lines: list[tuple[int, str]], zone: ZoneInfo, batch_id: int | None,
                   backfill: bool = False) -> _Prepared:
    """`_prepare` for numbered JSON lines: a plain line goes straight to its ledger tuple
    through the typed decoder (billing/ledger/plain_event.py); any other is read and
    validated as `_prepare` does, so its row or its error is the same."""
    prepared = _Prepared([], [], {}, [])
    chunk, outcomes, candidates = prepared.chunk, prepared.outcomes, prepared.candidates
    append_row, append_outcome = chunk.append, outcomes.append
    now = _now()
    decode = plain_event.decode
    for numbered in lines:
        row = decode(numbered[1], zone, backfill, now, batch_id)
        if row is None:
            stripped = numbered[1].strip()
            if not stripped:
                continue
            source = read_line(numbered[0], stripped)
            append_row(source)
            values = _validated(source, zone, backfill, now)
            if isinstance(values, RowOutcome):
                append_outcome(values)
                continue
            values["batch_id"] = batch_id
            row = ledger_tuple(values)
        else:
            append_row(numbered)
        index = len(outcomes)
        append_outcome(None)
        if row[0] in candidates:
            prepared.repeats.append((index, row))
        else:
            candidates[row[0]] = (index, row)
    return prepared


def _write_prepared(
    connection: Connection, prepared: _Prepared, batch_id: int | None
) -> list[RowOutcome]:
    """Write a validated chunk; one outcome per row, in order."""
    candidates, outcomes = prepared.candidates, prepared.outcomes
    decisions = restatement.store_many(
        connection, [(prepared.source(index), values) for index, values in prepared.snapshots],
        lambda rows: write_events(connection, rows), batch_id)
    for (index, values), decision in zip(prepared.snapshots, decisions, strict=True):
        outcomes[index] = RowOutcome(decision.status, values["event_id"], decision.field,
                                     decision.message)
    present = _land(connection, [row for _, row in candidates.values()])
    if present:
        for event_id, (index, row) in candidates.items():
            outcomes[index] = compare_resend(event_id, row[HASH_AT], present[event_id]) \
                if event_id in present else ACCEPTED
    else:
        for index, _ in candidates.values():
            outcomes[index] = ACCEPTED
    for index, row in prepared.repeats:
        outcomes[index] = compare_resend(row[0], row[HASH_AT], candidates[row[0]][1][HASH_AT])
    return outcomes  # type: ignore[return-value]


def _store_chunk(
    connection: Connection, chunk: list[SourceRow], zone: ZoneInfo, batch_id: int | None,
    backfill: bool = False,
) -> list[RowOutcome]:
    return _write_prepared(connection, _prepare(chunk, zone, batch_id, backfill), batch_id)


def compare_resend(event_id: str, new_hash: str, stored_hash: str | None) -> RowOutcome:
    """A resent event_id: a duplicate when its content matches, else a refused conflict."""
    if stored_hash == new_hash:
        return RowOutcome("duplicate", event_id)
    return RowOutcome(
        "rejected",
        event_id,
        "event_id",
        f"event_id {event_id!r} is already in the ledger with different content; "
        "usage is never overwritten: send a new event_id for new usage",
    )


def _land(connection: Connection, rows: list[tuple[Any, ...]]) -> dict[str, str]:
    """Insert events (ledger tuples) with distinct ids; of those already in the ledger
    (which stay as they are), the stored content hash. Inserting first and looking up only
    what did not land keeps the common case (all new) to one statement, and leaves no gap
    between a look-up and the insert for another ingest to write into."""
    if not rows:
        return {}
    if connection.dialect.name == "postgresql":
        waiting = _copy_events(connection, rows, report=True)
    else:
        before = connection.exec_driver_sql(
            "SELECT coalesce(max(id), 0) FROM usage_event").scalar_one()
        if _write_tuples(connection, rows) == len(rows):
            return {}
        # the write lock is ours: a row with a higher id is one this insert made
        return {event_id: stored for event_id, (row_id, stored)
                in _stored(connection, [row[0] for row in rows]).items()
                if row_id <= before}
    return {event_id: stored for event_id, (_, stored) in _stored(connection, waiting).items()}


def _stored(connection: Connection, event_ids: list[str]) -> dict[str, tuple[int, str]]:
    """The id and content hash of each of these events that is in the ledger."""
    if not event_ids:
        return {}
    cursor = connection.connection.driver_connection.cursor()
    try:
        if partitions.partitioned(connection):
            found = partitions.stored_hashes(cursor, event_ids)
        else:
            cursor.execute("SELECT event_id, id, content_hash FROM usage_event "
                           "WHERE event_id IN (SELECT value FROM json_each(?))",
                           (orjson.dumps(event_ids).decode(),))
            found = cursor.fetchall()
        return {event_id: (row_id, stored) for event_id, row_id, stored in found}
    finally:
        cursor.close()


_COLUMN_LIST = ", ".join(LEDGER_COLUMNS)
_STAGE = "usage_stage_text"
# the stage holds the time as UTC text without a zone (`ledger_tuple`), read as UTC on insert
_STAGED = _COLUMN_LIST.replace("occurred_at,", "occurred_at AT TIME ZONE 'UTC' AS occurred_at,", 1)
_INSERT_SQLITE = (f"INSERT INTO usage_event ({_COLUMN_LIST}) "
                  f"VALUES ({', '.join('?' for _ in LEDGER_COLUMNS)}) "
                  "ON CONFLICT (event_id) DO NOTHING")


def _copy_events(connection: Connection, rows: list[tuple[Any, ...]], report: bool = False
                 ) -> Any:
    """PostgreSQL: COPY ledger tuples into a session staging table, then one statement that
    claims the new ids in `usage_event_id` and inserts their events into their periods'
    partitions (made first where missing); how many landed, or with `report` the ids that
    did not (found set-wise, in the database)."""
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} ON COMMIT DELETE ROWS AS "
            f"SELECT {_STAGED} FROM usage_event WITH NO DATA"
        )
        with cursor.copy(f"COPY {_STAGE} ({_COLUMN_LIST}) FROM STDIN") as copy:
            write = copy.write_row
            for row in rows:
                write(row)
        partitions.ensure(cursor, {row[2] for row in rows})
        claim = (f"WITH claimed AS (INSERT INTO {partitions.IDS} (event_id, period, "
                 f"content_hash) SELECT event_id, period, content_hash FROM {_STAGE} "
                 "ON CONFLICT (event_id) DO NOTHING RETURNING event_id)")
        insert = (f"INSERT INTO usage_event ({_COLUMN_LIST}) SELECT {_STAGED} FROM {_STAGE} "
                  "WHERE event_id IN (SELECT event_id FROM claimed)")
        if report:
            cursor.execute(f"{claim}, landed AS ({insert} RETURNING event_id) "
                           f"SELECT event_id FROM {_STAGE} "
                           "EXCEPT ALL SELECT event_id FROM landed")
            found: Any = [event_id for (event_id,) in cursor.fetchall()]
        else:
            cursor.execute(f"{claim} {insert}")
            found = cursor.rowcount
        cursor.execute(f"DELETE FROM {_STAGE}")
        return found
    finally:
        cursor.close()


def _write_tuples(connection: Connection, rows: list[tuple[Any, ...]]) -> int:
    """Insert ledger tuples straight through the driver (the hot path); how many landed."""
    if not rows:
        return 0
    dialect = connection.dialect.name
    if dialect == "postgresql":
        return _copy_events(connection, rows)
    if dialect != "sqlite":
        raise RuntimeError(f"unsupported database {dialect!r}: use SQLite or PostgreSQL")
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.executemany(_INSERT_SQLITE, rows)
        return cursor.rowcount
    finally:
        cursor.close()


def write_events(connection: Connection, rows: list[dict[str, Any]]) -> int:
    """Insert new events (ledger rows as `validate` makes them); how many landed. Values are
    bound as the ORM writes them on either database (`usage_event.ledger_tuple`)."""
    return _write_tuples(connection, [ledger_tuple(row) for row in rows])


def _quarantine(
    connection: Connection,
    rejected: list[tuple[SourceRow, RowOutcome]],
    fmt: str,
    source: str,
    batch_id: int | None,
) -> None:
    now = _now()
    rows: dict[str, dict[str, Any]] = {}
    for row, outcome in rejected:
        key = hashlib.sha256(f"{fmt}\x1f{row.raw}".encode()).hexdigest()
        rows[key] = {
            "row_key": key,
            "format": fmt,
            "source": source[:500],
            "row": row.row,
            "event_id": (outcome.event_id or "")[:200] or None,
            "field": (outcome.field or "")[:100] or None,
            "message": outcome.message or "",
            "raw": row.raw,
            "first_seen_at": now,
            "last_seen_at": now,
            "seen_count": 1,
            "batch_id": batch_id,
            "status": "pending",
        }
    statement = _insert(connection, quarantine_table)
    statement = statement.on_conflict_do_update(
        index_elements=["row_key"],
        set_={
            "last_seen_at": statement.excluded.last_seen_at,
            "seen_count": quarantine_table.c.seen_count + 1,
            "message": statement.excluded.message,
            "field": statement.excluded.field,
        },
    )
    connection.execute(statement, list(rows.values()))


def _open_batch(engine: Engine, source: str, fmt: str) -> int:
    with engine.begin() as connection:
        return connection.execute(
            batch_table.insert()
            .values(source=source[:500], format=fmt, started_at=_now())
            .returning(batch_table.c.id)
        ).scalar_one()


def _close_batch(engine: Engine, result: IngestResult) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(batch_table)
            .where(batch_table.c.id == result.batch_id)
            .values(
                finished_at=_now(),
                accepted=result.accepted,
                duplicates=result.duplicates,
                rejected=result.rejected,
            )
        )


def ingest_rows(
    engine: Engine,
    rows: Iterable[SourceRow],
    *,
    zone: ZoneInfo,
    fmt: str = "native",
    source: str = "",
    chunk_size: int = CHUNK_SIZE,
    on_chunk: Callable[[IngestResult], None] | None = None,
    backfill: bool = False,
    write_lock: AbstractContextManager[Any] | None = None,
) -> IngestResult:
    """Ingest rows chunk by chunk; each chunk commits on its own, so a kill loses nothing.
    `backfill` admits events dated before 2000 or more than a day ahead. A chunk is validated
    before its transaction opens, so SQLite's write lock is held only to write; processes
    sharing one SQLite file pass a `write_lock` to queue on it rather than poll the file."""
    result = IngestResult(source=source, format=fmt)
    result.batch_id = _open_batch(engine, source, fmt)
    prepared = (_prepare(chunk, zone, result.batch_id, backfill)
                for chunk in _chunks(rows, chunk_size))
    return _ingest(engine, prepared, result, on_chunk, write_lock)


def _ingest(engine: Engine, chunks: Iterable[_Prepared], result: IngestResult,
            on_chunk: Callable[[IngestResult], None] | None,
            write_lock: AbstractContextManager[Any] | None) -> IngestResult:
    for prepared in chunks:
        with write_lock or nullcontext(), write_transaction(engine) as connection:
            outcomes = _write_prepared(connection, prepared, result.batch_id)
            rejected = [
                (prepared.source(index), outcome)
                for index, outcome in enumerate(outcomes)
                if outcome.status == "rejected"
            ]
            if rejected:
                _quarantine(connection, rejected, result.format, result.source,
                            result.batch_id)
        result.add_chunk(prepared.source, outcomes)
        if on_chunk:
            on_chunk(result)
    _close_batch(engine, result)
    return result


def ingest_lines(
    engine: Engine,
    lines: Iterable[str],
    *,
    zone: ZoneInfo,
    fmt: str = "native",
    source: str = "",
    on_chunk: Callable[[IngestResult], None] | None = None,
    backfill: bool = False,
    first_row: int = 1,
    write_lock: AbstractContextManager[Any] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> IngestResult:
    """Read lines in `fmt` and ingest them; `first_row` is the number of the first line
    (a part of a larger file). JSON lines take the typed decoder, a JSON array (the
    first line opens it) or another format the reader."""
    lines = iter(lines)
    blank: list[str] = []
    if fmt == "native":
        for text in lines:
            blank.append(text)
            if text.strip():
                break
    if fmt != "native" or (first_row == 1 and blank and blank[-1].lstrip().startswith("[")):
        rows = reader_for(fmt)(chain(blank, lines))
        if first_row != 1:
            rows = (replace(row, row=row.row + first_row - 1) for row in rows)
        return ingest_rows(engine, rows, zone=zone, fmt=fmt, source=source, on_chunk=on_chunk,
                           backfill=backfill, write_lock=write_lock, chunk_size=chunk_size)
    result = IngestResult(source=source, format=fmt)
    result.batch_id = _open_batch(engine, source, fmt)
    numbered = enumerate(chain(blank, lines), start=first_row)
    prepared = (_prepare_lines(chunk, zone, result.batch_id, backfill)
                for chunk in iter(lambda: list(islice(numbered, chunk_size)), []))
    return _ingest(engine, prepared, result, on_chunk, write_lock)


@dataclass
class ReplayResult:
    examined: int = 0
    replayed: int = 0
    duplicates: int = 0  # identical to an event already in the ledger: resolved, superseded
    superseded: int = 0
    still_rejected: int = 0
    errors: list[RowError] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "examined": self.examined,
            "replayed": self.replayed,
            "duplicates": self.duplicates,
            "superseded": self.superseded,
            "still_rejected": self.still_rejected,
            "errors": [error.to_dict() for error in self.errors],
        }


def replay_quarantine(
    engine: Engine, *, zone: ZoneInfo, row_ids: list[int] | None = None, backfill: bool = False
) -> ReplayResult:
    """Retry every pending quarantined row through its own format's reader and the validator.

    A row that now passes is accepted and marked `replayed`; one that is now identical to an
    event already in the ledger is a duplicate and marked `superseded`, as is a row that still
    fails but whose event_id reached the ledger another way (a fixed copy was ingested); the
    rest stay pending with their current reason.
    """
    result = ReplayResult()
    query = select(quarantine_table).where(quarantine_table.c.status == "pending").order_by(
        quarantine_table.c.id
    )
    if row_ids is not None:
        query = query.where(quarantine_table.c.id.in_(row_ids))
    with engine.connect() as connection:
        pending = connection.execute(query).mappings().all()
    if not pending:
        return result
    batch_id = _open_batch(engine, "quarantine replay", "replay")
    for item in pending:
        result.examined += 1
        rows = list(reader_for(item["format"])(item["raw"].splitlines(keepends=True)))
        with write_transaction(engine) as connection:
            outcomes = _store_chunk(connection, rows, zone, batch_id, backfill) if rows else []
            failure = next((o for o in outcomes if o.status == "rejected"), None)
            status = "replayed" if outcomes and failure is None else "pending"
            duplicate = status == "replayed" and all(o.status == "duplicate" for o in outcomes)
            if duplicate:
                status = "superseded"
            conflict = failure is not None and failure.field == "event_id"
            if status == "pending" and item["event_id"] and not conflict:
                present = connection.execute(
                    select(func.count()).where(usage_table.c.event_id == item["event_id"])
                ).scalar_one()
                if present:
                    status = "superseded"
            values: dict[str, Any] = {"status": status}
            if status == "pending":
                values.update(
                    message=failure.message if failure else "the row holds no usage event",
                    field=failure.field if failure else None,
                    last_seen_at=_now(),
                )
            else:
                values["resolved_at"] = _now()
            connection.execute(
                update(quarantine_table)
                .where(quarantine_table.c.id == item["id"])
                .values(**values)
            )
        if duplicate:
            result.duplicates += 1
        elif status == "replayed":
            result.replayed += 1
        elif status == "superseded":
            result.superseded += 1
        else:
            result.still_rejected += 1
            result.errors.append(
                RowError(item["row"], item["event_id"], values.get("field"), values["message"],
                         source=item["source"], quarantine_id=item["id"])
            )
    return result
