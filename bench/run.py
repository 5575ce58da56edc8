"""`make bench`: ingest and rating throughput and memory, on SQLite and PostgreSQL.

Prints a table and writes bench/results.json. Sizes: BENCH_EVENTS (ingest, default 1,000,000),
BENCH_RATING_EVENTS (rating and showback, default 10,000,000). BENCH_ONLY=ingest, rating,
parse (the duplicate-key check's cost on 50,000 events), formats (reading each source
format, in memory), gateway (the budget check at 500 requests/s over HTTP, in process, and
a hard cap's overshoot under 50 concurrent reservations) or spark (raw events reduced on Spark
in local mode next to native ingest; BENCH_SPARK_EVENTS, default 100,000,000, about 25
minutes on 2 cores) runs one part;
BENCH_DATABASES=sqlite (or postgresql) runs ingest on one. Ingest is printed beside its targets
(issue 19) and as a share of the limits it cannot beat: parsing each line (json, orjson) and
SQLite's own insert rate (bench/ingest_limits.py).
PostgreSQL: BENCH_POSTGRES_URL (an admin URL; default the local `test` database); a fresh
database is created and dropped for each run.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg

from bench import formats, gateway, ingest_limits, parse, spark
from billing.demo_data import generate

HERE = Path(__file__).parent
EVENTS = int(os.environ.get("BENCH_EVENTS", "1000000"))
RATING_EVENTS = int(os.environ.get("BENCH_RATING_EVENTS", "10000000"))
PARTS = os.environ.get("BENCH_ONLY", "ingest,rating,parse,formats,gateway,spark").split(",")
HTTP_BATCH = 10_000
ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _write_file(path: Path, events: int, seed: int = 11) -> int:
    rows = 0
    with path.open("w", encoding="utf-8") as handle:
        for line in generate("2026-10", events, seed):
            handle.write(line + "\n")
            rows += 1
    return rows


@contextmanager
def _database(kind: str, workdir: Path):
    if kind == "sqlite":
        path = workdir / f"bench-{uuid.uuid4().hex[:6]}.db"
        yield f"sqlite:///{path}"
        return
    name = f"billing_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_file(kind: str, path: Path, workdir: Path) -> dict:
    with _database(kind, workdir) as url:
        output = subprocess.run(
            [sys.executable, "-m", "bench.ingest_file", url, str(path)],
            check=True, capture_output=True, text=True,
        ).stdout
    return json.loads(output)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def bench_http(kind: str, path: Path, workdir: Path, threads: int = 2) -> dict:
    with _database(kind, workdir) as url:
        subprocess.run([sys.executable, "-m", "billing", "init"], check=True,
                       env=dict(os.environ, DATABASE_URL=url), capture_output=True)
        port = _free_port()
        env = dict(os.environ, DATABASE_URL=url, BILLING_API_KEY="bench")
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "billing.api.app:create_app", "--factory",
             "--port", str(port), "--log-level", "warning"], env=env,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            lines = path.read_text().splitlines()
            batches = ["\n".join(lines[i:i + HTTP_BATCH]) for i in range(0, len(lines), HTTP_BATCH)]
            accepted = 0
            lock = threading.Lock()

            def worker(mine: list[str]) -> None:
                nonlocal accepted
                with httpx.Client(timeout=300, headers={
                    "Authorization": "Bearer bench", "Content-Type": "application/x-ndjson"
                }) as client:
                    for body in mine:
                        response = client.post(f"{base}/v1/usage", content=body)
                        response.raise_for_status()
                        with lock:
                            accepted += response.json()["accepted"]

            cpu = gateway._cpu_seconds(server.pid)
            started = time.perf_counter()
            pool = [threading.Thread(target=worker, args=(batches[n::threads],))
                    for n in range(threads)]
            for thread in pool:
                thread.start()
            for thread in pool:
                thread.join()
            seconds = time.perf_counter() - started
            cpu = gateway._cpu_seconds(server.pid) - cpu
            peak = _peak_rss_mib(server.pid)
        finally:
            server.terminate()
            server.wait()
    return {"rows": len(lines), "accepted": accepted, "seconds": seconds,
            "events_per_second": len(lines) / seconds, "peak_mib": peak,
            "cpu_us_per_event": cpu / max(len(lines), 1) * 1e6,
            "batch": HTTP_BATCH, "client_threads": threads, "load_average": os.getloadavg()[0]}


def bench_rating(kind: str, workdir: Path) -> dict:
    with _database(kind, workdir) as url:
        output = subprocess.run(
            [sys.executable, "-m", "bench.rating", url, str(RATING_EVENTS)],
            check=True, capture_output=True, text=True,
        ).stdout
    return json.loads(output)


def main() -> None:
    results: dict = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "events": EVENTS,
        "ingest": [],
        "ingest_limits": {},
        "rating": [],
        "parse": [],
        "formats": [],
        "gateway": {},
        "spark": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if "ingest" in PARTS:
            results["ingest"], results["ingest_limits"] = bench_ingest(workdir)
        if "rating" in PARTS:
            for kind in ("sqlite", "postgresql"):
                print(f"{kind}: rating {RATING_EVENTS:,} events ...", flush=True)
                results["rating"].append({"database": kind, **bench_rating(kind, workdir)})
        if "parse" in PARTS:
            print("parse: duplicate-key check ...", flush=True)
            results["parse"] = parse.measure()
        if "formats" in PARTS:
            print("formats: reading each source format ...", flush=True)
            results["formats"] = formats.measure()
        if "gateway" in PARTS:
            print("gateway: budget check over HTTP at 500/s, in process, overshoot ...",
                  flush=True)
            results["gateway"] = gateway.measure()
        if "spark" in PARTS:
            results["spark"] = spark.measure()
    _print(results)
    if results["ingest_limits"]:
        ingest_limits.print_table(results["ingest"], results["ingest_limits"])
    if results["parse"]:
        parse.print_table(results["parse"])
    if results["formats"]:
        formats.print_table(results["formats"])
    if results["gateway"]:
        gateway.print_table(results["gateway"])
    if results["spark"]:
        spark.print_table(results["spark"])
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {HERE / 'results.json'}")


def bench_ingest(workdir: Path) -> tuple[list[dict], dict]:
    rows = []
    small, large = workdir / "small.jsonl", workdir / "large.jsonl"
    print(f"generating {EVENTS:,} events ...", flush=True)
    _write_file(large, EVENTS)
    _write_file(small, max(EVENTS // 10, 1000))
    print("limits: parsing and SQLite inserts ...", flush=True)
    limits = ingest_limits.measure(large, workdir)
    kinds = os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",")
    for kind in kinds:
        for label, path in (("file (1/10 size)", small), ("file", large)):
            print(f"{kind}: {label} ...", flush=True)
            rows.append({"database": kind, "path": label, **bench_file(kind, path, workdir),
                         "load_average": os.getloadavg()[0]})
        print(f"{kind}: http ...", flush=True)
        rows.append({"database": kind, "path": "http", **bench_http(kind, large, workdir)})
    large.unlink()
    return rows, limits


def _print(results: dict) -> None:
    print(f"\nIngest benchmark, {results['machine']['cpus']} cores, Python "
          f"{results['machine']['python']}")
    print(f"{'database':<11} {'path':<17} {'rows':>10} {'seconds':>8} {'events/s':>10} "
          f"{'peak MiB':>9} {'CPU us/ev':>10} {'load':>5}")
    for row in results["ingest"]:
        # CPU per event (all ingest processes; over HTTP the server's) is what the rate is
        # on an idle machine: wall-clock rates follow whatever else shares the cores
        print(f"{row['database']:<11} {row['path']:<17} {row['rows']:>10,} {row['seconds']:>8.1f} "
              f"{row['events_per_second']:>10,.0f} {row['peak_mib']:>9.0f} "
              f"{row.get('cpu_us_per_event', 0):>10.1f} {row.get('load_average', 0):>5.1f}")
    if results["rating"]:
        print(f"\nRating and showback, {results['machine']['cpus']} cores")
        print(f"{'database':<11} {'events':>11} {'lines':>8} {'rating s':>9} {'peak MiB':>9} "
              f"{'showback ms':>12} {'close s':>8} {'docs':>6} {'ms/PDF':>7} "
              f"{'rate+close s':>13}")
        for row in results["rating"]:
            print(f"{row['database']:<11} {row['events']:>11,} {row['rated_lines']:>8,} "
                  f"{row['rating_seconds']:>9.1f} {row['peak_mib']:>9.0f} "
                  f"{row['showback_median_ms']:>12.0f} {row['close_seconds']:>8.1f} "
                  f"{row['statements'] + row['invoices']:>6} "
                  f"{row['render_ms_per_document']:>7.1f} "
                  f"{row['rating_seconds'] + row['close_seconds']:>13.1f}")
        print(f"\nAPI over localhost (uvicorn, 1 worker; 2 client threads), "
              f"{results['rating'][0]['events']:,} events rated and closed")
        print(f"{'database':<11} {'endpoint':<42} {'p50 ms':>7} {'p99 ms':>7} {'req/s':>7}")
        for row in results["rating"]:
            for item in row["api"]:
                print(f"{row['database']:<11} {item['path']:<42} {item['p50_ms']:>7.1f} "
                      f"{item['p99_ms']:>7.1f} {item['requests_per_second']:>7.0f}")


if __name__ == "__main__":
    main()
