"""Aggregate usage events: a group of raw events reduced outside the ledger (by Spark) enters it
as one usage event with exact integer sums.

Its event_id is derived from the source window (the period) and the group, and it is stored
as a usage bucket of that day (billing/ledger/restatement.py), so reducing the same window
again is a duplicate when nothing changed and a restatement (the difference as its own event)
when the lake did: never a second copy. Rating, showback and the close read it like any event.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Engine, select

from billing.db import write_transaction
from billing.ledger import restatement
from billing.ledger.formats.base import SourceRow
from billing.ledger.lake_rows import COUNTS, GRAIN
from billing.ledger.metering import IngestResult, ingest_rows, write_events
from billing.ledger.usage_event import NANOS, content_hash
from billing.models import UsageBucket, UsageEvent

FORMAT = "spark"
buckets, usage = UsageBucket.__table__, UsageEvent.__table__


def series(period: str) -> str:
    """The restatement series of one source window."""
    return f"spark:{period}"


def event_id(period: str, group: Mapping[str, Any]) -> str:
    key = orjson.dumps([group.get(name) for name in GRAIN]).decode()
    return f"spark-{period}-{hashlib.sha256(key.encode()).hexdigest()[:40]}"


def _day(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def source_row(period: str, group: Mapping[str, Any], zone: ZoneInfo, number: int) -> SourceRow:
    """One reduced group as the event ingest reads: occurring at the start of its day (the
    day decides the card version), counts summed, the reported cost back in USD."""
    day = date.fromisoformat(group["usage_date"])
    start, end = _day(day, zone)
    data: dict[str, Any] = {"event_id": event_id(period, group),
                            "occurred_at": start.isoformat().replace("+00:00", "Z")}
    for name in GRAIN[1:]:
        if group.get(name) is not None:
            data[name] = group[name]
    if data.get("tags"):
        data["tags"] = orjson.loads(data["tags"])
    for name in COUNTS:
        data[name] = int(group[name])
    nanos = data.pop("reported_cost_nanos")
    if nanos:
        data["reported_cost"] = str(Decimal(nanos) / NANOS)
    return SourceRow(number, data, orjson.dumps(data).decode(),
                     bucket=(series(period), int(start.timestamp()), int(end.timestamp())))


def source_rows(period: str, groups: Iterable[Mapping[str, Any]], zone: ZoneInfo
                ) -> Iterator[SourceRow]:
    for number, group in enumerate(groups, start=1):
        yield source_row(period, group, zone, number)


def ingest_groups(engine: Engine, period: str, groups: Iterable[Mapping[str, Any]], *,
                  zone: ZoneInfo, source: str, backfill: bool = False
                  ) -> tuple[IngestResult, int]:
    """Ingest reduced groups: new, unchanged (duplicate) or restated, each once; a group an
    earlier run stored that this run no longer finds is restated to zero. Returns the ingest
    result and how many groups were withdrawn so."""
    seen: set[str] = set()

    def rows() -> Iterator[SourceRow]:
        for row in source_rows(period, groups, zone):
            seen.add(row.data["event_id"])  # type: ignore[index]
            yield row

    result = ingest_rows(engine, rows(), zone=zone, fmt=FORMAT, source=source,
                         backfill=backfill)
    return result, _withdraw(engine, period, seen, result.batch_id)


def _withdraw(engine: Engine, period: str, seen: set[str], batch_id: int | None) -> int:
    withdrawn = 0
    with write_transaction(engine) as connection:
        stale = [row for row in connection.execute(
            select(buckets).where(buckets.c.series == series(period))).all()
            if row.event_id not in seen and any(orjson.loads(row.counts).values())]
        for bucket in stale:
            stored = connection.execute(
                select(usage).where(usage.c.event_id == bucket.event_id)).mappings().first()
            if stored is None:  # its raw rows were archived with the period
                continue
            values = {**stored, **dict.fromkeys(restatement.COUNTS, 0), "batch_id": batch_id}
            values["content_hash"] = content_hash(values)
            start, end = (_aware(moment).timestamp() for moment in
                          (bucket.bucket_start, bucket.bucket_end))
            row = SourceRow(0, None, "", bucket=(bucket.series, int(start), int(end)))
            restatement.store(connection, row, values,
                              lambda rows: write_events(connection, rows), batch_id)
            withdrawn += 1
    return withdrawn


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
