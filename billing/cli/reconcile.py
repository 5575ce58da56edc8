"""`billing reconcile`: walk a period from usage events to Stripe and show where it breaks, with
the exact and rounded amounts behind every document; compare provider bills with the metered
cost and true the difference up into an overhead pool."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from billing.cli.console import (
    JSON_OPTION,
    PERIOD_OPTION,
    emit_json,
    fail,
    money,
    number,
    out,
    percent,
    print_table,
    ready_engine,
    settings,
    user,
)
from billing.close.provider_bill import ProviderBill, ProviderBillError, read_provider_bill
from billing.close.provider_costs import TrueUp, TrueUpRefused, true_up_period
from billing.close.reconcile import LINKS, DocumentRow, GrandTotal, ReconcileResult, reconcile
from billing.money import minor_unit, round_line
from billing.parties import RegistryError
from billing.policies.document import PolicyValidationError
from billing.policies.registry import PublishRefused
from billing.rating.overhead import PoolError

STATUS = {name: Text.from_markup(text) for name, text in (
    ("ok", "[green]ok[/]"), ("break", "[bold red]break[/]"), ("skipped", "[yellow]skipped[/]"))}


def register(app: typer.Typer) -> None:
    app.command("reconcile")(reconcile_command)


def reconcile_command(
    period: str = PERIOD_OPTION,
    provider_bill: list[Path] = typer.Option(
        [], "--provider-bill", help="What the providers charged for the period: a CSV with "
        "the header provider,amount,currency, an OpenAI organization costs response or an "
        "Anthropic cost report (JSON, as the API returns it). Repeatable.",
        show_default=False),
    true_up: bool = typer.Option(False, "--true-up", help="Turn the net difference (billed - "
                                 "metered) into a charged overhead pool of the period, split "
                                 "by spend. Open periods only; running it again changes "
                                 "nothing."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Check one set of numbers: usage events -> rated lines -> document lines -> document
    totals -> Stripe, and the statements' grand total against rated spend plus pools.
    Exits 1 on any break, 0 when the chain holds."""
    if true_up and not provider_bill:
        fail("--true-up needs the bill to true up to", "add --provider-bill FILE", code=2)
    config = settings()
    engine = ready_engine(config)
    bills = _read_bills(provider_bill)
    trued = None
    try:
        if true_up:
            trued = true_up_period(engine, period, bills)
        result = reconcile(engine, config, period, bills=bills)
    except TrueUpRefused as exc:
        fail(f"no true-up: {exc}", code=2)
    except (PolicyValidationError, PublishRefused) as exc:
        fail(f"no true-up: the overhead policy was not published: {exc}", code=2)
    except (PoolError, RegistryError) as exc:
        fail(str(exc), "fix the policy it names (`billing policy show`), publish a new "
             "version, then run reconcile again", code=2)
    if as_json:
        emit_json({**result.to_dict(), "true_up": trued.to_dict() if trued else None})
    else:
        _print(result, trued)
    if not result.ok:
        raise typer.Exit(1)


def _read_bills(paths: list[Path]) -> list[ProviderBill]:
    seen: set[Path] = set()
    bills = []
    for path in paths:
        if path.resolve() in seen:
            fail(f"{path} is given twice", "give each bill file once", code=2)
        seen.add(path.resolve())
        try:
            bills.append(read_provider_bill(path))
        except ProviderBillError as exc:
            fail(str(exc), "fix the file, or pass the bill as a CSV with the header "
                 "provider,amount,currency", code=2)
    return bills


def _print(result: ReconcileResult, trued: TrueUp | None) -> None:
    colour = "green" if result.ok else "red"
    out.print(f"[bold {colour}]{user(result.message)}[/]", highlight=False)
    links = Table(title=f"The chain, {result.period}", title_justify="left")
    for name in ("link", "status", "checked"):
        links.add_column(name)
    for n, link in enumerate(result.links, start=1):
        links.add_row(f"{n}. {LINKS[link.name]}", STATUS[link.status], link.checked)
    print_table(links, wrap=("checked",))
    if result.breaks:
        out.print(f"[bold red]{len(result.breaks)} breaks:[/]")
        for item in result.breaks:
            out.print(f"[red]✗[/] [bold]{LINKS[item.link]}[/], {user(item.where)}: "
                      f"{user(item.reason)}",
                      highlight=False)
            out.print(f"  [yellow]next:[/] {user(item.next_step)}", highlight=False)
    for title, rows in (("Statements", result.statements), ("Invoices", result.invoices)):
        if rows:
            _documents(f"{title}, {result.period}", rows)
    for total in result.totals:
        _grand_total(total)
    for note in result.notes:
        out.print(f"[yellow]note:[/] {user(note)}", highlight=False)
    if result.providers is not None:
        _providers(result)
    if trued:
        _true_up(trued)


def _documents(title: str, rows: list[DocumentRow]) -> None:
    added = "overhead" if rows[0].kind == "statement" else "tax"
    who = "team" if rows[0].kind == "statement" else "customer"
    table = Table(title=title, title_justify="left")
    for name in ("document", who, "lines", "exact", "rounded", "difference", added, "total"):
        table.add_column(name, justify="left" if name in ("document", who) else "right")
    for row in rows:
        table.add_row(row.number, row.subject, f"{row.lines:,}", number(row.exact),
                      money(row.rounded, row.currency), number(row.difference),
                      money(row.added, row.currency), money(row.total, row.currency, code=True))
    print_table(table, optional=("lines",))


def _grand_total(total: GrandTotal) -> None:
    added = "charged pools" if total.kind == "statements" else "tax"
    parts = ", ".join(f"{name} {money(amount, total.currency)}"
                      for name, amount in total.added_parts)
    out.print(f"[bold]Grand total, {total.kind}[/] ({total.documents} documents, "
              f"{total.currency})", highlight=False)
    out.print(f"  rated, exact          {number(total.exact):>22}", highlight=False)
    out.print(f"  + rounding            {number(total.rounding):>22}   ({total.lines:,} lines, "
              f"each rounded half-up to "
              f"{minor_unit(total.currency)})", highlight=False)
    out.print(f"  = document lines      {money(total.rounded, total.currency):>22}",
              highlight=False)
    out.print(f"  + {added:<19} {money(total.added, total.currency):>22}"
              + (f"   ({parts})" if parts else ""), highlight=False)
    out.print(f"  = {total.kind:<19} {money(total.total, total.currency):>22}"
              + ("" if not total.residual else f"   [red]off by {total.residual}[/]"),
              highlight=False)


def _providers(result: ReconcileResult) -> None:
    table = Table(title=f"Provider costs, {result.period}: metered vs billed",
                  title_justify="left")
    for name in ("provider", "metered", "billed", "difference", "%", "note"):
        table.add_column(name, justify="left" if name in ("provider", "note") else "right")
    for cost in result.providers or []:
        note = cost.note or ("" if cost.billed is not None else "not in the bill")
        if len(cost.sources) > 1:
            note = (note + "; " if note else "") + (f"summed from {len(cost.sources)} bills: "
                                                    "check none is counted twice")
        if cost.unpriced_requests:
            note = (note + "; " if note else "") + (f"{cost.unpriced_requests:,} requests "
                                                    "unpriced (not metered)")
        table.add_row(cost.provider, money(cost.metered, cost.currency, code=True),
                      "" if cost.billed is None else money(cost.billed, cost.currency),
                      "" if cost.difference is None else _signed(cost.difference,
                                                                 cost.currency),
                      "" if cost.percent is None else percent(cost.percent + 0), note)
    print_table(table, wrap=("note",))
    for bill in result.bills:
        out.print(f"  bill: {user(bill.source)} ({bill.format}, {bill.items:,} items)",
                  highlight=False)


def _signed(amount: Decimal, currency: str) -> str:
    """A difference to the cent, without a minus on what rounds to zero."""
    return money(round_line(amount, currency) + 0, currency)


def _true_up(trued: TrueUp) -> None:
    amount = money(trued.amount, trued.currency, code=True)
    if trued.nothing_to_do:
        out.print(f"True-up: nothing to do; pool {user(repr(trued.pool))} in "
                  f"{user(trued.version)} already holds "
                  f"{amount}.", highlight=False)
        return
    out.print(f"True-up: pool {user(repr(trued.pool))} {trued.status}, published as "
              f"{user(trued.version)}: {amount} (net "
              f"difference {trued.difference}), charged, split by spend, {trued.period} only.",
              highlight=False)
