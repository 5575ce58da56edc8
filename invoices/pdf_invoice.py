"""The chargeback invoice and the credit note as PDFs: what a customer owes, or is credited.

Both print the issuer and bill-to blocks, the lines (quantity in million tokens x unit price
per million = amount) running across pages with carried-forward totals, and a totals block:
subtotal, tax at the document's rate (computed once on the subtotal), total. A credit note
names the invoice it corrects and why; its amounts are positive and its title says "Credit
note".
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from pathlib import Path

from reportlab.platypus import Flowable, Spacer, Table, TableStyle

from invoices.documents import ChargebackInvoice, CreditNote, InvoiceLine
from invoices.formatting import (
    format_date,
    format_integer,
    format_money,
    format_percent,
    format_period,
    format_quantity,
    format_unit_price,
)
from invoices.layout import (
    CONTENT_WIDTH,
    build,
    header,
    moment_of,
    party_block,
    period_text,
    text,
)
from invoices.layout import totals_table as totals
from invoices.running_table import Column, RunningTable

TOKEN_UNIT = "M tokens"
LINE_COLUMNS = (
    Column("Description", 245), Column("Quantity", 66, "RIGHT"), Column("Unit", 48),
    Column("Unit price", 72, "RIGHT"), Column("Amount", 84, "RIGHT"),
)


def tax_label(label: str, rate: Decimal, locale: str) -> str:
    """``VAT 19%``: the rate shown with as many decimals as it has (7.5 %, 19 %)."""
    digits = max(0, -(rate * 100).normalize().as_tuple().exponent)
    return f"{label} {format_percent(rate, locale, digits=digits)}"


def _description(line: InvoiceLine) -> str:
    if line.kind == "prior_period_adjustment":
        period = f" ({line.service_period})" if line.service_period else ""
        return f"Prior period{period}: {line.description}"
    return line.description


def _quantity(line: InvoiceLine, locale: str) -> str:
    """Million tokens to six places; a whole count of another unit (requests) as an integer."""
    if line.unit != TOKEN_UNIT and line.quantity == line.quantity.to_integral_value():
        return format_integer(int(line.quantity), locale)
    return format_quantity(line.quantity, locale)


def _lines(lines: tuple[InvoiceLine, ...], currency: str, locale: str) -> RunningTable:
    money = partial(format_money, currency=currency, locale=locale)
    rows = [[_description(line), _quantity(line, locale), line.unit,
             format_unit_price(line.unit_price, currency, locale), money(line.amount)]
            for line in lines]
    return RunningTable(LINE_COLUMNS, rows, [line.amount for line in lines], money,
                        total_label="Total of lines")


def _parties(left: list[Flowable], right: list[Flowable]) -> Table:
    table = Table([[left, right]], colWidths=[CONTENT_WIDTH / 2, CONTENT_WIDTH / 2])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _period(period: str, locale: str) -> str:
    return period_text(format_period(period, locale), period)


def invoice_story(invoice: ChargebackInvoice) -> list[Flowable]:
    """The flowables of an invoice, in reading order."""
    locale, currency = invoice.locale, invoice.currency
    money = partial(format_money, currency=currency, locale=locale)
    facts = [("Invoice no.", invoice.invoice_number),
             ("Service period", _period(invoice.period, locale)),
             ("Issue date", format_date(invoice.issue_date, locale)),
             ("Due date", format_date(invoice.due_date, locale)),
             ("Currency", currency)]
    terms = [text("Amount due", "small_right"), text(money(invoice.total), "title"),
             text(f"due {format_date(invoice.due_date, locale)}", "right")]
    story: list[Flowable] = [
        header(invoice.issuer, "Invoice", facts), Spacer(1, 10),
        _parties(party_block(invoice.bill_to, "Bill to"), terms), Spacer(1, 12),
        _lines(invoice.lines, currency, locale), Spacer(1, 10),
        totals([("Subtotal", money(invoice.subtotal)),
                (tax_label(invoice.tax_label, invoice.tax_rate, locale), money(invoice.tax)),
                (f"Total due ({currency})", money(invoice.total))]),
        Spacer(1, 12),
        text("Quantities are million tokens unless the unit says otherwise; unit prices are per "
             "unit. Each line is rounded half-up to the currency's minor unit; tax is computed "
             "once on the subtotal.", "small"),
    ]
    if invoice.card_versions:
        story.append(text("Rate card versions: " + ", ".join(invoice.card_versions), "small"))
    story += [text(note) for note in invoice.notes]
    return story


def credit_note_story(note: CreditNote) -> list[Flowable]:
    """The flowables of a credit note, in reading order."""
    locale, currency = note.locale, note.currency
    money = partial(format_money, currency=currency, locale=locale)
    facts = [("Credit note no.", note.credit_note_number),
             ("Credits invoice", note.invoice_number),
             ("Service period", _period(note.period, locale)),
             ("Issue date", format_date(note.issue_date, locale)),
             ("Currency", currency)]
    credit = [text("Total credit", "small_right"), text(money(note.total), "title")]
    return [
        header(note.issuer, "Credit note", facts), Spacer(1, 10),
        _parties(party_block(note.bill_to, "Credit to"), credit), Spacer(1, 8),
        text(f"Reason: {note.reason}", "strong"), Spacer(1, 8),
        _lines(note.lines, currency, locale), Spacer(1, 10),
        totals([("Subtotal credited", money(note.subtotal)),
                (tax_label(note.tax_label, note.tax_rate, locale), money(note.tax)),
                (f"Total credit ({currency})", money(note.total))]),
        Spacer(1, 12),
        text(f"This credit note reduces the amount due on invoice {note.invoice_number} by "
             f"{money(note.total)}. Amounts shown are credits to the customer.", "small"),
    ]


def render_invoice(invoice: ChargebackInvoice, path: Path | str) -> Path:
    """Write the invoice's PDF to path and return the path."""
    return build(path, invoice_story(invoice), title=f"Invoice {invoice.invoice_number}",
                 running_title=f"Invoice {invoice.invoice_number} · {invoice.period}",
                 issuer=invoice.issuer, moment=moment_of(invoice.issue_date),
                 subject=f"Invoice to {invoice.bill_to.name}, {invoice.period}")


def render_credit_note(note: CreditNote, path: Path | str) -> Path:
    """Write the credit note's PDF to path and return the path."""
    return build(path, credit_note_story(note), title=f"Credit note {note.credit_note_number}",
                 running_title=f"Credit note {note.credit_note_number} · "
                               f"for invoice {note.invoice_number}",
                 issuer=note.issuer, moment=moment_of(note.issue_date),
                 subject=f"Credit note to {note.bill_to.name} for {note.invoice_number}")
