"""Restatement: a provider's usage bucket read again with other numbers supersedes the first read.

Usage reports (OpenAI's organization usage API) are snapshots of time buckets that settle
late: the same day read tomorrow can hold more tokens. The ledger stays append-only: the
difference enters it as its own event (`<event_id>~r<n>`), which rating prices like any late
usage (a prior-period adjustment once the period is closed), and each restatement is recorded
with the numbers before and after and when. A bucket of another width over time already read
would count that time twice, so it is refused.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, insert, or_, select, update

from billing.ledger.formats.base import GROUPED_BY, SourceRow
from billing.ledger.usage_event import content_hash
from billing.models import UsageBucket, UsageEvent, UsageRestatement

buckets = UsageBucket.__table__
restatements = UsageRestatement.__table__
usage = UsageEvent.__table__

COUNTS = ("input_tokens", "output_tokens", "cached_input_tokens", "cache_write_input_tokens",
          "requests", "reported_cost_nanos", "cache_write_1h_input_tokens", "web_search_requests")
WIDTHS = {60: "1m", 3_600: "1h", 86_400: "1d"}
LOOKUP = 1_000  # ids per look-up statement


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


class _Windows:
    """The buckets already read from one report, as sorted windows: a new bucket is checked
    against them set-wise (bisect) instead of one query per row. Buckets of one report never
    overlap except the same window grouped the same way, which the refusal keeps so."""

    def __init__(self, rows: list[tuple[str, datetime, datetime]]):
        self.windows = sorted((start, end, series) for series, start, end in rows)
        self.starts = [window[0] for window in self.windows]
        self.widest = max((end - start for start, end, _ in self.windows), default=None)

    def clash(self, series: str, start: datetime, end: datetime) -> Any:
        index = bisect_left(self.starts, end)
        while index > 0:
            index -= 1
            other_start, other_end, other_series = self.windows[index]
            if self.widest is None or other_start + self.widest <= start:
                break
            if other_end > start and ((other_start, other_end) != (start, end)
                                      or other_series != series):
                return _Bucket(other_series, other_start, other_end)
        return None

    def add(self, series: str, start: datetime, end: datetime) -> None:
        index = bisect_left(self.windows, (start, end, series))
        if index < len(self.windows) and self.windows[index] == (start, end, series):
            return
        self.windows.insert(index, (start, end, series))
        self.starts.insert(index, start)
        width = end - start
        self.widest = width if self.widest is None else max(self.widest, width)


@dataclass(frozen=True, slots=True)
class _Bucket:
    series: str
    bucket_start: datetime
    bucket_end: datetime


def _windows(connection: Connection, report: str, start: datetime, end: datetime) -> _Windows:
    """The report's buckets overlapping [start, end), the span of a chunk's rows."""
    found = connection.execute(
        select(buckets.c.series, buckets.c.bucket_start, buckets.c.bucket_end).where(
            or_(buckets.c.series == report,
                buckets.c.series.startswith(report + GROUPED_BY, autoescape=True)),
            buckets.c.bucket_start < end, buckets.c.bucket_end > start,
        )
    ).all()
    return _Windows([(row.series, _aware(row.bucket_start), _aware(row.bucket_end))
                     for row in found])


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _known(connection: Connection, event_ids: list[str], seeds: dict[str, tuple[str, datetime,
           datetime]], now: datetime) -> dict[str, dict[str, Any]]:
    """Each bucket as last read; an event stored before buckets were recorded seeds it."""
    known: dict[str, dict[str, Any]] = {}
    for part in range(0, len(event_ids), LOOKUP):
        chosen = event_ids[part:part + LOOKUP]
        known.update((row["event_id"], dict(row)) for row in connection.execute(
            select(buckets).where(buckets.c.event_id.in_(chosen))).mappings())
        missing = [event_id for event_id in chosen if event_id not in known]
        if not missing:
            continue
        for stored in connection.execute(select(usage).where(
                usage.c.event_id.in_(missing))).mappings().all():
            series, start, end = seeds[stored["event_id"]]
            seeded = {"event_id": stored["event_id"], "series": series, "bucket_start": start,
                      "bucket_end": end, "counts": orjson.dumps(_counts(stored)).decode(),
                      "content_hash": stored["content_hash"], "restatements": 0,
                      "updated_at": now}
            connection.execute(insert(buckets).values(**seeded))
            known[stored["event_id"]] = seeded
    return known


def store(connection: Connection, row: SourceRow, values: dict[str, Any],
          write: Callable[[list[dict[str, Any]]], int], batch_id: int | None) -> Decision:
    """Store one validated bucket row: new, the same again, restated, or refused."""
    return store_many(connection, [(row, values)], write, batch_id)[0]


def store_many(connection: Connection, items: list[tuple[SourceRow, dict[str, Any]]],
               write: Callable[[list[dict[str, Any]]], int], batch_id: int | None
               ) -> list[Decision]:
    """Store validated bucket rows, in order, each as `store` would one after the other, with
    a few set-wise statements: a reduced month is tens of thousands of buckets."""
    if not items:
        return []
    now = datetime.now(UTC)
    spans = [(row.bucket[0], _moment(row.bucket[1]), _moment(row.bucket[2]))  # type: ignore[index]
             for row, _ in items]
    seeds = {values["event_id"]: span for (_, values), span in zip(items, spans, strict=True)}
    known = _known(connection, list(seeds), seeds, now)
    windows: dict[str, _Windows] = {}
    for report in {_report(series) for series, _, _ in spans}:
        chosen = [span for span in spans if _report(span[0]) == report]
        windows[report] = _windows(connection, report, min(span[1] for span in chosen),
                                   max(span[2] for span in chosen))
    decisions, events, added, changed, history_rows = [], [], [], {}, []
    fresh: set[str] = set()
    for (_, values), (series, start, end) in zip(items, spans, strict=True):
        event_id = values["event_id"]
        bucket = known.get(event_id)
        if bucket is None:
            clash = windows[_report(series)].clash(series, start, end)
            if clash is not None:
                decisions.append(_refused(series, start, end, clash))
                continue
            events.append(values)
            known[event_id] = bucket = {
                "event_id": event_id, "series": series, "bucket_start": start,
                "bucket_end": end, "counts": orjson.dumps(_counts(values)).decode(),
                "content_hash": values["content_hash"], "restatements": 0, "updated_at": now}
            added.append(bucket)
            fresh.add(event_id)
            windows[_report(series)].add(series, start, end)
            decisions.append(Decision("accepted"))
            continue
        if bucket["content_hash"] == values["content_hash"]:
            decisions.append(Decision("duplicate"))
            continue
        old, new = _old(orjson.loads(bucket["counts"])), _counts(values)
        number = bucket["restatements"] + 1
        delta = {**values, **{name: new[name] - old.get(name, 0) for name in COUNTS},
                 "event_id": f"{event_id}~r{number}"}
        delta["content_hash"] = content_hash(delta)
        events.append(delta)
        bucket.update(counts=orjson.dumps(new).decode(), content_hash=values["content_hash"],
                      restatements=number, updated_at=now)
        if event_id not in fresh:
            changed[event_id] = bucket
        history_rows.append({
            "event_id": event_id, "delta_event_id": delta["event_id"],
            "old": orjson.dumps(old).decode(), "new": orjson.dumps(new).decode(),
            "restated_at": now, "batch_id": batch_id})
        decisions.append(Decision("restated"))
    write(events)
    if added:
        connection.execute(insert(buckets), added)
    if changed:
        connection.execute(
            update(buckets).where(buckets.c.event_id == bindparam("key")).values(
                counts=bindparam("counts"), content_hash=bindparam("content_hash"),
                restatements=bindparam("restatements"), updated_at=bindparam("updated_at")),
            [{"key": event_id, "counts": bucket["counts"], "content_hash": bucket["content_hash"],
              "restatements": bucket["restatements"], "updated_at": now}
             for event_id, bucket in changed.items()])
    if history_rows:
        connection.execute(insert(restatements), history_rows)
    return decisions


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
