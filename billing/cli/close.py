"""Close commands: close a period, list its statements and invoices, issue a credit note."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import typer
from rich.progress import Progress
from rich.table import Table

from billing.cli.console import (
    JSON_OPTION,
    check_name,
    check_period,
    emit_json,
    err,
    fail,
    money,
    out,
    print_table,
    ready_engine,
    settings,
    user,
)
from billing.close.credit_notes import CreditRefused, issue_credit_note
from billing.close.document_store import list_documents
from billing.close.period_close import CloseRefused, close_period

statements_app = typer.Typer(help="Showback statements of closed periods.",
                             no_args_is_help=True)
invoices_app = typer.Typer(help="Chargeback invoices and credit notes of closed periods.",
                           no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("close")(close_command)
    app.add_typer(statements_app, name="statements")
    app.add_typer(invoices_app, name="invoices")


def close_command(
    period: str = typer.Option(..., "--period", "-p", help="The month to close, YYYY-MM.",
                               show_default=False, callback=check_period),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be produced; "
                                 "write nothing."),
    out_dir: Path = typer.Option(None, "--out", help="Write PDFs and JSON twins here instead "
                                 "of BILLING_DOCUMENTS_DIR."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Close a month: rate what is left, then one statement per team and one invoice per
    customer, as PDF and JSON. Closing a closed month produces nothing and says so."""
    config = settings()
    if out_dir:
        config = replace(config, documents_dir=out_dir)
    engine = ready_engine(config)
    try:
        if as_json or dry_run:
            result = close_period(engine, config, period, dry_run=dry_run)
        else:
            with Progress(transient=True) as bar:
                task = bar.add_task("rendering documents", total=None)
                result = close_period(
                    engine, config, period,
                    progress=lambda _step, done, total: bar.update(task, completed=done,
                                                                   total=total))
    except CloseRefused as exc:
        fail(str(exc), exc.hint, code=2)
    if as_json:
        emit_json(result.to_dict())
        _exit_if_unrendered(result.rendering, period, show=False)
        return
    colour = {"closed": "green", "already_closed": "yellow", "dry_run": "cyan"}[result.status]
    out.print(f"[bold {colour}]{user(result.message)}[/]")
    if result.unrated_events:
        out.print(f"{result.unrated_events:,} events are not rated yet; the close rates them "
                  "first.")
    if result.statements or result.invoices:
        table = Table(title=f"Documents, {period}", title_justify="left")
        for name in ("document", "for", "total", "note"):
            table.add_column(name, justify="right" if name in ("total", "paid", "balance", "credit")
                         else "left")
        for item in result.statements:
            table.add_row(item["number"], item["team"],
                          money(item["total"], item["currency"], code=True),
                          item["recommendation"])
        for item in result.invoices:
            table.add_row(item["number"], item["customer"],
                          money(item["total"], item["currency"], code=True), "")
        print_table(table, wrap=("note",))
    for rate in result.fx:
        out.print(f"FX: 1 {rate['from']} = {rate['rate']} {rate['to']} for {rate['period']}, "
                  f"converting {', '.join(rate['pools'])}; recorded with the close.",
                  highlight=False)
    _print_not_billed(result.not_billed, period)
    _print_capacity(result.capacity)
    for warning in result.warnings:
        out.print(f"[yellow]warning:[/] {user(warning)}", highlight=False)
    if result.rendering and result.rendering["rendered"]:
        rendering = result.rendering
        out.print(f"{rendering['rendered']} PDFs written to {user(config.documents_dir / period)} "
                  f"({rendering['per_document_ms']:.0f} ms each).")
    _exit_if_unrendered(result.rendering, period, show=True)


def _print_not_billed(not_billed: list[dict], period: str) -> None:
    """Usage the billable policy kept off invoices: it stays in showback, never billed."""
    if not not_billed:
        return
    table = Table(title=f"Not billable, kept off invoices, {period} (still in showback)",
                  title_justify="left")
    for name in ("customer", "use case", "environment", "project", "requests", "would be",
                 "reason"):
        table.add_column(name, justify="right" if name in ("requests", "would be") else "left")
    for item in not_billed:
        table.add_row(item["customer"], item["use_case"] or "", item["environment"],
                      item["project"] or "", f"{item['requests']:,}",
                      money(item["amount"], item["currency"], code=True), item["reason"])
    print_table(table, wrap=("reason",), optional=("project", "environment"))


def _print_capacity(capacity: list[dict]) -> None:
    """Self-hosted models priced by their capacity: the price the period's throughput gave."""
    for item in capacity:
        idle = ("idle capacity charged to the users" if item["idle"] == "charged" else
                f"idle {money(item['idle_cost'], item['currency'], code=True)} held centrally")
        out.print(f"Capacity: {item['model']} served {item['served_tokens']:,} of "
                  f"{item['capacity_tokens']:,} tokens for "
                  f"{money(item['monthly_cost'], item['currency'], code=True)} "
                  f"({item['basis']}): {Decimal(item['price_per_million']):.4f} "
                  f"{item['currency']} per million tokens; {idle}.", highlight=False)


def _exit_if_unrendered(rendering: dict | None, period: str, *, show: bool) -> None:
    """The close is stored and the rest of it done; a document without its PDF still fails
    the command (exit 1), naming each document and why, so a script or the operator sees it."""
    failed = (rendering or {}).get("failed") or []
    if not failed:
        return
    if show:
        for item in failed:
            err.print(f"[red]not rendered[/] {user(item['number'])}: {user(item['reason'])}",
                      highlight=False, soft_wrap=True)
    fail(f"{len(failed)} document(s) of {period} have no PDF yet; every other document, and "
         "the rest of the close, is done",
         f"fix the cause, then run `billing close --period {period}` again: it renders only "
         "what is missing")


def _list(kind: str, period: str | None, subject: str | None, as_json: bool,
          overdue: bool = False) -> None:
    config = settings()
    rows = list_documents(ready_engine(config), kinds=kind, period=period, subject=subject,
                          today=datetime.now(config.zone).date(), overdue=overdue)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        out.print("No overdue invoices." if overdue else
                  "No documents yet: close a period with `billing close --period YYYY-MM`.")
        return
    print_documents(rows)


def print_documents(rows: list[dict]) -> None:
    """Documents as a table; a column every row shares (kind, period) goes to the title, and
    PDFs named after their number are shown once, as the folder they are in."""
    kinds = sorted({row["kind"] for row in rows})
    periods = sorted({row["period"] for row in rows})
    folders = sorted({os.path.dirname(row["pdf_path"]) for row in rows if row["pdf_path"]})
    named = all(row["pdf_path"] and os.path.basename(row["pdf_path"]) == f"{row['number']}.pdf"
                for row in rows)
    columns = ["number", "kind", "period", "for", "total", "paid", "balance", "due", "status",
               "credit", "issued", "stripe", "pdf"]
    if "invoice" not in kinds:
        for name in ("paid", "balance", "due", "status"):
            columns.remove(name)
    if not any(Decimal(row.get("credit_balance", 0)) for row in rows):
        columns.remove("credit")
    if len(kinds) == 1:
        columns.remove("kind")
    if len(periods) == 1:
        columns.remove("period")
    if not any(row["stripe_status"] or row["stripe_error"] for row in rows):
        columns.remove("stripe")
    if named:
        columns.remove("pdf")
    what = "Statements" if kinds == ["statement"] else "Invoices and credit notes" \
        if "statement" not in kinds else "Documents"
    table = Table(title=what + (f", {periods[0]}" if len(periods) == 1 else ""),
                  title_justify="left")
    for name in columns:
        table.add_column(name, justify="right" if name in ("total", "paid", "balance", "credit")
                         else "left")
    for row in rows:
        stripe = row["stripe_status"] or ""
        if row["stripe_error"]:
            stripe = f"error: {row['stripe_error']}"
        cells = {"number": row["number"], "kind": row["kind"], "period": row["period"],
                 "for": row["subject"], "total": money(row["total"], row["currency"], code=True),
                 "issued": str(row["issued_on"]), "stripe": stripe,
                 "paid": _owed(row, "paid"), "balance": _owed(row, "balance"),
                 "credit": _owed(row, "credit_balance"),
                 "due": str(row["due_on"] or ""), "status": row.get("status", ""),
                 "pdf": os.path.basename(row["pdf_path"]) if row["pdf_path"]
                 else "(not rendered)"}
        table.add_row(*(cells[name] for name in columns))
    print_table(table, wrap=("stripe",))
    if folders:
        where = "PDFs in " + ", ".join(folders)
        out.print(user(where) + (", named by document number." if named else "."), highlight=False,
                  soft_wrap=True)


def _owed(row: dict, name: str) -> str:
    return money(row[name], row["currency"], code=True) if name in row else ""


@statements_app.command("list")
def statements_list(
    period: str = typer.Option(None, "--period", "-p", help="Only this month, YYYY-MM.",
                               callback=check_period),
    team: str = typer.Option(None, "--team", "-t", help="Only this team.", callback=check_name),
    as_json: bool = JSON_OPTION,
) -> None:
    """Showback statements, newest period first."""
    _list("statement", period, team, as_json)


@invoices_app.command("list")
def invoices_list(
    period: str = typer.Option(None, "--period", "-p", help="Only this month, YYYY-MM.",
                               callback=check_period),
    customer: str = typer.Option(None, "--customer", "-c", help="Only this customer.",
                                 callback=check_name),
    overdue: bool = typer.Option(False, "--overdue", help="Only invoices whose balance is past "
                                 "its due date."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Invoices and credit notes: total, paid, balance, due date and status (paid, credited,
    open, overdue, void, uncollectible; paid/void from Stripe's events), with their Stripe
    state."""
    _list("invoice" if overdue else "invoice,credit_note", period, customer, as_json, overdue)


@invoices_app.command("credit")
def invoices_credit(
    invoice: str = typer.Argument(..., help="The invoice number, e.g. INV-2026-00003."),
    amount: str = typer.Option(None, "--amount", help="Net amount to credit (before tax), e.g. "
                               "25.00.", show_default=False),
    line: int = typer.Option(None, "--line", help="Credit this line of the invoice (1 is the "
                             "first) at what it cost under the contract: less its discounts, "
                             "less what a commitment true-up grows by.", show_default=False),
    reason: str = typer.Option(..., "--reason", help="Why: printed on the credit note.",
                               show_default=False),
    as_json: bool = JSON_OPTION,
) -> None:
    """Issue a credit note against a finalised invoice (never an edit of the invoice)."""
    config = settings()
    engine = ready_engine(config)
    try:
        note = issue_credit_note(engine, config, invoice, amount, reason, line=line)
    except CreditRefused as exc:
        fail(str(exc), "see `billing invoices list`", code=2)
    if as_json:
        emit_json(note)
        return
    total = money(note["total"], note["currency"], code=True)
    out.print(f"Credit note {note['number']} for {total} against {invoice}: {note['pdf_path']}",
              markup=False)


