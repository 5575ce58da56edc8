"""`billing demo`: the whole job on the embedded default, on a seeded month of usage."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from billing.cli.console import JSON_OPTION, emit_json, fail, out, settings
from billing.cli.ledger import _ingest_file, _print_result, print_coverage
from billing.coverage import coverage
from billing.db import engine_for, migrate
from billing.demo_data import generate


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    period: str = typer.Option("2026-10", help="The month to generate, YYYY-MM."),
    events: int = typer.Option(120_000, help="How many usage events to generate."),
    seed: int = typer.Option(7, help="Random seed: the same seed gives the same month."),
    directory: Path = typer.Option(Path("demo"), "--dir", help="Where to write the demo files."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Generate a realistic month of usage, ingest it, and show what the engine makes of it."""
    config = settings()
    try:
        migrate(config.database_url)
    except Exception as exc:  # noqa: BLE001
        fail(f"cannot set up {config.database_url}: {exc}", "check DATABASE_URL")
    engine = engine_for(config.database_url)
    directory.mkdir(parents=True, exist_ok=True)
    usage_file = directory / f"usage-{period}.jsonl"
    if not as_json:
        out.print(f"[bold]1. Generating[/] {events:,} usage events for {period} "
                  f"(seed {seed}) into {usage_file}")
    with usage_file.open("w", encoding="utf-8") as handle:
        for line in generate(period, events, seed):
            handle.write(line + "\n")
    if not as_json:
        out.print(f"[bold]2. Ingesting[/] into {config.database_url}")
    started = time.perf_counter()
    result = _ingest_file(engine, config.zone, usage_file, "native", show=not as_json)
    seconds = time.perf_counter() - started
    report = coverage(engine, period)
    if as_json:
        emit_json({"ingest": result.to_dict() | {"seconds": round(seconds, 3)},
                   "coverage": report.to_dict()})
        return
    _print_result(result)
    out.print(f"  ({result.rows:,} rows in {seconds:.1f} s, {result.rows / seconds:,.0f} rows/s; "
              "run `make demo` again and every event is a duplicate: ingest is idempotent)")
    out.print("[bold]3. Usage and attribution coverage[/]")
    print_coverage(report)
