"""Credit commands: grant a customer prepaid credit, list grants with their balances."""

from __future__ import annotations

import typer
from rich.table import Table

from billing.cli.console import (
    JSON_OPTION,
    check_name,
    emit_json,
    fail,
    money,
    out,
    print_table,
    ready_engine,
    settings,
)
from billing.close.credits import CreditRefused, grant_credit, list_credits

credits_app = typer.Typer(help="Prepaid credit: grants and what invoices drew from them.",
                          no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(credits_app, name="credits")


@credits_app.command("grant")
def credits_grant(
    customer: str = typer.Option(..., "--customer", "-c", help="The customer it is for.",
                                 show_default=False, callback=check_name),
    amount: str = typer.Option(..., "--amount", help="e.g. 500.00", show_default=False),
    currency: str = typer.Option(..., "--currency", help="ISO 4217, e.g. EUR; pays only "
                                 "invoices in this currency.", show_default=False),
    expires: str = typer.Option(..., "--expires", help="Last day it may be used, YYYY-MM-DD.",
                                show_default=False),
    reference: str = typer.Option(None, "--reference", help="e.g. the order it was sold under."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Grant prepaid credit: the next closes draw it down, soonest-expiring grant first."""
    engine = ready_engine(settings())
    try:
        grant = grant_credit(engine, customer, amount, currency, expires, reference=reference)
    except CreditRefused as exc:
        fail(str(exc), "see `billing credits grant --help`", code=2)
    if as_json:
        emit_json(grant)
        return
    out.print(f"Credit #{grant['id']}: {money(grant['amount'], grant['currency'], code=True)} "
              f"for {customer}, usable until {grant['expires_on']}", markup=False)


@credits_app.command("list")
def credits_list(
    customer: str = typer.Option(None, "--customer", "-c", help="Only this customer.",
                                 callback=check_name),
    as_json: bool = JSON_OPTION,
) -> None:
    """Credit grants (prepaid, and unused commitment carried over) with drawn and balance."""
    rows = list_credits(ready_engine(settings()), customer=customer)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        out.print("No credit granted" + (f" to {customer}" if customer else "") + ".")
        return
    table = Table(title="Credit grants", title_justify="left")
    for name in ("#", "customer", "source", "amount", "drawn", "balance", "expires", "status"):
        table.add_column(name, justify="right" if name in ("amount", "drawn", "balance")
                         else "left")
    for row in rows:
        table.add_row(str(row["id"]), row["customer"], row["source"],
                      money(row["amount"], row["currency"], code=True),
                      money(row["drawn"], row["currency"], code=True),
                      money(row["balance"], row["currency"], code=True), row["expires_on"],
                      row["status"])
    print_table(table)
