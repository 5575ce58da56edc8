"""Rating and close benchmark: N events of a realistic month (50 teams, 300 use cases, 500
customers, 20 models) are generated inside the database, then rated; showback for one team is
timed; then the month is closed (50 statements, 500 invoices, PDFs included).

Run in its own process per database so peak memory is rating's own:
    python -m bench.rating DATABASE_URL EVENTS
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from bench.api import api_latency
from billing.close.period_close import close_period
from billing.close.showback import showback
from billing.config import Settings
from billing.db import engine_for, migrate
from billing.ledger import partitions
from billing.policies.registry import publish
from billing.rating.card_registry import publish_shipped, published_versions
from billing.rating.overhead import load_pools
from billing.rating.rate import Cards, rate

COLUMNS = ("event_id, occurred_at, period, usage_date, team, use_case, customer, environment, "
           "provider, model, tier, input_tokens, output_tokens, cached_input_tokens, "
           "cache_write_input_tokens, requests, prompt_version, tags, content_hash, batch_id")
POOLS_YAML = """
pools:
  - {name: observability, amount: "48000.00", currency: USD, driver: spend, treatment: charged}
  - {name: safety, amount: "12000.00", currency: USD, driver: requests, treatment: charged}
  - {name: platform, amount: "90000.00", currency: USD, driver: even, treatment: central}
"""
POOLS = load_pools(POOLS_YAML)


def _models(engine: Engine) -> list[tuple[str, str]]:
    card = published_versions(engine, "internal")[-1]
    found = [(price.provider, model) for tier in card.tiers.values()
             for model, price in tier.models.items()]
    return (found * 3)[:20]


def generate(engine: Engine, events: int) -> float:
    """Insert `events` usage events with SQL alone; returns seconds."""
    models = _models(engine)
    started = time.perf_counter()
    with engine.begin() as connection:
        dialect = connection.dialect.name
        connection.exec_driver_sql("CREATE TEMP TABLE bench_model (idx INTEGER, provider TEXT, "
                                   "model TEXT)")
        for index, (provider, model) in enumerate(models):
            connection.exec_driver_sql(
                f"INSERT INTO bench_model VALUES ({index}, '{provider}', '{model}')")
        if dialect == "sqlite":
            source = ("WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq "
                      f"WHERE n < {events}) ")
            day = "printf('%02d', 1 + (n % 31))"
            hour = "printf('%02d', n % 24)"
            concat = "||"
            occurred = f"'2026-10-' || {day} || ' ' || {hour} || ':00:00.000000'"
            usage_date = f"'2026-10-' || {day}"
            table = "seq"
        else:
            source = ""
            day = "lpad((1 + (n % 31))::text, 2, '0')"
            occurred = f"('2026-10-' || {day} || ' ' || lpad((n % 24)::text, 2, '0') " \
                       "|| ':00:00+00')::timestamptz"
            usage_date = f"('2026-10-' || {day})::date"
            concat = "||"
            table = f"generate_series(1, {events}) AS seq(n)"
        statement = (
            f"{source}INSERT INTO usage_event ({COLUMNS}) SELECT "
            f"'b-' {concat} n, {occurred}, '2026-10', {usage_date}, "
            f"'team-' {concat} ((n % 300) % 50), 'uc-' {concat} (n % 300), "
            f"CASE WHEN n % 3 = 0 THEN 'cust-' {concat} ((n * 7) % 500) END, "
            "CASE WHEN n % 10 = 0 THEN 'staging' ELSE 'production' END, "
            "m.provider, m.model, NULL, 400 + ((n * 37) % 3000), 40 + ((n * 13) % 800), "
            "CASE WHEN n % 5 = 0 THEN 256 ELSE 0 END, 0, 1 + (n % 3), NULL, NULL, 'bench', NULL "
            f"FROM {table} JOIN bench_model m ON m.idx = (n * 11) % 20"
        )
        if dialect == "postgresql":
            statement = statement.replace("%", "%%")  # psycopg placeholders
            # October's partition; bench rows skip usage_event_id (no resends to recognise)
            partitions.ensure_on(connection, ["2026-10"])
        connection.exec_driver_sql(statement)
    return time.perf_counter() - started


def close_month(url: str) -> dict:
    """Close the month (rating already done), PDFs included: the monthly close's own cost."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Settings(database_url=url, documents_dir=Path(tmp))
        started = time.perf_counter()
        result = close_period(engine_for(url), config, "2026-10",
                              now=datetime(2026, 11, 1, 2, tzinfo=UTC))
        seconds = time.perf_counter() - started
    return {"close_seconds": seconds, "statements": len(result.statements),
            "invoices": len(result.invoices),
            "render_ms_per_document": result.rendering["per_document_ms"]}


def _api(url: str) -> list[dict]:
    return api_latency(url, "team-7", "2026-10")


def main(url: str, events: int) -> None:
    migrate(url)
    engine = engine_for(url)
    publish_shipped(engine)
    publish(engine, 'kind: overhead\nversion: bench\neffective_from: "2000-01"\n' + POOLS_YAML,
            "bench-overhead.yaml", change_note="bench")
    generated = generate(engine, events)
    cards = Cards(team=published_versions(engine, "internal"),
                  customer=published_versions(engine, "external"))
    started = time.perf_counter()
    result = rate(engine, cards, zone=ZoneInfo("UTC"))
    rating_seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    timings = []
    for _ in range(15):
        started = time.perf_counter()
        showback(engine, "team-7", "2026-10", pools=POOLS)
        timings.append(time.perf_counter() - started)
    print(json.dumps({
        "events": events, "generate_seconds": generated, "rating_seconds": rating_seconds,
        "rated_lines": result.lines, "peak_mib": peak,
        "showback_median_ms": statistics.median(timings) * 1000,
        "showback_max_ms": max(timings) * 1000,
        **close_month(url),
        "api": _api(url),
    }))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
