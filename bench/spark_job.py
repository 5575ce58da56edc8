"""The Spark bench's steps, each in its own process so its memory is its own; prints JSON.

    python -m bench.spark_job generate OUT EVENTS MASTER PARTITIONS SAMPLE
    python -m bench.spark_job reduce DATABASE_URL PATH MASTER PARTITIONS
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from billing.config import load_settings
from billing.db import engine_for, migrate
from billing.ledger.spark_reduce import reduce_and_ingest, session

PERIOD = "2026-10"
START = int(datetime(2026, 10, 1, tzinfo=UTC).timestamp())
TEAMS = ("search", "support", "legal-ops", "growth", "platform", "data")
USE_CASES = ("answers", "copilot", "clause-review", "summaries", "triage", "extraction",
             "semantic-search", "drafting")
MODELS = (("openai", "gpt-4o-mini"), ("openai", "gpt-4o"), ("anthropic", "claude-opus-4"),
          ("anthropic", "claude-3-5-haiku"), ("google", "gemini-2.0-flash"), ("openai", "o3"))
CUSTOMERS = ("acme", "globex", "initech", "umbrella")


def _pick(F, values: tuple, key) -> object:  # noqa: ANN001
    return F.element_at(F.array(*[F.lit(value) for value in values]),
                        (F.pmod(key, F.lit(len(values))) + 1).cast("int"))


def raw_events(spark, events: int):  # noqa: ANN001, ANN201
    """`events` raw usage events of October 2026 as deterministic columns of spark.range:
    made in the JVM, never a Python loop. Labels follow the team, as a gateway's do, so a
    month reduces to a few thousand groups (day, team, customer, environment, model)."""
    from pyspark.sql import functions as F

    n = F.col("id")
    spread = (n * 7919) % (31 * 86_400)
    provider_model = _pick(F, tuple(f"{provider}/{model}" for provider, model in MODELS),
                           F.xxhash64(n))
    return spark.range(events).select(
        F.format_string("ev-%012d", n).alias("event_id"),
        F.date_format(F.timestamp_seconds(F.lit(START) + spread),
                      "yyyy-MM-dd'T'HH:mm:ss'Z'").alias("occurred_at"),
        _pick(F, TEAMS, n % 97).alias("team"),
        _pick(F, USE_CASES, n % 97).alias("use_case"),  # a team's own use case
        F.when(n % 3 == 0, _pick(F, CUSTOMERS, n % 97)).alias("customer"),
        F.when(n % 20 == 0, F.lit("staging")).otherwise(F.lit("production")).alias("environment"),
        F.split(provider_model, "/").getItem(0).alias("provider"),
        F.split(provider_model, "/").getItem(1).alias("model"),
        ((n * 31) % 5_000 + 1).alias("input_tokens"),
        ((n * 17) % 800).alias("output_tokens"),
        ((n % 7) * 10).alias("cached_input_tokens"),
        F.lit(1).cast("bigint").alias("requests"),
        F.lit("v1").alias("prompt_version"))


def generate(out: str, events: str, master: str, partitions: str, sample: str) -> None:
    spark = session(master, partitions=int(partitions))
    spark.sparkContext.setLogLevel("ERROR")
    started = time.perf_counter()
    frame = raw_events(spark, int(events))
    frame.write.mode("overwrite").parquet(f"{out}/raw.parquet")
    seconds = time.perf_counter() - started
    frame.limit(int(sample)).coalesce(1).write.mode("overwrite").json(f"{out}/sample")
    spark.stop()
    [part] = Path(out, "sample").glob("part-*.json")
    print(json.dumps({"rows": int(events), "seconds": seconds, "sample": str(part)}))


def reduce(url: str, path: str, master: str, partitions: str) -> None:
    migrate(url)
    engine = engine_for(url)
    started = time.perf_counter()
    spark = session(master, partitions=int(partitions))
    spark.sparkContext.setLogLevel("ERROR")
    result = reduce_and_ingest(engine, spark, path, fmt="parquet", period=PERIOD,
                               zone=load_settings().zone, out=str(Path(path).parent / "reduced"))
    seconds = time.perf_counter() - started
    spark.stop()
    print(json.dumps({"rows": result.rows, "accepted": result.ingest["accepted"],
                      "groups": result.groups, "seconds": seconds,
                      "job_seconds": result.seconds, "stages": result.stages.to_list()}))


if __name__ == "__main__":
    {"generate": generate, "reduce": reduce}[sys.argv[1]](*sys.argv[2:])
