"""Export commands: a period's rated usage as FOCUS 1.2, or its showback lines, as CSV or
Parquet files for FinOps tools, spreadsheets and notebooks."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import typer

from billing.cli.console import (
    JSON_OPTION,
    PERIOD_OPTION,
    check_name,
    emit_json,
    fail,
    out,
    ready_engine,
    settings,
    user,
)
from billing.cli.exit_codes import CANNOT_RUN
from billing.cli.output_files import output_format
from billing.exports.focus import VIEWS
from billing.exports.focus_data import FOCUS_SCHEMA, NoRatedUsage, focus_dataset
from billing.exports.showback_table import SHOWBACK_SCHEMA, NoShowback, showback_rows
from billing.exports.tables import FORMATS, write_table

export_app = typer.Typer(help="Export a period's rated usage: FOCUS 1.2, or showback lines.",
                         no_args_is_help=True)
FORMAT_OPTION = typer.Option(None, "--format", "-f", show_default=False,
                             help="csv or parquet; default: by the output's extension "
                                  "(.parquet or .pq is parquet), else csv. Refused when it "
                                  "contradicts the extension.")
OUTPUT_OPTION = typer.Option(..., "--output", "-o", help="The file to write.",
                             dir_okay=False, writable=True)


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")


@export_app.command("focus")
def focus_command(
    period: str = PERIOD_OPTION,
    view: str = typer.Option(
        "showback", "--view",
        help="showback: every team's usage on its card, with charged overhead shares; "
             "chargeback: customers' usage on their cards (no overhead)."),
    fmt: str | None = FORMAT_OPTION,
    output: Path = OUTPUT_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Write the period's rated usage as a FinOps FOCUS 1.2 cost and usage dataset.

    One row per rated-line group and price component (input, output, cached input and
    cache-write tokens, request fee); charged overhead shares are rows of their own. Costs
    are exact decimals: ListCost at the provider's prices, BilledCost, EffectiveCost and
    ContractedCost at the card's internal price.
    """
    fmt = output_format(output, fmt, FORMATS, default="csv")
    if view not in VIEWS:
        fail(f"view {view!r} is not supported", "use --view showback or --view chargeback",
             code=2)
    config = settings()
    try:
        dataset = focus_dataset(ready_engine(config), config, period, view)
    except NoRatedUsage as exc:
        fail(str(exc), code=CANNOT_RUN)
    write_table(dataset.rows, FOCUS_SCHEMA, output, fmt)
    summary = {**dataset.summary(), "file": str(output), "format": fmt,
               "focus_version": "1.2"}
    if as_json:
        emit_json(summary)
        return
    out.print(f"Wrote {summary['rows']:,} FOCUS 1.2 rows ({user(view)} view, {period}) "
              f"to {user(output)}.")
    for currency, totals in summary["totals"].items():
        out.print(f"  BilledCost {Decimal(totals['billed_cost']):,} {currency} "
                  f"(overhead {Decimal(totals['overhead']):,}), "
                  f"ListCost {Decimal(totals['list_cost']):,} {currency}")
    if dataset.unpriced_lines:
        out.print(f"  {dataset.unpriced_lines} unpriced rated lines left out (no cost yet); "
                  "see `billing alerts list`.")


@export_app.command("showback")
def showback_command(
    period: str = PERIOD_OPTION,
    team: str = typer.Option(None, "--team", "-t", help="Only this team (default: all).",
                             callback=check_name),
    fmt: str | None = FORMAT_OPTION,
    output: Path = OUTPUT_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Write the period's showback lines (as on the statements) as one flat table.

    Rows are rounded statement lines by team, use case, model and tier, then overhead
    shares; a team's usage and overhead rows add up to its showback total.
    """
    fmt = output_format(output, fmt, FORMATS, default="csv")
    config = settings()
    try:
        rows = showback_rows(ready_engine(config), config, period, team)
    except NoShowback as exc:
        fail(str(exc), code=CANNOT_RUN)
    write_table(rows, SHOWBACK_SCHEMA, output, fmt)
    totals: dict[str, Decimal] = {}
    for row in rows:
        if row["kind"] in ("usage", "overhead"):
            totals[row["currency"]] = totals.get(row["currency"], Decimal(0)) + row["amount"]
    summary = {"period": period, "team": team, "rows": len(rows), "file": str(output),
               "format": fmt, "teams": len({row["team"] for row in rows}),
               "totals": {currency: str(total) for currency, total in sorted(totals.items())}}
    if as_json:
        emit_json(summary)
        return
    out.print(f"Wrote {len(rows):,} showback rows of {summary['teams']} team(s), {period}, "
              f"to {output}.")
    for currency, total in sorted(totals.items()):
        out.print(f"  total {total:,} {currency}")
