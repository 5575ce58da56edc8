"""`billing demo`: the whole job on the embedded default, on a seeded month of usage."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

import typer
from rich.table import Table

from billing.attribution import load_rules_file
from billing.cli.console import JSON_OPTION, emit_json, fail, out, settings
from billing.cli.ledger import _ingest_file, _print_result, print_coverage
from billing.cli.rating import cards_for
from billing.close import close_period
from billing.coverage import coverage, spend_coverage
from billing.db import engine_for, migrate
from billing.demo_data import generate
from billing.overhead import load_pools_file
from billing.ratecard_registry import publish_shipped
from billing.rating import rate
from billing.showback import showback, team_drivers

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    period: str = typer.Option("2026-10", help="The month to generate, YYYY-MM."),
    events: int = typer.Option(120_000, help="How many usage events to generate."),
    seed: int = typer.Option(7, help="Random seed: the same seed gives the same month."),
    directory: Path = typer.Option(Path("demo"), "--dir", help="Where to write the demo files."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Generate a realistic month of usage, ingest and rate it, and show each team's spend."""
    config = settings()
    if not config.attribution_rules.exists():
        config = replace(config, attribution_rules=EXAMPLES / "attribution.yaml")
    if not config.overhead_pools.exists():
        config = replace(config, overhead_pools=EXAMPLES / "overhead.yaml")
    if not config.registry.exists():
        config = replace(config, registry=EXAMPLES / "registry.yaml")
    if "BILLING_DOCUMENTS_DIR" not in os.environ:
        config = replace(config, documents_dir=directory / "documents")
    say = (lambda *a, **k: None) if as_json else out.print
    try:
        migrate(config.database_url)
        engine = engine_for(config.database_url)
        published = publish_shipped(engine)
    except Exception as exc:  # noqa: BLE001
        fail(f"cannot set up {config.database_url}: {exc}", "check DATABASE_URL")
    say(f"[bold]1. Database[/] {config.database_url}: schema current")
    say("  rate cards: " + ", ".join(f"{p.card}@{p.version}" for p in published))
    directory.mkdir(parents=True, exist_ok=True)
    usage_file = directory / f"usage-{period}.jsonl"
    say(f"[bold]2. Generating[/] {events:,} usage events for {period} (seed {seed})")
    say(f"  into {usage_file}")
    with usage_file.open("w", encoding="utf-8") as handle:
        for line in generate(period, events, seed):
            handle.write(line + "\n")
    say("[bold]3. Ingesting[/]")
    started = time.perf_counter()
    result = _ingest_file(engine, config.zone, usage_file, "native", show=not as_json)
    seconds = time.perf_counter() - started
    if not as_json:
        _print_result(result)
        say(f"  {result.rows:,} rows in {seconds:.1f} s; idempotent: a rerun finds only "
            "duplicates")
    say("[bold]4. Rating[/]")
    say(f"  attribution rules: {config.attribution_rules}")
    rated = rate(engine, cards_for(engine, config), zone=config.zone,
                 rules=load_rules_file(config.attribution_rules))
    if rated.nothing_to_do:
        say("  nothing new to rate (already rated)")
    else:
        say(f"  {rated.events:,} events priced into {rated.lines:,} rated lines")
    for item in rated.unpriced:
        say(f"  [yellow]unpriced[/] in {item['view']}: {item['model']}, {item['events']:,} "
            "events", highlight=False)
    if rated.unpriced:
        say("  (no card prices these: listed as unpriced, never priced at 0)")
    report = coverage(engine, period)
    spend = spend_coverage(engine, period)
    pools = load_pools_file(config.overhead_pools)
    teams = sorted(team_drivers(engine, period))
    statements = [showback(engine, team, period, pools=pools) for team in teams]
    closed = close_period(engine, config, period, closed_by="billing demo")
    if as_json:
        emit_json({"ingest": result.to_dict() | {"seconds": round(seconds, 3)},
                   "rating": rated.to_dict(), "coverage": report.to_dict(),
                   "spend_coverage": spend.to_dict() if spend else None,
                   "showback": [s.to_dict() for s in statements],
                   "close": closed.to_dict()})
        return
    say("[bold]5. Usage and attribution coverage[/]")
    print_coverage(report, spend)
    say(f"[bold]6. Showback {period}[/]")
    say(f"  overhead pools: {config.overhead_pools}")
    table = Table(show_header=True)
    for name in ("team", "usage", "charged overhead", "total", "central overhead (shown)"):
        table.add_column(name, justify="left" if name == "team" else "right")
    for s in statements:
        table.add_row(s.team, f"{s.usage_total:,}", f"{s.charged_overhead:,}", f"{s.total:,}",
                      f"{s.central_overhead:,}")
    out.print(table)
    say("  lines of one team: `billing showback --team T --period P`")
    say(f"[bold]7. Closing {period}[/]: statements and invoices as PDF + JSON")
    say(f"  {closed.message}")
    for item in closed.invoices[:4]:
        say(f"  invoice {item['number']} for {item['customer']}: {item['total']} "
            f"{item['currency']}")
    folder = config.documents_dir / period
    say(f"  {len(list(folder.glob('*.pdf')))} PDFs in {folder}/")
    say(f"  e.g. ST-{period}-support.pdf")
    say("Next:")
    say(f"  billing showback --team support --period {period}")
    say("  billing invoices list")
    say("  billing serve    (API docs on http://127.0.0.1:8000/docs)")
