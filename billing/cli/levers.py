"""`billing levers`: what-if pricing of a use case, and the evaluation gate."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

import typer
from rich.table import Table

from billing.budgets.levers.realised import realised
from billing.budgets.levers.spec import LeverError
from billing.budgets.levers.store import (
    LeverStoreError,
    ingest_evaluations,
    list_candidates,
    propose,
    read_rows,
    run_gate,
)
from billing.budgets.levers.usage import NoUsage
from billing.budgets.levers.what_if import what_if
from billing.cli.console import (
    JSON_OPTION,
    PERIOD_OPTION,
    check_name,
    emit_json,
    existing_file,
    fail,
    out,
    print_table,
    ready_engine,
    settings,
    user,
)
from billing.cli.exit_codes import REJECTED


def whole_cents(amount: str) -> str:
    """A measured spend for reading: cents, half up (format's .2f would round half even)."""
    return f"{Decimal(amount).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"


USE_CASE = typer.Option(..., "--use-case", "-u", help="The use case.", callback=check_name,
                        show_default=False)


def register(app: typer.Typer) -> None:
    levers = typer.Typer(help="Reduction levers: what-if pricing and the evaluation gate.",
                         no_args_is_help=True)
    levers.command("simulate")(simulate)
    levers.command("propose")(propose_command)
    levers.command("list")(list_command)
    levers.command("evaluations")(evaluations_command)
    levers.command("gate")(gate_command)
    levers.command("realised")(realised_command)
    app.add_typer(levers, name="levers")


def simulate(
    use_case: str = USE_CASE,
    period: str = PERIOD_OPTION,
    lever: list[str] = typer.Option(..., "--lever", "-l", show_default=False, help=(
        "A lever; repeat for several: routing:best->better:40%, compression:input-35%, "
        "caching:hit-rate+20pp, batch:30%, policy:max-input=8000.")),
    team: str = typer.Option(None, "--team", "-t", help="Only this team's usage of the use "
                                                        "case.", callback=check_name),
    as_json: bool = JSON_OPTION,
) -> None:
    """Price the period's actual usage of a use case as it would have been under the levers
    (each alone, then all together) at the card prices in force. Exit 2 if it cannot run."""
    engine = ready_engine(settings())
    try:
        result = what_if(engine, use_case, period, lever, team)
    except LeverError as exc:
        fail(str(exc), code=2)
    except (NoUsage, ValueError) as exc:
        fail(str(exc), code=2)
    if as_json:
        emit_json(result)
        return
    currency = result["currency"] or ""
    table = Table(title=f"What if: {use_case}, {period} ({currency}, card prices in force)",
                  title_justify="left")
    for name in ("levers", "spend", "saving", "saving %", "calls", "per call"):
        table.add_column(name, justify="left" if name == "levers" else "right")
    rows = [result["before"], *result["levers"]]
    if len(result["levers"]) > 1:
        rows.append(result["combined"] | {"levers": "combined"})
    for row in rows:
        table.add_row(row["levers"], f"{Decimal(row['spend']):,}", f"{Decimal(row['saving']):,}",
                      f"{row['saving_percent']}%" if row["saving_percent"] else "",
                      f"{row['calls']:,}", row["cost_per_call"] or "")
    print_table(table, wrap=("levers",))
    notes = dict.fromkeys(n for row in rows for n in row["notes"])
    for note in notes:
        out.print(f"  note: {user(note)}", highlight=False)
    skipped = result["not_simulated"]
    if skipped["unpriced_lines"] or Decimal(skipped["reported_cost"]):
        out.print(f"  Not simulated: {skipped['unpriced_lines']} unpriced lines and "
                  f"{skipped['reported_cost']} {currency} priced from reported costs.",
                  highlight=False)
    out.print("Combined applies the input cap, compression and caching before routing and "
              "batch, so it is not the sum of the parts.", highlight=False)


def propose_command(
    use_case: str = USE_CASE,
    name: str = typer.Option(..., "--name", "-n", help="The candidate's name.",
                             callback=check_name, show_default=False),
    baseline: bool = typer.Option(False, "--baseline", help="This is the configuration in "
                                                            "production that candidates beat."),
    model: str = typer.Option(None, "--model", help="The model it calls."),
    prompt_version: str = typer.Option(None, "--prompt-version", help="The prompt version."),
    routing: str = typer.Option(None, "--routing", help="Its routing rule, as text."),
    lever: list[str] = typer.Option(None, "--lever", "-l", help="Levers it applies (as in "
                                                                "`simulate`)."),
    note: str = typer.Option("", "--note", help="Why, in a line."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Record a lever candidate (or the baseline) of a use case with its configuration; the
    same proposal again changes nothing. Exit 2 if refused."""
    config = {key: value for key, value in (("model", model), ("prompt_version", prompt_version),
                                            ("routing", routing), ("levers", lever or None))
              if value}
    try:
        row = propose(ready_engine(settings()), use_case, name, config, baseline=baseline,
                      note=note)
    except LeverStoreError as exc:
        fail(str(exc), code=2)
    if as_json:
        emit_json(row)
        return
    what = "Baseline" if baseline else "Candidate"
    state = "recorded" if row["created"] else "already recorded, unchanged"
    out.print(f"{what} {user(name)} of {user(use_case)}: {state}.", highlight=False)


def list_command(
    use_case: str = typer.Option(None, "--use-case", "-u", callback=check_name,
                                 help="Only this use case."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Candidates and baselines with their configuration and the gate's decision."""
    rows = list_candidates(ready_engine(settings()), use_case)
    if as_json:
        emit_json(rows)
        return
    table = Table(title=f"Lever candidates ({len(rows)})", title_justify="left")
    for name in ("use case", "name", "role", "configuration", "decision"):
        table.add_column(name)
    for row in rows:
        config = ", ".join(f"{k}={v}" for k, v in row["config"].items())
        table.add_row(row["use_case"], row["name"], "baseline" if row["baseline"] else
                      "candidate", config, row["decision"] or "")
    print_table(table, wrap=("configuration",))


def evaluations_command(
    file: Path = typer.Argument(..., help="Evaluation results: JSON array, JSON lines or CSV "
                                          "(evaluation_id, use_case, candidate, calls, passes, "
                                          "cost, currency, evaluated_at).",
                                show_default=False),
    as_json: bool = JSON_OPTION,
) -> None:
    """Load evaluation results of proposed candidates (idempotent on evaluation_id). Exit 1 if
    any row was rejected (the others are loaded)."""
    existing_file(file)
    engine = ready_engine(settings())
    try:
        rows = read_rows(file.read_text(encoding="utf-8", errors="replace"), file.name)
    except LeverStoreError as exc:
        fail(str(exc), code=2)
    result = ingest_evaluations(engine, rows, source=str(file))
    if as_json:
        emit_json(result.to_dict())
    else:
        out.print(f"{user(file)}: {result.accepted:,} accepted, {result.duplicates:,} "
                  f"duplicates, {result.rejected:,} rejected.", highlight=False)
        for error in result.errors[:20]:
            out.print(f"  row {error.index + 1} ({error.evaluation_id or 'no id'}) "
                      f"[{error.field or 'record'}]: {error.message}", highlight=False,
                      markup=False)
    if result.rejected:
        raise typer.Exit(REJECTED)


def gate_command(
    use_case: str = USE_CASE,
    tolerance: str = typer.Option("0", "--tolerance", help="Percentage points of pass rate a "
                                                            "candidate may lose and still pass."),
    record: bool = typer.Option(False, "--record", help="Store each decision on its candidate."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Promote or reject each evaluated candidate against the baseline: promoted only if the
    pass rate holds, ranked by cost per successful task. Exit 2 if it cannot run."""
    try:
        tolerance_pp = Decimal(tolerance)
        if not tolerance_pp.is_finite() or tolerance_pp < 0 or tolerance_pp > 100:
            raise InvalidOperation
    except InvalidOperation:
        fail(f"--tolerance {tolerance!r} is not a number of percentage points from 0 to 100",
             code=2)
    try:
        report = run_gate(ready_engine(settings()), use_case, tolerance_pp=tolerance_pp,
                          record=record)
    except (LeverStoreError, ValueError) as exc:
        fail(str(exc), code=2)
    result = report.to_dict()
    if as_json:
        emit_json(result)
        return
    table = Table(title=f"Evaluation gate: {use_case} (tolerance {tolerance_pp} pp)",
                  title_justify="left")
    for name in ("candidate", "calls", "pass rate", "per call", "per successful task",
                 "decision", "why"):
        table.add_column(name, justify="right" if name in ("calls", "pass rate", "per call",
                                                            "per successful task") else "left")
    for row in [result["baseline"], *result["candidates"]]:
        table.add_row(row["candidate"], f"{row['calls']:,}", f"{row['pass_rate']}%",
                      row["cost_per_call"], row["cost_per_success"] or "none passed",
                      row["decision"].capitalize(), row["reason"])
    print_table(table, wrap=("why",))
    if result["unevaluated"]:
        out.print(f"  Not evaluated yet: {user(', '.join(result['unevaluated']))}.",
                  highlight=False)
    if record:
        out.print("Decisions recorded.", highlight=False)


def realised_command(
    use_case: str = USE_CASE,
    name: str = typer.Option(..., "--name", "-n", help="The promoted candidate.",
                             callback=check_name, show_default=False),
    until: str = typer.Option(None, "--until", help="Last day measured (YYYY-MM-DD); default "
                                                    "today."),
    as_json: bool = JSON_OPTION,
) -> None:
    """What a promoted candidate did once shipped: the days since it first appears in the
    ledger against as many days before, in cost per call, pass rate and cost per accepted
    outcome. Exit 2 if it cannot be measured."""
    config = settings()
    try:
        last = date.fromisoformat(until) if until else datetime.now(UTC).astimezone(
            config.zone).date()
    except ValueError:
        fail(f"--until {until!r} is not a date like 2026-10-31", code=2)
    try:
        result = realised(ready_engine(config), use_case, name, until=last, zone=config.zone)
    except LeverStoreError as exc:
        fail(str(exc), code=2)
    if as_json:
        emit_json(result)
        return
    if result["status"] != "measured":
        out.print(f"{user(name)} of {user(use_case)} has not shipped yet: the ledger shows no "
                  f"usage with {user(result['config'])} up to {last}.", highlight=False)
        return
    table = Table(title=f"Realised: {name} of {use_case}, shipped {result['shipped_on']}",
                  title_justify="left")
    for column in ("", "days", "spend", "calls", "per call", "pass rate", "per accepted"):
        table.add_column(column, justify="left" if not column else "right")
    for label in ("before", "after"):
        row = result[label]
        days = (date.fromisoformat(row["to"]) - date.fromisoformat(row["from"])).days + 1
        table.add_row(f"{label} ({row['from']} to {row['to']})", str(days),
                      whole_cents(row["spend"]), f"{row['calls']:,}",
                      row["cost_per_call"] or "", f"{row['pass_rate']}%" if row["pass_rate"]
                      else "no outcomes", row["cost_per_accepted_outcome"] or "")
    print_table(table)
    change = result["change"]
    out.print(f"Change: cost per call {change['cost_per_call_percent'] or 'n/a'}%, cost per "
              f"accepted outcome {change['cost_per_accepted_outcome_percent'] or 'n/a'}%, pass "
              f"rate {change['pass_rate_points'] or 'n/a'} points.", highlight=False)
