"""Restatement: a provider's usage bucket read again with other numbers supersedes the first read.

Usage reports (OpenAI's organization usage API) are snapshots of time buckets that settle
late: the same day read tomorrow can hold more tokens. The ledger stays append-only: the
difference enters it as its own event (`<event_id>~r<n>`), which rating prices like any late
usage (a prior-period adjustment once the period is closed), and each restatement is recorded
with the numbers before and after and when. A bucket of another width over time already read
would count that time twice, so it is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, insert, or_, select, update

from billing.ledger.formats.base import GROUPED_BY, SourceRow
from billing.ledger.usage_event import content_hash
from billing.models import UsageBucket, UsageEvent, UsageRestatement

buckets = UsageBucket.__table__
restatements = UsageRestatement.__table__
usage = UsageEvent.__table__

COUNTS = ("input_tokens", "output_tokens", "cached_input_tokens", "cache_write_input_tokens",
          "requests", "reported_cost_nanos", "cache_write_1h_input_tokens", "web_search_requests")
WIDTHS = {60: "1m", 3_600: "1h", 86_400: "1d"}


@dataclass(frozen=True, slots=True)
class Decision:
    status: str  # accepted | duplicate | restated | rejected
    field: str | None = None
    message: str | None = None


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _width(start: datetime, end: datetime) -> str:
    seconds = int((end - start).total_seconds())
    return WIDTHS.get(seconds, f"{seconds}s")


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%MZ")


def _counts(values: Any) -> dict[str, int]:
    return {name: int(values[name]) for name in COUNTS}


def _old(counts: dict[str, int]) -> dict[str, int]:
    """Counts recorded before a count existed read as 0."""
    return {name: counts.get(name, 0) for name in COUNTS}


def _report(series: str) -> str:
    return series.split(GROUPED_BY, 1)[0]


def _grouping(series: str) -> str:
    return series.split(GROUPED_BY, 1)[1] if GROUPED_BY in series else "nothing"


def _overlap(connection: Connection, series: str, start: datetime, end: datetime) -> Any:
    """A bucket of the same report over part of this time but not exactly this time, or over
    this time grouped by other fields."""
    report = _report(series)
    found = connection.execute(
        select(buckets.c.series, buckets.c.bucket_start, buckets.c.bucket_end).where(
            or_(buckets.c.series == report,
                buckets.c.series.startswith(report + GROUPED_BY, autoescape=True)),
            buckets.c.bucket_start < end, buckets.c.bucket_end > start,
        )
    ).all()
    return next((row for row in found
                 if (_aware(row.bucket_start), _aware(row.bucket_end)) != (start, end)
                 or row.series != series), None)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _known(connection: Connection, event_id: str, series: str, start: datetime,
           end: datetime, now: datetime) -> Any:
    """The bucket as last read; an event stored before buckets were recorded seeds it."""
    row = connection.execute(select(buckets).where(buckets.c.event_id == event_id)).first()
    if row is not None:
        return row
    stored = connection.execute(select(usage).where(usage.c.event_id == event_id)).first()
    if stored is None:
        return None
    connection.execute(insert(buckets).values(
        event_id=event_id, series=series, bucket_start=start, bucket_end=end,
        counts=orjson.dumps(_counts(stored._mapping)).decode(),
        content_hash=stored.content_hash, restatements=0, updated_at=now))
    return connection.execute(select(buckets).where(buckets.c.event_id == event_id)).first()


def store(connection: Connection, row: SourceRow, values: dict[str, Any],
          write: Callable[[list[dict[str, Any]]], int], batch_id: int | None) -> Decision:
    """Store one validated bucket row: new, the same again, restated, or refused."""
    assert row.bucket is not None
    series, start_seconds, end_seconds = row.bucket
    start, end = _moment(start_seconds), _moment(end_seconds)
    now = datetime.now(UTC)
    event_id = values["event_id"]
    known = _known(connection, event_id, series, start, end, now)
    if known is None:
        clash = _overlap(connection, series, start, end)
        if clash is not None:
            return _refused(series, start, end, clash)
        write([values])
        connection.execute(insert(buckets).values(
            event_id=event_id, series=series, bucket_start=start, bucket_end=end,
            counts=orjson.dumps(_counts(values)).decode(), content_hash=values["content_hash"],
            restatements=0, updated_at=now))
        return Decision("accepted")
    if known.content_hash == values["content_hash"]:
        return Decision("duplicate")
    old, new = _old(orjson.loads(known.counts)), _counts(values)
    number = known.restatements + 1
    delta = {**values, **{name: new[name] - old.get(name, 0) for name in COUNTS},
             "event_id": f"{event_id}~r{number}"}
    delta["content_hash"] = content_hash(delta)
    write([delta])
    connection.execute(update(buckets).where(buckets.c.event_id == event_id).values(
        counts=orjson.dumps(new).decode(), content_hash=values["content_hash"],
        restatements=number, updated_at=now))
    connection.execute(insert(restatements).values(
        event_id=event_id, delta_event_id=delta["event_id"], old=orjson.dumps(old).decode(),
        new=orjson.dumps(new).decode(), restated_at=now, batch_id=batch_id))
    return Decision("restated")


def _refused(series: str, start: datetime, end: datetime, clash: Any) -> Decision:
    other_start, other_end = _aware(clash.bucket_start), _aware(clash.bucket_end)
    if (other_start, other_end) != (start, end):
        return Decision("rejected", "start_time", (
            f"bucket {_when(start)}..{_when(end)} ({_width(start, end)}) overlaps the "
            f"{_width(other_start, other_end)} bucket {_when(other_start)}.."
            f"{_when(other_end)} already read from this report, so its usage would be "
            f"counted twice; pull the report again with bucket_width="
            f"{_width(other_start, other_end)} for this time"))
    before, now = _grouping(clash.series), _grouping(series)
    return Decision("rejected", "group_by", (
        f"bucket {_when(start)}..{_when(end)} was already read from this report grouped by "
        f"{before}; this row is grouped by {now}, the same usage cut another way, so reading "
        f"both would count it twice; pull this time again grouped by {before} (a changed "
        f"number is then restated), or keep the first pull"))


def history(connection: Connection, event_id: str) -> list[dict[str, Any]]:
    """The restatements of one bucket, oldest first: old and new numbers and when."""
    rows = connection.execute(select(restatements).where(restatements.c.event_id == event_id)
                              .order_by(restatements.c.id)).mappings()
    return [{"event_id": row["event_id"], "delta_event_id": row["delta_event_id"],
             "old": orjson.loads(row["old"]), "new": orjson.loads(row["new"]),
             "restated_at": row["restated_at"]} for row in rows]
