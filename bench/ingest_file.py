"""One file ingest in its own process, so its peak memory is its own: prints JSON."""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from billing.config import load_settings
from billing.db import engine_for, migrate
from billing.ledger.bulk_ingest import can_split, ingest_file_parallel
from billing.ledger.metering import ingest_lines


def main(url: str, path: str) -> None:
    migrate(url)
    engine = engine_for(url)
    zone = load_settings().zone
    started = time.perf_counter()
    if can_split(Path(path)):
        result = ingest_file_parallel(url, Path(path), zone=zone)
    else:
        with open(path, encoding="utf-8") as handle:
            result = ingest_lines(engine, handle, zone=zone, source=path)
    seconds = time.perf_counter() - started
    cpu = sum(getattr(resource.getrusage(who), part)
              for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
              for part in ("ru_utime", "ru_stime"))
    peak_kib = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                   resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(json.dumps({"rows": result.rows, "accepted": result.accepted, "seconds": seconds,
                      "events_per_second": result.rows / seconds, "peak_mib": peak_kib / 1024,
                      "cpu_us_per_event": cpu / max(result.rows, 1) * 1e6,
                      "processes": 2 if can_split(Path(path)) else 1}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
