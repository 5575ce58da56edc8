"""One Spark reduction of a raw-events file in its own process: prints JSON."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from billing.config import load_settings
from billing.db import engine_for, migrate
from billing.ledger.spark_reduce import reduce_and_ingest, session


def main(url: str, path: str, master: str, partitions: str) -> None:
    migrate(url)
    engine = engine_for(url)
    started = time.perf_counter()
    spark = session(master, partitions=int(partitions))
    spark.sparkContext.setLogLevel("ERROR")
    result = reduce_and_ingest(engine, spark, path, fmt="json", period="2026-10",
                               zone=load_settings().zone, out=str(Path(path).parent / "reduced"))
    seconds = time.perf_counter() - started
    spark.stop()
    print(json.dumps({"rows": result.rows, "accepted": result.ingest["accepted"],
                      "groups": result.groups, "seconds": seconds,
                      "job_seconds": result.seconds}))


if __name__ == "__main__":
    main(*sys.argv[1:5])
