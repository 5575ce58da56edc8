"""Budget-status benchmark: the gateway's pre-call check, p50/p95/p99, over real HTTP.

A month of usage (50 teams, 300 use cases) is generated in the database and rated, which
fills the running spend totals; every team gets a hard-capped budget. Then a real uvicorn
server runs in a subprocess and `GET /v1/budgets/{team}/status?use_case=` is called
sequentially over one keep-alive connection, round-robin over teams. The same check is also
timed in-process, so the database's share of the latency is visible.

    python -m bench.budget_status [--database-url URL | --postgres ADMIN_URL] [--events N]
                                  [--requests N]

Without either URL a temporary SQLite file is used. The issue's target: p99 under 20 ms
with 10M events stored (the status reads two indexed rows, so ledger size should not matter).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import psycopg
from sqlalchemy import Engine, event

from bench.rating import generate
from billing.budgets.budget import Budget, Scope
from billing.budgets.store import gateway_status, set_budget
from billing.db import engine_for, migrate
from billing.rating.card_registry import publish_shipped, published_versions
from billing.rating.rate import Cards, rate

PERIOD = "2026-10"
KEY = "bench-key"


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 3)

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99),
            "max_ms": round(ordered[-1] * 1000, 3),
            "mean_ms": round(statistics.fmean(ordered) * 1000, 3)}


def prepare(url: str, events: int) -> dict[str, float]:
    migrate(url)
    engine = engine_for(url)
    publish_shipped(engine)
    generated = _generate(engine, events)
    cards = Cards(team=published_versions(engine, "internal"),
                  customer=published_versions(engine, "external"))
    started = time.perf_counter()
    rate(engine, cards, zone=ZoneInfo("UTC"))
    rated = time.perf_counter() - started
    for team in range(50):
        # a third each over its cap, past the warn point, and well within budget
        spent = gateway_status(engine, f"team-{team}", PERIOD).team_status.spent
        amount = (spent * (Decimal("0.9"), Decimal("1.1"), Decimal(2))[team % 3]).quantize(
            Decimal("0.01"))
        set_budget(engine, Budget(Scope.of(f"team-{team}"), PERIOD, amount, "USD",
                                  hard_cap=True))
    return {"generate_seconds": round(generated, 2), "rating_seconds": round(rated, 2)}


def _generate(engine: Engine, events: int) -> float:
    """bench.rating's generator; on psycopg its SQL's `%` (modulo) must be escaped when sent
    without parameters, so escape it for the duration."""
    if engine.dialect.name != "postgresql":
        return generate(engine, events)

    def escape(_conn, _cursor, statement, parameters, _context, _many):  # noqa: ANN001, ANN202
        if not parameters and "%" in statement:
            statement = statement.replace("%", "%%")
        return statement, parameters

    event.listen(engine, "before_cursor_execute", escape, retval=True)
    try:
        return generate(engine, events)
    finally:
        event.remove(engine, "before_cursor_execute", escape)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _paths(n: int) -> list[str]:
    # use case uc-k belongs to team (k % 300) % 50, as bench.rating generates them
    return [f"/v1/budgets/team-{(k % 300) % 50}/status?period={PERIOD}&use_case=uc-{k % 300}"
            for k in range(n)]


def over_http(url: str, requests: int) -> dict[str, float]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "BILLING_API_KEY": KEY}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "billing.api.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, cwd=Path(__file__).resolve().parent.parent)
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {KEY}"}
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
            for _ in range(100):
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            paths = _paths(requests)
            for path in paths[:200]:   # warm up connections, caches, the JIT of the planner
                client.get(path).raise_for_status()
            samples = []
            for path in paths:
                started = time.perf_counter()
                response = client.get(path)
                samples.append(time.perf_counter() - started)
                response.raise_for_status()
            decisions = {client.get(path).json()["decision"] for path in paths[:300]}
    finally:
        server.terminate()
        server.wait(timeout=10)
    return {**_percentiles(samples), "requests": requests, "decisions": sorted(decisions)}


def in_process(url: str, requests: int) -> dict[str, float]:
    engine = engine_for(url)
    samples = []
    for k in range(requests):
        started = time.perf_counter()
        gateway_status(engine, f"team-{(k % 300) % 50}", PERIOD, use_case=f"uc-{k % 300}")
        samples.append(time.perf_counter() - started)
    return _percentiles(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--postgres", default=None, metavar="ADMIN_URL",
                        help="make a fresh database on this PostgreSQL server, drop it after")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, _database(args, folder) as url:
        setup = prepare(url, args.events)
        result = {
            "database": url.split(":", 1)[0], "events": args.events, **setup,
            "http": over_http(url, args.requests),
            "in_process": in_process(url, args.requests),
        }
        engine_for(url).dispose()
    print(json.dumps(result, indent=2))


@contextmanager
def _database(args: argparse.Namespace, folder: str) -> Iterator[str]:
    if not args.postgres:
        yield args.database_url or f"sqlite:///{folder}/bench.db"
        return
    name = f"bench_budget_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.postgres, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{args.postgres.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(args.postgres, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
