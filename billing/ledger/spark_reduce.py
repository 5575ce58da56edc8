"""The Spark reduction: raw usage in a data lake reduced to the rating grain on Apache Spark.

Spark reads the input where it lies; the plain rows of a typed input (Parquet) are checked by
Spark SQL's built-in functions in the JVM (billing/ledger/lake_plain.py), every other record by
the ingest rules themselves in Python workers (billing/ledger/lake_rows.py). Two shuffles
follow: one on event_id keeps the first row of each id (a later row is a duplicate, or a
conflict when its content differs, as in ingest), one on the grain sums the counts as
DECIMAL(38,0), which cannot overflow or round. The reduced groups (a few per team, model and
day) and the rejected rows are written under `out`; the groups then enter the ledger as
aggregate usage events (billing/ledger/aggregate_events.py).
Spark is an optional extra; nothing else imports this module.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from billing.ledger import lake_rows
from billing.ledger.aggregate_events import ingest_groups
from billing.ledger.lake_plain import ROW, plain
from billing.ledger.lake_rows import COUNTS, GRAIN, OK, OUTSIDE, REJECTED
from billing.ledger.metering import compare_resend
from billing.ledger.stage_timings import Stages

INSTALL_HINT = "install the Spark extra: pip install -e '.[spark]' (it needs Java 17)"
KEPT_ERRORS = 1_000
MASK = (1 << 33) - 1
# shuffle partitions: enough that one partition of a 100M-event dedupe sorts in memory;
# adaptive execution merges them down to ~64 MB each, so a small input gets one or two
PARTITIONS = 200
# the Spark stages of the main job, in the order they run (a shuffle ends each)
SPARK_STAGES = ("read and validate", "dedupe", "reduce and write")


class SparkUnavailable(RuntimeError):
    pass


@dataclass
class ReduceResult:
    input: str
    format: str
    period: str
    out: str = ""
    rows: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    outside_period: int = 0
    groups: int = 0
    seconds: float = 0.0
    reasons: Counter[str] = field(default_factory=Counter)
    errors: list[dict[str, Any]] = field(default_factory=list)
    ingest: dict[str, Any] = field(default_factory=dict)
    stages: Stages = field(default_factory=Stages)

    def to_dict(self) -> dict[str, Any]:
        return {"input": self.input, "format": self.format, "period": self.period,
                "out": self.out, "rejected_path": f"{self.out}/rejected", "rows": self.rows,
                "accepted": self.accepted, "duplicates": self.duplicates,
                "rejected": self.rejected, "outside_period": self.outside_period,
                "groups": self.groups, "seconds": round(self.seconds, 3),
                "rejected_by_field": dict(self.reasons.most_common()),
                "errors": self.errors, "ingest": self.ingest,
                "stages": self.stages.to_list()}


def session(master: str | None = None, *, partitions: int | None = None) -> Any:
    """A Spark session: local on all cores unless `master` names a cluster (or spark-submit
    already set one). The UI stays off; timestamps are read in UTC."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkUnavailable(f"PySpark is not installed; {INSTALL_HINT}") from None
    builder = SparkSession.builder.appName("billing-spark-reduce")
    if master or not os.environ.get("SPARK_MASTER"):
        builder = builder.master(master or "local[*]")
    if (master or "local").startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers run our rules
    builder = (builder.config("spark.ui.enabled", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.adaptive.enabled", "true")
               .config("spark.sql.shuffle.partitions", str(partitions or PARTITIONS)))
    try:
        return builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001 - a missing Java surfaces as any of several errors
        raise SparkUnavailable(f"Spark could not start ({type(exc).__name__}: {exc}); check "
                               f"that Java 17 is installed (java -version); {INSTALL_HINT}"
                               ) from None


def _source(spark: Any, path: str, fmt: str) -> tuple[Any, str | None]:
    """The input as a frame numbered in reading order (`ROW`), and a CSV file's header."""
    from pyspark.sql import functions as F

    frame = spark.read.parquet(path) if fmt == "parquet" else spark.read.text(path)
    header = None
    if fmt == "csv":
        first = frame.first()
        header = first.value if first else ""
    return frame.withColumn(ROW, F.monotonically_increasing_id()), header


def _positions(frame: Any) -> dict[int, int]:
    """Where each partition starts in the input: a record's number is its partition's start
    plus its place in the partition (`monotonically_increasing_id` keeps the partition in
    the bits above 33), counted in one pass that reads no column."""
    from pyspark.sql import functions as F

    counts = dict(frame.select(F.shiftright(ROW, 33).alias("part")).groupBy("part").count()
                  .collect())
    starts, total = {}, 0
    for part in sorted(counts):
        starts[part], total = total, total + counts[part]
    return starts


def _row_number(starts: dict[int, int]) -> Any:
    """A `row` (an id + 1) as the record's 1-based number in the input."""
    from pyspark.sql import functions as F

    index = F.col("row") - 1
    start = F.create_map(*[F.lit(value) for pair in starts.items() for value in pair]) \
        if starts else F.create_map(F.lit(0), F.lit(0))
    return F.element_at(start, F.shiftright(index, 33)) + index.bitwiseAND(MASK) + 1


def _number(starts: dict[int, int], row: int) -> int:
    return starts.get((row - 1) >> 33, 0) + ((row - 1) & MASK) + 1


def _python_checked(spark: Any, frame: Any, fmt: str, header: str | None, period: str,
                    zone: str, backfill: bool, now: datetime) -> Any:
    """Records the SQL rules did not settle, checked by ingest's own rules in Python."""
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    longs = {"row", "occurred_at", *COUNTS}
    schema = StructType([StructField(name, LongType() if name in longs else StringType())
                         for name in lake_rows.COLUMNS])
    if fmt == "parquet":
        records = frame.rdd.map(lambda row: (
            {name: value for name, value in row.asDict(recursive=True).items()
             if name != ROW}, row[ROW]))
    else:
        records = frame.rdd.map(lambda row: (row.value, row[ROW]))

    def partition(items: Any) -> Any:
        rows = lake_rows.source_rows(fmt, items, header)
        return lake_rows.check(rows, zone=zone, period=period, backfill=backfill, now=now)

    return spark.createDataFrame(records.mapPartitions(partition), schema)


def _checked(spark: Any, frame: Any, fmt: str, header: str | None, period: str, zone: str,
             backfill: bool, now: datetime) -> Any:
    """Every record checked: the plain rows of a typed input by Spark SQL (lake_plain.py),
    the rest by the Python rules."""
    split = plain(frame, zone=zone, period=period, backfill=backfill, now=now) \
        if fmt == "parquet" else None
    if split is None:
        return _python_checked(spark, frame, fmt, header, period, zone, backfill, now)
    settled, rest = split
    return settled.unionByName(
        _python_checked(spark, rest, fmt, header, period, zone, backfill, now))


def _content(F: Any) -> list[Any]:  # noqa: N803
    """What an event says, for telling a resend from a conflict; a null's place is kept."""
    names = ("occurred_at", *GRAIN, *COUNTS)
    return [*[F.col(name) for name in names], *[F.col(name).isNull() for name in names]]


def _reduce_frame(checked: Any) -> Any:
    """Dedupe on the key (event_id, or the row itself when rejected), then sum to the grain.
    Tags and a project only matter to rules that fill a missing team or use case.

    One shuffle on the key, sorted once after it on the key's 64-bit hash first (a radix
    sort on a fixed-width prefix; ids often share their first bytes); grouping by hash and
    key is grouping by key. The grain sums hold only fixed-width values, so Spark sums them
    in a hash table map-side and shuffles a few rows per group."""
    from pyspark.sql import functions as F

    kept = [name for name in lake_rows.COLUMNS if name != "key"]
    hashed = (checked.withColumn("content", F.xxhash64(*_content(F)))
              .withColumn("key_hash", F.xxhash64("key")))
    first = (hashed.repartition("key_hash")
             .groupBy("key_hash", "key")
             .agg(F.min_by(F.struct(*kept), "row").alias("first"), F.count("*").alias("n"),
                  (F.min("content") != F.max("content")).alias("clashes"))
             .select("key", "first.*", "n", "clashes"))
    attributed = F.col("team").isNotNull() & F.col("use_case").isNotNull()
    for name in ("tags", "project"):
        first = first.withColumn(name, F.when(~attributed, F.col(name)))
    rejected = F.col("status") == REJECTED
    own = [F.when(rejected, F.col(name)).alias(name)
           for name in ("key", "row", "event_id", "field", "message", "raw")]
    return (first.groupBy("status", *own, *GRAIN)
            .agg(*[F.sum(F.col(name).cast("decimal(38,0)")).alias(name) for name in COUNTS],
                 F.sum("n").alias("rows"), F.count("*").alias("keys"),
                 F.sum(F.col("clashes").cast("bigint")).alias("clashes"))
            .drop("key"))


def _clashing(checked: Any) -> list[str]:
    """The event_ids an input holds with two contents: looked for again only when the
    reduction counted some."""
    from pyspark.sql import functions as F

    return [row.event_id for row in
            checked.where(F.col("status") == OK)
            .withColumn("content", F.xxhash64(*_content(F)))
            .groupBy("event_id").agg((F.min("content") != F.max("content")).alias("clash"))
            .where("clash").select("event_id").collect()]


def _conflicts(spark: Any, checked: Any, clashing: list[str]) -> list[tuple[int, str, str]]:
    """Rows whose event_id an earlier row of the input holds with other content: (row,
    event_id, message). Only ids with two contents are looked at again, in full."""
    from pyspark.sql import functions as F

    names = ("occurred_at", *GRAIN, *COUNTS)
    rows = (checked.where(F.col("status") == OK)
            .join(spark.createDataFrame([(key,) for key in clashing], "event_id string")
                  .hint("broadcast"), "event_id")
            .select("row", "event_id", *names).collect())
    first: dict[str, tuple] = {}
    for row in sorted(rows, key=lambda item: item.row):
        first.setdefault(row.event_id, tuple(row[name] for name in names))
    found = []
    for row in rows:
        said = tuple(row[name] for name in names)
        outcome = compare_resend(row.event_id, repr(said), repr(first[row.event_id]))
        if outcome.status == "rejected":
            found.append((row.row, row.event_id, outcome.message or ""))
    return sorted(found)


def reduce_input(spark: Any, path: str, *, fmt: str, period: str, zone: ZoneInfo, out: str,
                 backfill: bool = False, now: datetime | None = None) -> tuple[
                     ReduceResult, list[dict[str, Any]]]:
    """Run the job: reduced groups to `out/reduced` (Parquet), rejected rows with their
    reasons to `out/rejected` (JSON lines); returns the result and the groups."""
    from pyspark.sql import functions as F

    started = time.perf_counter()
    result = ReduceResult(input=path, format=fmt, period=period, out=str(out))
    timed = result.stages.timed
    with timed("read", spark):
        frame, header = _source(spark, path, fmt)
        starts = _positions(frame)
    checked = _checked(spark, frame, fmt, header, period, str(zone), backfill,
                       now or datetime.now(UTC))
    base = str(out).rstrip("/")  # local, or any URL Spark writes (hdfs://, s3a://)
    reduced_path, rejected_path = f"{base}/reduced", f"{base}/rejected"
    with timed("validate, dedupe and reduce", spark, SPARK_STAGES):
        _reduce_frame(checked).write.mode("overwrite").parquet(reduced_path)
    groups, clashes = [], 0
    with timed("collect groups", spark):
        reduced = spark.read.parquet(reduced_path)
        for row in reduced.where(F.col("status") != REJECTED).collect():
            values = row.asDict()
            result.rows += int(values["rows"])
            if values["status"] == OUTSIDE:
                result.outside_period += int(values["rows"])
                continue
            result.accepted += int(values["keys"])
            clashes += int(values["clashes"] or 0)
            groups.append({name: values[name] for name in (*GRAIN, *COUNTS)})
    result.groups = len(groups)
    rejected = reduced.where(F.col("status") == REJECTED).select(
        _row_number(starts).alias("row"), "event_id", "field", "message", "raw")
    with timed("conflicts", spark):
        clashing = _clashing(checked) if clashes else []
        conflicts = _conflicts(spark, checked, clashing) if clashing else []
    with timed("write rejects", spark):
        if conflicts:
            extra = spark.createDataFrame(
                [(_number(starts, row), key, "event_id", message, None)
                 for row, key, message in conflicts], rejected.schema)
            rejected = rejected.unionByName(extra)
        rejected.orderBy("row").coalesce(1).write.mode("overwrite").json(rejected_path)
        rejected = spark.read.schema(rejected.schema).json(rejected_path)
        summary = rejected.groupBy("field").count().collect()
        result.rejected = sum(int(item["count"]) for item in summary)
        result.reasons.update({item["field"] or "record": int(item["count"])
                               for item in summary})
        result.errors = [row.asDict() for row in
                         rejected.orderBy("row").drop("raw").limit(KEPT_ERRORS).collect()]
    result.duplicates = result.rows - result.outside_period - result.accepted - len(conflicts)
    result.rows += result.rejected - len(conflicts)
    result.seconds = time.perf_counter() - started
    return result, groups


def reduce_and_ingest(engine: Engine, spark: Any, path: str, *, fmt: str, period: str,
                      zone: ZoneInfo, out: str, backfill: bool = False) -> ReduceResult:
    """The whole command: reduce on Spark, then ingest the groups as aggregate events."""
    result, groups = reduce_input(spark, path, fmt=fmt, period=period, zone=zone, out=out,
                                  backfill=backfill)
    with result.stages.timed("ingest groups"):
        ingested, withdrawn = ingest_groups(engine, period, groups, zone=zone,
                                            source=f"spark reduce {path} ({period})",
                                            backfill=backfill)
    result.ingest = {"batch_id": ingested.batch_id, "groups": ingested.rows,
                     "accepted": ingested.accepted, "duplicates": ingested.duplicates,
                     "restated": ingested.restated, "withdrawn": withdrawn,
                     "rejected": ingested.rejected,
                     "errors": [error.to_dict() for error in ingested.errors]}
    return result
