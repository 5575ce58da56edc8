"""Credit notes: the only way a finalised invoice is corrected.

A credit note has its own gapless number, references the invoice, and carries the tax at the
invoice's rate. The credits against an invoice can never exceed what it billed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection, Engine, select

from billing.close.document_files import render_missing
from billing.close.line_credits import LineNotCreditable, credited_lines, line_credit
from billing.close.numbering import invoice_number, next_number
from billing.close.period_close import store_document
from billing.config import Settings
from billing.db import write_transaction
from billing.models import Document
from billing.money import minor_unit, round_line
from billing.policies.in_force import policies_for
from billing.rating.card_registry import stored_version
from invoices import ChargebackInvoice, CreditNote, InvoiceLine, from_json
from invoices.labels import labels

documents = Document.__table__


class CreditRefused(ValueError):
    pass


def _net(amount: str) -> Decimal:
    try:
        net = Decimal(amount)
    except InvalidOperation:
        raise CreditRefused(f"--amount {amount!r} is not a decimal number like 25.00") from None
    if not net.is_finite():
        raise CreditRefused(f"--amount {amount!r} is not a decimal number like 25.00")
    return net


def _line_credit(connection: Connection, invoice: ChargebackInvoice, customer: str,
                 number: int, credited: list[CreditNote]) -> tuple[Decimal, str]:
    """A line's credit under the contract (billing.close.line_credits), and what it is."""
    versions = [stored_version(connection, *ref.split("@", 1)) for ref in invoice.card_versions]
    card = max(versions, key=lambda found: (found.effective_from, found.version))
    done = credited_lines([line.description for note in credited for line in note.lines])
    try:
        found = line_credit(invoice, card, customer, number, done)
    except LineNotCreditable as exc:
        raise CreditRefused(str(exc)) from None
    what = invoice.lines[number - 1].description
    return found.amount, f"line {number} ({what}), {found.explanation}"


def issue_credit_note(
    engine: Engine, config: Settings, invoice_no: str, amount: str | None, reason: str,
    *, now: datetime | None = None, line: int | None = None,
) -> dict[str, Any]:
    """Credit `amount` (net of tax) against invoice `invoice_no`, or, with `line`, what that
    line is worth under the customer's contract; returns the note's summary."""
    now = now or datetime.now(UTC)
    if (amount is None) == (line is None):
        raise CreditRefused("give either --amount (net) or --line (a line of the invoice)")
    net = _net(amount) if amount is not None else Decimal(0)
    if not reason.strip():
        raise CreditRefused("say why the credit is given (--reason)")
    with engine.connect() as connection:
        period = connection.execute(select(documents.c.period).where(
            documents.c.kind == "invoice", documents.c.number == invoice_no)).scalar()
    prefix = policies_for(engine, period or "").registry.issuer.credit_note_prefix
    local = now.astimezone(config.zone)
    with write_transaction(engine) as connection:
        row = connection.execute(select(documents).where(
            documents.c.kind == "invoice", documents.c.number == invoice_no)).first()
        if row is None:
            raise CreditRefused(f"no invoice numbered {invoice_no}")
        invoice = from_json(json.loads(row.content))
        credited = [from_json(json.loads(content)) for content in connection.execute(
            select(documents.c.content).where(documents.c.kind == "credit_note",
                                              documents.c.references_id == row.id)).scalars()]
        what = invoice_no
        if line is not None:
            net, explained = _line_credit(connection, invoice, row.subject, line, credited)
            what = f"{invoice_no}, {explained}"
        if round_line(net, invoice.currency) != net:
            raise CreditRefused(
                f"--amount {amount} has more decimals than {invoice.currency} has "
                f"(its smallest unit is {minor_unit(invoice.currency)}); credit an amount the "
                "invoice can show, such as " + str(round_line(net, invoice.currency)))
        if net <= 0:
            raise CreditRefused("the credit amount must be positive")
        already = sum((note.subtotal for note in credited), Decimal(0))
        if already + net > invoice.subtotal:
            raise CreditRefused(
                f"{invoice_no} billed {invoice.subtotal} {invoice.currency} net; "
                f"{already} is already credited, so at most {invoice.subtotal - already} can be")
        number = invoice_number(prefix, local.year, next_number(connection,
                                                                f"{prefix}-{local.year}"))
        note = CreditNote(
            credit_note_number=number, invoice_number=invoice_no, issuer=invoice.issuer,
            bill_to=invoice.bill_to, period=invoice.period, issue_date=local.date(),
            currency=invoice.currency, locale=invoice.locale, reason=reason,
            lines=[InvoiceLine(description=labels(invoice.locale).credit_against.format(
                                   invoice=what, reason=reason),
                               quantity=Decimal(1), unit_price=net, amount=net,
                               unit="credit")],
            tax_rate=invoice.tax_rate, tax_label=invoice.tax_label,
        )
        document_id = store_document(connection, "credit_note", number, row.subject, note, now,
                                     references_id=row.id)
    render_missing(engine, config.documents_dir, period=invoice.period)
    with engine.connect() as connection:
        pdf = connection.execute(select(documents.c.pdf_path)
                                 .where(documents.c.id == document_id)).scalar_one()
    return {"id": document_id, "number": number, "invoice": invoice_no,
            "total": str(note.total), "currency": note.currency, "pdf_path": pdf}


