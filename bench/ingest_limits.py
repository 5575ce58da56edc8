"""The limits ingest is measured against, on the same lines and machine: parsing each line with
json and with orjson, SQLite's own insert rate into a table keyed by event_id (one
transaction, WAL, as the ledger runs), and the rate at which SQLite takes the same events as
ledger rows (already validated, the 28 columns and indexes of `usage_event`, bound as ingest
binds them): one writer can store no faster than that, however the parsing is spread. Ingest
cannot beat the slower of parsing and storing, so `make bench` prints its rate as a share of
each."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from itertools import islice
from pathlib import Path

import orjson

SAMPLE = 200_000
TARGETS = {"file": 100_000, "http": 50_000}


def _rate(run: Callable[[], int], repeat: int = 3) -> float:
    """Events per second, best of `repeat` runs (the machine is shared, so take the best)."""
    best = 0.0
    for _ in range(repeat):
        started = time.perf_counter()
        done = run()
        best = max(best, done / (time.perf_counter() - started))
    return best


def _parse(lines: list[str], loads: Callable[[str], object]) -> int:
    done = 0
    for line in lines:
        try:
            loads(line)
        except ValueError:
            continue
        done += 1
    return done


def _sqlite_inserts(rows: list[tuple[str, str]], workdir: Path) -> int:
    path = workdir / "limits.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("CREATE TABLE event (event_id TEXT PRIMARY KEY, body TEXT NOT NULL)")
        connection.execute("BEGIN")
        connection.executemany("INSERT INTO event VALUES (?, ?)", rows)
        connection.execute("COMMIT")
    finally:
        connection.close()
    return len(rows)


def _ledger_inserts(lines: list[str], workdir: Path) -> Callable[[], int]:
    """Insert the lines' ledger tuples into a fresh ledger (the real schema and engine)."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from billing.db import make_engine
    from billing.ledger import metering, plain_event
    from billing.models import IngestBatch, UsageEvent

    now, zone, rows = datetime.now(UTC), ZoneInfo("UTC"), {}
    for line in lines:
        row = plain_event.decode(line, zone, True, now)
        if row is not None:
            rows.setdefault(row[0], row)
    tuples = list(rows.values())

    def run() -> int:
        path = workdir / "ledger-limit.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        engine = make_engine(f"sqlite:///{path}")
        for table in (IngestBatch.__table__, UsageEvent.__table__):
            table.create(engine)
        try:
            with engine.begin() as connection:
                return metering._write_tuples(connection, tuples)
        finally:
            engine.dispose()

    return run


def measure(path: Path, workdir: Path) -> dict:
    with path.open(encoding="utf-8") as handle:
        lines = [line.rstrip("\n") for line in islice(handle, SAMPLE)]
    rows = [(f"limit-{number:09d}", line) for number, line in enumerate(lines)]
    return {
        "events": len(lines),
        "json_per_second": _rate(lambda: _parse(lines, json.loads)),
        "orjson_per_second": _rate(lambda: _parse(lines, orjson.loads)),
        "sqlite_insert_per_second": _rate(lambda: _sqlite_inserts(rows, workdir)),
        "ledger_insert_per_second": _rate(_ledger_inserts(lines, workdir)),
    }


LIMITS = (("json", "json_per_second"), ("orjson", "orjson_per_second"),
          ("sqlite insert", "sqlite_insert_per_second"),
          ("ledger insert", "ledger_insert_per_second"))


def print_table(ingest: list[dict], limits: dict) -> None:
    print(f"\nLimits on {limits['events']:,} of the same lines (best of 3): "
          + ", ".join(f"{label} {limits[key]:,.0f}/s" for label, key in LIMITS))
    print(f"{'database':<11} {'path':<17} {'events/s':>10} {'target':>8} {'met':>4} "
          + " ".join(f"{'/ ' + label:>15}" for label, _ in LIMITS))
    for row in ingest:
        target = TARGETS["http" if row["path"] == "http" else "file"]
        rate = row["events_per_second"]
        print(f"{row['database']:<11} {row['path']:<17} {rate:>10,.0f} {target:>8,} "
              f"{'yes' if rate >= target else 'no':>4} "
              + " ".join(f"{rate / limits[key]:>15.2f}" for _, key in LIMITS))


def main() -> None:
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(measure(Path(sys.argv[1]), Path(tmp))))


if __name__ == "__main__":
    main()
