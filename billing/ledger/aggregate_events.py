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
from sqlalchemy import Engine

from billing.ledger.formats.base import SourceRow
from billing.ledger.lake_rows import COUNTS, GRAIN
from billing.ledger.metering import IngestResult, ingest_rows
from billing.ledger.usage_event import NANOS

FORMAT = "spark"


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
                  zone: ZoneInfo, source: str, backfill: bool = False) -> IngestResult:
    """Ingest reduced groups: new, unchanged (duplicate) or restated, each once."""
    return ingest_rows(engine, source_rows(period, groups, zone), zone=zone, fmt=FORMAT,
                       source=source, backfill=backfill)
