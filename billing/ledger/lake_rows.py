"""Lake rows: one raw record read where it lies (a line of JSON or CSV, a Parquet row) checked
by the ingest rules, ready for the Spark reduction.

The same readers and the same `validate` as `billing ingest` run here, inside Spark's Python
workers, so a row the lake holds gets the reason ingest would give it, word for word. What
leaves is a flat tuple (`COLUMNS`) Spark can group: the rating grain and the exact counts of
an accepted row, or the reason of a rejected one. Nothing here imports Spark.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from billing.ledger.formats.base import SourceRow
from billing.ledger.formats.csv import read as read_csv
from billing.ledger.formats.native import read as read_native
from billing.ledger.usage_event import InvalidEvent, validate

OK, REJECTED, OUTSIDE = "ok", "rejected", "outside"
OUTSIDE_KEY = "\x00outside"
# the grain rating groups by (billing/rating/rate.py); prompt_version and tags only matter to
# attribution rules, which read them only when a team or use case is missing
GRAIN = ("usage_date", "team", "use_case", "customer", "environment", "provider", "model",
         "tier", "service_tier", "call_status", "prompt_version", "tags", "project")
COUNTS = ("input_tokens", "output_tokens", "cached_input_tokens", "cache_write_input_tokens",
          "requests", "reported_cost_nanos", "cache_write_1h_input_tokens",
          "web_search_requests")
# occurred_at in microseconds since the epoch (UTC): with the grain and the counts, all an
# event says, so two rows of one event_id are compared by these columns (in Spark)
COLUMNS = ("row", "key", "status", "event_id", "field", "message", "raw", "occurred_at",
           *GRAIN, *COUNTS)
FORMATS = ("json", "csv", "parquet")
_NOTHING = (None,) * (1 + len(GRAIN) + len(COUNTS))
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def source_rows(fmt: str, records: Iterable[tuple[Any, int]], header: str | None = None
                ) -> Iterator[SourceRow]:
    """Records (with their 0-based position in the input) as the ingest readers see them."""
    for record, index in records:
        if fmt == "parquet":
            yield _parquet_row(record, index + 1)
            continue
        if fmt == "csv":
            if record == header:
                continue
            found = read_csv([header or "", record])
        else:  # after a first line, as ingest reads it: a line is never an array body
            found = read_native([record]) if index == 0 else read_native(["{}", record])
            found = (row for row in found if index == 0 or row.row == 2)
        for row in found:  # a blank line yields nothing
            yield SourceRow(index + 1, row.data, row.raw, row.error, row.field)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z") if value.tzinfo \
            else value.isoformat() + "Z"  # Spark hands timestamps over in its UTC session
    if isinstance(value, Decimal | date):
        return str(value)
    return value


def _parquet_row(record: dict[str, Any], row: int) -> SourceRow:
    data = {name: _plain(value) for name, value in record.items() if value is not None}
    return SourceRow(row, data, orjson.dumps(data, default=str).decode())


def check(rows: Iterable[SourceRow], *, zone: str, period: str, backfill: bool,
          now: datetime) -> Iterator[tuple]:
    """Each row validated by the ingest rules: a `COLUMNS` tuple, keyed by event_id when it
    passes (duplicates meet under one key), by its own row when it is rejected."""
    where = ZoneInfo(zone)
    for source in rows:
        if source.data is None:
            yield (source.row, f"\x00{source.row}", REJECTED, None, source.field, source.error,
                   source.raw, *_NOTHING)
            continue
        try:
            values = validate(source.data, where, backfill=backfill, now=now)
        except InvalidEvent as exc:
            event_id = source.data.get("event_id")
            yield (source.row, f"\x00{source.row}", REJECTED,
                   event_id if isinstance(event_id, str) else None, exc.field, exc.message,
                   source.raw, *_NOTHING)
            continue
        if values["period"] != period:
            yield (source.row, OUTSIDE_KEY, OUTSIDE, None, None, None, None, *_NOTHING)
            continue
        grain = [values[name] for name in GRAIN]
        grain[0] = values["usage_date"].isoformat()
        moment = values["occurred_at"] - EPOCH
        micros = (moment.days * 86_400 + moment.seconds) * 1_000_000 + moment.microseconds
        yield (source.row, values["event_id"], OK, values["event_id"], None, None, None,
               micros, *grain, *(int(values[name]) for name in COUNTS))
