"""The Spark reduction in local mode next to native ingest, on the same generated raw events:
events/s and peak memory (the whole process tree: driver, JVM and Python workers).

    python -m bench.spark [--events N] [--native N] [--master local[*]] [--partitions N]

The raw events are made inside Spark (spark.range and deterministic columns) and written to
Parquet once; the reduction reads them as a data lake would hold them. Native ingest reads the
first BENCH_SPARK_NATIVE_EVENTS of them as JSON lines (default 1,000,000: at its rate 100M
would take hours). BENCH_SPARK_EVENTS sets N for `make bench` (default 100,000,000).
Each run happens in its own process on a fresh SQLite database, so its memory is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

EVENTS = int(os.environ.get("BENCH_SPARK_EVENTS", "100000000"))
NATIVE = int(os.environ.get("BENCH_SPARK_NATIVE_EVENTS", "1000000"))
SAMPLE_SECONDS = 0.2
# disk per event while the bench runs: the raw Parquet (~16 bytes), the dedupe's shuffle
# files (compressed rows) and the native sample, all in one temporary folder removed after
DISK_BYTES_PER_EVENT = 150


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        todo.extend(int(child) for child in children)
    return found


def _rss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _measured(command: list[str], env: dict[str, str]) -> tuple[dict, float]:
    """Run a command; its JSON result and the peak resident memory of its process tree."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True, env=env)
    peak = [0.0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], _rss_mib(_tree(process.pid)))
            time.sleep(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    sampler.join()
    if process.returncode:
        raise RuntimeError(f"{command} failed with exit code {process.returncode}")
    return json.loads(output.strip().splitlines()[-1]), peak[0]


def measure(events: int = EVENTS, master: str = "local[*]", partitions: int = 200,
            native: int = NATIVE) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="bench-spark-") as tmp:
        work = Path(tmp)
        free, need = shutil.disk_usage(work).free, events * DISK_BYTES_PER_EVENT
        if free < need:
            raise SystemExit(f"spark: {events:,} events need about {need / 2**30:.0f} GiB "
                             f"free in {work.parent}, which has {free / 2**30:.0f} GiB; "
                             "set TMPDIR to a larger disk or lower BENCH_SPARK_EVENTS")
        env = dict(os.environ, SPARK_LOCAL_DIRS=str(work))
        sample = min(events, native)
        print(f"spark: generating {events:,} raw events in Spark ...", flush=True)
        made, _ = _measured([sys.executable, "-m", "bench.spark_job", "generate", str(work),
                             str(events), master, str(partitions), str(sample)], env)
        print(f"spark: generated in {made['seconds']:.0f} s", flush=True)
        results = []
        for path, rows, command in (
            ("spark reduce", events,
             [sys.executable, "-m", "bench.spark_job", "reduce", f"sqlite:///{work}/s.db",
              str(work / "raw.parquet"), master, str(partitions)]),
            ("native ingest", sample, [sys.executable, "-m", "bench.ingest_file",
                                       f"sqlite:///{work}/n.db", made["sample"]]),
        ):
            print(f"spark: {path} of {rows:,} events ...", flush=True)
            found, peak = _measured(command, env)
            results.append({"path": path, "rows": rows, "seconds": found["seconds"],
                            "events_per_second": rows / found["seconds"],
                            "peak_mib": peak, "ledger_rows": found.get("accepted"),
                            "load_average": os.getloadavg()[0],
                            "stages": found.get("stages", [])})
    return results


def print_table(results: list[dict]) -> None:
    print(f"\nRaw events reduced (Spark local mode) vs ingested (native), {os.cpu_count()} cores")
    print(f"{'path':<15} {'rows':>12} {'seconds':>9} {'events/s':>10} {'peak MiB':>9} "
          f"{'ledger rows':>12} {'load':>5}")
    for row in results:
        print(f"{row['path']:<15} {row['rows']:>12,} {row['seconds']:>9.1f} "
              f"{row['events_per_second']:>10,.0f} {row['peak_mib']:>9,.0f} "
              f"{row['ledger_rows'] or 0:>12,} {row['load_average']:>5.1f}")
    for row in results:
        if row.get("stages"):
            print(f"\nStages of {row['path']} ({row['rows']:,} events)")
            print(f"{'stage':<30} {'seconds':>9} {'CPU s':>9}")
            for stage in row["stages"]:
                print(f"{stage['stage']:<30} {stage['seconds']:>9.1f} "
                      f"{stage['cpu_seconds']:>9.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=EVENTS)
    parser.add_argument("--master", default="local[*]")
    parser.add_argument("--partitions", type=int, default=200)
    parser.add_argument("--native", type=int, default=NATIVE)
    args = parser.parse_args()
    results = measure(args.events, args.master, args.partitions, args.native)
    print_table(results)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
