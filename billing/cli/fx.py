"""FX rate commands: record the rate that converts a currency for a period, list the rates,
load a reviewed fx.yaml.

A rate is what one unit of FROM is worth in TO for one billing month. The close converts an
overhead pool in another currency than the card at its period's rate and records the rate;
a closed period's rates never change.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from billing.cli.console import (
    JSON_OPTION,
    PERIOD_OPTION,
    check_period,
    emit_json,
    existing_file,
    fail,
    out,
    print_table,
    ready_engine,
    settings,
    user,
)
from billing.fx import FxError, FxRefused, list_rates, load_rates, set_rate, set_rates

fx_app = typer.Typer(help="FX rates: convert money of another currency (an overhead pool) "
                          "into the card's, at a recorded rate per period.",
                     no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(fx_app, name="fx")


@fx_app.command("set", context_settings={"ignore_unknown_options": True})
def set_command(
    from_currency: str = typer.Argument(..., metavar="FROM",
                                        help="The currency converted from, e.g. EUR."),
    to_currency: str = typer.Argument(..., metavar="TO",
                                      help="The currency converted to (the card's), e.g. USD."),
    rate: str = typer.Argument(..., metavar="RATE",
                               help="Units of TO per unit of FROM, as written: 1.0842."),
    period: str = PERIOD_OPTION,
    note: str = typer.Option("", "--note", "-m", help="Where the rate comes from, e.g. 'ECB "
                             "reference rate, 31 Oct'."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Record the rate for a period: `billing fx set EUR USD 1.0842 --period 2026-10`. The
    same rate again changes nothing and says so; a different rate replaces an open period's
    rate; a closed period's rate never changes."""
    config = settings()
    engine = ready_engine(config)
    try:
        result = set_rate(engine, from_currency, to_currency, rate, period=period, note=note)
    except FxError as exc:
        fail(str(exc), "e.g. billing fx set EUR USD 1.0842 --period 2026-10", code=2)
    except FxRefused as exc:
        fail(str(exc), f"see `billing fx list --period {period}`", code=2)
    if as_json:
        emit_json(result.to_dict())
        return
    colour = "yellow" if result.status == "unchanged" else "green"
    out.print(f"[{colour}]{user(result.message)}.[/]", highlight=False)


@fx_app.command("list")
def list_command(
    period: str = typer.Option(None, "--period", "-p", help="Only this month, YYYY-MM.",
                               callback=check_period),
    as_json: bool = JSON_OPTION,
) -> None:
    """The recorded rates, by period."""
    rates = list_rates(ready_engine(settings()), period)
    if as_json:
        emit_json({"rates": [rate.to_dict() for rate in rates]})
        return
    if not rates:
        out.print("No FX rates recorded" + (f" for {period}" if period else "") + ". Record "
                  "one with `billing fx set EUR USD 1.0842 --period YYYY-MM`.")
        return
    table = Table(title="FX rates" + (f", {period}" if period else ""), title_justify="left")
    for name in ("period", "from", "to", "rate", "set by", "set at (UTC)", "note"):
        table.add_column(name, justify="right" if name == "rate" else "left")
    for rate in rates:
        table.add_row(rate.period, rate.from_currency, rate.to_currency, format(rate.rate, "f"),
                      rate.set_by, f"{rate.set_at:%Y-%m-%d %H:%M}", rate.note)
    print_table(table, wrap=("note",))


@fx_app.command("load")
def load_command(
    file: Path = typer.Argument(..., help="An fx.yaml: rates: - {from: EUR, to: USD, rate: "
                                "\"1.0842\", period: 2026-10}"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Record every rate of an fx.yaml, all checked first: a bad entry records none."""
    existing_file(file)
    config = settings()
    engine = ready_engine(config)
    try:
        results = set_rates(engine, load_rates(file.read_text(encoding="utf-8"), str(file)))
    except FxError as exc:
        fail(str(exc), "write each rate as {from: EUR, to: USD, rate: \"1.0842\", "
             "period: 2026-10}", code=2)
    except FxRefused as exc:
        fail(f"{file}: {exc}", "nothing from the file was recorded", code=2)
    if as_json:
        emit_json({"file": str(file), "rates": [result.to_dict() for result in results]})
        return
    for result in results:
        colour = "yellow" if result.status == "unchanged" else "green"
        out.print(f"[{colour}]{user(result.message)}.[/]", highlight=False)
    recorded = sum(result.status != "unchanged" for result in results)
    out.print(f"{user(file)}: {recorded} of {len(results)} rates recorded.", highlight=False)
