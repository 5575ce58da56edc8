"""A Parquet lake on the Spark path: plain rows are checked by Spark SQL's built-ins, the rest
by ingest's rules in Python, and together they bill what native ingest bills, to the cent,
with ingest's reasons for the bad rows."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from billing.close.period_close import close_period
from billing.demo_data import generate
from billing.ledger.lake_plain import ROW, plain
from billing.ledger.metering import ingest_lines
from billing.ledger.spark_reduce import reduce_and_ingest
from billing.rating.card_registry import publish_shipped
from tests.spark.test_spark_reduce import (
    _documents,
    _ledger_counts,
    _publish,
    _rated_lines,
    _rejected_file,
)
from tests_support import truncate

UTC_ZONE = ZoneInfo("UTC")
NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
STRINGS = ("event_id", "occurred_at", "team", "use_case", "customer", "project", "environment",
           "provider", "model", "tier", "prompt_version")
INTEGERS = ("input_tokens", "output_tokens", "cached_input_tokens", "requests")
SCHEMA = pa.schema([*[(name, pa.string()) for name in STRINGS],
                    *[(name, pa.int64()) for name in INTEGERS],
                    ("tags", pa.map_(pa.string(), pa.string()))])
# not plain, each for its own reason; a few are valid all the same (ingest strips, defaults)
ODD = [
    {"event_id": "odd-space", "occurred_at": "2026-10-03T10:00:00Z", "team": "search ",
     "use_case": "answers", "model": "gpt-4o-mini", "input_tokens": 3, "output_tokens": 1},
    {"event_id": "odd-line", "occurred_at": "2026-10-03T10:00:00Z", "environment": "staging\n",
     "model": "gpt-4o-mini", "input_tokens": 3, "output_tokens": 1},
    {"event_id": "odd-offset", "occurred_at": "2026-10-03T23:30:00-02:00", "model": "o3",
     "input_tokens": 3, "output_tokens": 1},
    {"event_id": "odd-when", "occurred_at": "2026-10-03 noon", "model": "gpt-4o-mini",
     "input_tokens": 3, "output_tokens": 1},
    {"event_id": "odd-zone", "occurred_at": "2026-10-03T10:00:00", "model": "gpt-4o-mini",
     "input_tokens": 3, "output_tokens": 1},
    {"event_id": "odd-negative", "occurred_at": "2026-10-03T10:00:00Z", "model": "o3",
     "input_tokens": -3, "output_tokens": 1},
    {"event_id": "odd-model", "occurred_at": "2026-10-03T10:00:00Z", "input_tokens": 3,
     "output_tokens": 1},
    {"event_id": "odd-tier", "occurred_at": "2026-10-03T10:00:00Z", "model": "o3",
     "tier": "gold", "input_tokens": 3, "output_tokens": 1},
    {"event_id": "odd-team", "occurred_at": "2026-10-03T10:00:00Z", "model": "o3",
     "team": "bad/team", "input_tokens": 3, "output_tokens": 1},
    {"event_id": "demo-2026-10-00000004", "occurred_at": "2026-10-03T10:00:00Z",
     "model": "o3", "input_tokens": 3, "output_tokens": 1},
]


def _write(path, lines: list[str]) -> None:  # noqa: ANN001
    rows = [orjson.loads(line) for line in lines]
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), path, row_group_size=300)


def test_a_parquet_month_closes_to_the_cent_like_native_ingest(
        engine, close_settings, spark, tmp_path):
    lines = list(generate("2026-10", 800, 11)) + [orjson.dumps(row).decode() for row in ODD]
    source = tmp_path / "month.parquet"
    _write(source, lines)
    from pyspark.sql import functions as F

    frame = spark.read.parquet(str(source)).withColumn(ROW, F.monotonically_increasing_id())
    settled, rest = plain(frame, zone="UTC", period="2026-10", backfill=False, now=NOW)
    assert settled.count() > 600 and rest.count() >= len(ODD)

    publish_shipped(engine)  # the fixture published the policies
    native = ingest_lines(engine, lines, zone=UTC_ZONE, source="native")
    assert close_period(engine, close_settings, "2026-10", now=NOW).status == "closed"
    native_lines, native_documents = _rated_lines(engine), _documents(engine)
    native_counts = _ledger_counts(engine)
    expected = sorted((error.row, error.field, error.message) for error in native.errors)

    truncate(engine)
    _publish(engine)
    result = reduce_and_ingest(engine, spark, str(source), fmt="parquet", period="2026-10",
                               zone=UTC_ZONE, out=str(tmp_path / "out"))
    assert close_period(engine, close_settings, "2026-10", now=NOW).status == "closed"

    assert (result.accepted, result.duplicates, result.rejected) == (
        native.accepted, native.duplicates, native.rejected)
    assert len(expected) >= 7 and _rejected_file(result) == expected
    assert _ledger_counts(engine) == native_counts
    assert native_lines and _rated_lines(engine) == native_lines
    assert _documents(engine) == native_documents
