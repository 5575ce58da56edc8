"""`billing demo`: the whole job on the embedded default, on a seeded month of usage."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy import Engine

from billing.budgets.anomaly import check_anomalies
from billing.budgets.budget import Budget, Scope
from billing.budgets.levers.realised import realised
from billing.budgets.store import get_budget, set_budget
from billing.cli.console import JSON_OPTION, check_period, emit_json, fail, out, settings
from billing.cli.kpis import print_review
from billing.cli.ledger import _ingest_file, _print_result, print_coverage
from billing.cli.rating import cards_for
from billing.close.kpi_review import kpi_review
from billing.close.lines import period_lines
from billing.close.period_close import close_period
from billing.close.showback import Showback
from billing.db import engine_for, migrate
from billing.demo_data import BUDGET_FACTORS, generate, generate_outcomes
from billing.demo_levers import USE_CASE, generate_rollout, stage_levers
from billing.ledger.outcomes import ingest_outcomes_file
from billing.period import Period
from billing.policies.amend import FIRST_MONTH
from billing.policies.document import PolicyValidationError
from billing.policies.in_force import attribution_rules_for, model_aliases_for, policies_for
from billing.policies.registry import PublishRefused, publish
from billing.rating.card_registry import publish_shipped
from billing.rating.coverage import coverage, spend_coverage
from billing.rating.rate import rate

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


STARTER_POLICIES = (("attribution", "attribution.yaml"), ("overhead", "overhead.yaml"),
                    ("parties", "registry.yaml"))
DEMO_VERSION = "demo"


def starter_policies(folder: Path) -> list[Path]:
    """The example policies as policy documents in the demo's own folder (a file already
    there is kept as the user edited it)."""
    paths = []
    for kind, name in STARTER_POLICIES:
        target = folder / f"{kind}.yaml"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f"kind: {kind}\nversion: {DEMO_VERSION}\n"
                              f"effective_from: \"{FIRST_MONTH}\"\n"
                              + (EXAMPLES / name).read_text(encoding="utf-8"), encoding="utf-8")
        paths.append(target)
    return paths


def publish_starter_policies(engine: Engine, folder: Path) -> list[str]:
    """Publish the demo's policies into its database, so every later command on that
    database reads them and no other database or folder does; lines to show."""
    said = []
    for path in starter_policies(folder):
        try:
            result = publish(engine, path.read_text(encoding="utf-8"), str(path),
                             change_note="billing demo")
        except (PolicyValidationError, PublishRefused) as exc:
            said.append(f"[yellow]not published[/] {path}: {exc}".replace("\n", " "))
            continue
        said.append(f"{result.kind}@{result.version} ({result.status}) from {path}")
    return said


def _demo_budgets(engine: Engine, period: str, statements: list[Showback]) -> list[Budget]:
    """Budget each team a round sum near what it spent, some under and some over, so the
    statements show real variance; an existing budget is left as the user set it."""
    budgets = []
    for report in statements:
        factor = Decimal(str(BUDGET_FACTORS.get(report.team, 1.2)))
        amount = (report.usage_total * factor / 100).to_integral_value(ROUND_CEILING) * 100
        budget = Budget(Scope.of(report.team), period, max(amount, Decimal(100)),
                        report.currency)
        if get_budget(engine, report.team, period) is None:
            set_budget(engine, budget, set_by="billing demo")
            budgets.append(budget)
    return budgets


def demo(
    period: str = typer.Option("2026-10", help="The month to generate, YYYY-MM.",
                               callback=check_period),
    events: int = typer.Option(120_000, help="How many usage events to generate."),
    seed: int = typer.Option(7, help="Random seed: the same seed gives the same month."),
    directory: Path = typer.Option(Path("demo"), "--dir",
                                   help="Where to write the generated usage file."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Generate a realistic month of usage, ingest and rate it, and show each team's spend."""
    config = settings()
    say = (lambda *a, **k: None) if as_json else out.print
    try:
        migrate(config.database_url)
        engine = engine_for(config.database_url)
        published = publish_shipped(engine)
    except Exception as exc:  # noqa: BLE001
        fail(f"cannot set up {config.database_url}: {exc}", "check DATABASE_URL")
    say(f"[bold]0. Policies[/] from examples/, kept in {directory / 'policies'} and published "
        "into this database (edit a file, give it a new version, `billing policy publish`):")
    for line in publish_starter_policies(engine, directory / "policies"):
        say(f"  {line}", highlight=False)
    say(f"[bold]1. Database[/] {config.database_url}: schema current")
    say("  rate cards: " + ", ".join(f"{p.card}@{p.version}" for p in published))
    directory.mkdir(parents=True, exist_ok=True)
    usage_file = directory / f"usage-{period}.jsonl"
    say(f"[bold]2. Generating[/] {events:,} usage events for {period} (seed {seed})")
    say(f"  into {usage_file}")
    with usage_file.open("w", encoding="utf-8") as handle:
        for line in generate(period, events, seed):
            handle.write(line + "\n")
        for line in generate_rollout(period, events, seed):  # support-copilot's v5 prompt
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
    say(f"  attribution rules: {attribution_rules_for(engine)(period).version}")
    rated = rate(engine, cards_for(engine, config), zone=config.zone,
                 rules_for=attribution_rules_for(engine),
                 aliases_for=model_aliases_for(engine))
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
    pools = policies_for(engine, period).pools
    statements = list(period_lines(engine, period, pools=pools).values())
    outcomes_file = directory / f"outcomes-{period}.jsonl"
    outcomes_file.write_text("".join(line + "\n" for line in
                                     generate_outcomes(period, events, seed)), encoding="utf-8")
    outcomes = ingest_outcomes_file(engine, outcomes_file, zone=config.zone)
    budgets = _demo_budgets(engine, period, statements)
    say("[bold]5. Budgets and outcomes[/]")
    say(f"  {len(budgets)} new team budgets: `billing budgets list --period {period}`")
    say(f"  {outcomes.accepted + outcomes.duplicates:,} outcomes from {outcomes_file}:")
    say(f"  `billing outcomes report --period {period}`")
    gate = stage_levers(engine, period)
    first_day, after = Period.parse(period).bounds(config.zone)
    anomalies = [alert for n in range((after - first_day).days)
                 for alert in check_anomalies(engine, first_day.date() + timedelta(days=n))]
    closed = close_period(engine, config, period, closed_by="billing demo")
    last_day = Period.parse(period).bounds(config.zone)[1].astimezone(config.zone).date() \
        - timedelta(days=1)
    shipped = realised(engine, USE_CASE, "gated-compression-routing", until=last_day,
                       zone=config.zone)
    period_policies = policies_for(engine, period)
    review = kpi_review(engine, period, pools=period_policies.pools,
                        use_cases=period_policies.use_cases, zone=config.zone,
                        now=datetime.now(UTC))
    if as_json:
        emit_json({"ingest": result.to_dict() | {"seconds": round(seconds, 3)},
                   "rating": rated.to_dict(), "coverage": report.to_dict(),
                   "spend_coverage": spend.to_dict() if spend else None,
                   "showback": [s.to_dict() for s in statements],
                   "close": closed.to_dict(), "gate": gate, "realised": shipped,
                   "anomalies": [alert.message for alert in anomalies],
                   "kpis": review})
        return
    say("[bold]6. Usage and attribution coverage[/]")
    print_coverage(report, spend)
    say(f"[bold]7. Showback {period}[/]")
    say(f"  overhead pools: {policies_for(engine, period).versions['overhead']}")
    table = Table(show_header=True)
    for name in ("team", "usage", "charged overhead", "total", "central overhead (shown)"):
        table.add_column(name, justify="left" if name == "team" else "right")
    for s in statements:
        table.add_row(s.team, f"{s.usage_total:,}", f"{s.charged_overhead:,}", f"{s.total:,}",
                      f"{s.central_overhead:,}")
    out.print(table)
    say("  lines of one team: `billing showback --team T --period P`")
    say(f"[bold]8. Closing {period}[/]: statements and invoices as PDF + JSON")
    say(f"  {closed.message}")
    for item in closed.invoices[:4]:
        say(f"  invoice {item['number']} for {item['customer']}: {item['total']} "
            f"{item['currency']}")
    if len(closed.invoices) > 4:
        say(f"  ... and {len(closed.invoices) - 4} more: `billing invoices list`")
    folder = config.documents_dir / period
    say(f"  {len(list(folder.glob('*.pdf')))} PDFs in {folder}/")
    say(f"  e.g. ST-{period}-support.pdf")
    say(f"[bold]9. Levers[/]: the evaluation gate for {USE_CASE}")
    for row in gate["candidates"]:
        say(f"  {row['candidate']}: {row['decision']} ({row['pass_rate']}% pass, "
            f"{row['cost_per_success']} per successful task against "
            f"{gate['baseline']['cost_per_success']}): {row['reason']}", highlight=False)
    if shipped["status"] == "measured":
        change = shipped["change"]
        say(f"  shipped {shipped['shipped_on']} as prompt v5: cost per call "
            f"{shipped['before']['cost_per_call']} -> {shipped['after']['cost_per_call']} "
            f"({change['cost_per_call_percent']}%), pass rate {shipped['before']['pass_rate']}% "
            f"-> {shipped['after']['pass_rate']}%", highlight=False)
    say(f"  `billing levers simulate -u {USE_CASE} -p {period} -l compression:input-35%`")
    say(f"[bold]10. Anomalies[/] found in {period}'s own data: {len(anomalies)}")
    for alert in anomalies[:5]:
        say(f"  {alert.message}", highlight=False, markup=False)
    if len(anomalies) > 5:
        say(f"  ... and {len(anomalies) - 5} more: `billing alerts list --kind anomaly`")
    say(f"[bold]11. KPI review {period}[/]")
    print_review(review)
    say("Next:")
    say(f"  billing showback --team support --period {period}")
    say("  billing invoices list")
    say("  billing serve    (API docs on http://127.0.0.1:8000/docs)")
