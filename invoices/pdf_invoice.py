"""The chargeback invoice and the credit note as PDFs: what a customer owes, or is credited.

Both print the issuer and bill-to blocks, the lines (quantity in million tokens x unit price
per million = amount) running across pages with carried-forward totals, and a totals block:
subtotal, tax at the document's rate (computed once on the subtotal), total. A credit note
names the invoice it corrects and why; its amounts are positive and its title says "Credit
note". Labels and units are in the document's language (`invoices.labels`); descriptions
come written in it from the close; the reason and notes are printed as given.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from pathlib import Path

from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle

from invoices.billable_reasons import reason_in
from invoices.documents import ChargebackInvoice, CreditNote, InvoiceLine, PaymentDetails
from invoices.formatting import (
    format_date,
    format_integer,
    format_money,
    format_percent,
    format_period,
    format_quantity,
    format_unit_price,
)
from invoices.labels import Labels, labels
from invoices.layout import (
    CONTENT_WIDTH,
    build,
    grid,
    header,
    moment_of,
    party_block,
    period_text,
    text,
)
from invoices.layout import totals_table as totals
from invoices.plurals import unit_for
from invoices.prepaid_rows import invoice_total_rows
from invoices.running_table import Column, RunningTable

TOKEN_UNIT = "M tokens"


def line_columns(words: Labels) -> tuple[Column, ...]:
    """The invoice's line table columns, headed in the document's language."""
    return (Column(words.description, 283), Column(words.quantity, 52, "RIGHT"),
            Column(words.unit, 52), Column(words.unit_price, 60, "RIGHT"),
            Column(words.line_amount, 68, "RIGHT"))


def tax_label(label: str, rate: Decimal, locale: str) -> str:
    """``VAT 19%``: the rate shown with as many decimals as it has (7.5 %, 19 %).

    The data's own label is printed as given, except the default "Tax", which is translated.
    """
    digits = max(0, -(rate * 100).normalize().as_tuple().exponent)
    if label == "Tax":
        label = labels(locale).tax_default
    return f"{label} {format_percent(rate, locale, digits=digits)}"


def _description(line: InvoiceLine, words: Labels) -> str:
    if line.kind == "prior_period_adjustment":
        if line.service_period:
            return words.prior_period_dated.format(period=line.service_period,
                                                   description=line.description)
        return words.prior_period.format(description=line.description)
    return line.description


def _quantity(line: InvoiceLine, locale: str) -> str:
    """Million tokens to six places; a whole count of another unit (requests) as an integer."""
    if line.unit != TOKEN_UNIT and line.quantity == line.quantity.to_integral_value():
        return format_integer(int(line.quantity), locale)
    return format_quantity(line.quantity, locale)


def _lines(lines: tuple[InvoiceLine, ...], currency: str, locale: str) -> RunningTable:
    words = labels(locale)
    money = partial(format_money, currency=currency, locale=locale)
    rows = [[_description(line, words), _quantity(line, locale),
             unit_for(line.unit, line.quantity, locale) or words.unit_name(line.unit),
             format_unit_price(line.unit_price, currency, locale), money(line.amount)]
            for line in lines]
    return RunningTable(line_columns(words), rows, [line.amount for line in lines], money,
                        total_label=words.total_of_lines, words=words)


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
    words = labels(locale)
    money = partial(format_money, currency=currency, locale=locale)
    due = format_date(invoice.due_date, locale)
    facts = [(words.invoice_no, invoice.invoice_number),
             (words.service_period, _period(invoice.period, locale)),
             (words.invoice_date, format_date(invoice.issue_date, locale)),
             (words.due_date, due),
             (words.currency, currency)]
    facts += [(label, value) for label, value in (
        (words.purchase_order, invoice.purchase_order),
        (words.your_reference, invoice.customer_reference)) if value]
    terms = [text(words.amount_due, "small_right"), text(money(invoice.amount_due), "title"),
             text(words.due_on.format(date=due), "right")]
    story: list[Flowable] = [
        header(invoice.issuer, words.invoice, facts, words), Spacer(1, 10),
        _parties(party_block(invoice.bill_to, words.bill_to, words), terms), Spacer(1, 12),
        _lines(invoice.lines, currency, locale), Spacer(1, 10),
        totals([(words.subtotal, money(invoice.subtotal)),
                (tax_label(invoice.tax_label, invoice.tax_rate, locale), money(invoice.tax)),
                *invoice_total_rows(invoice, words, money)]),
        Spacer(1, 12),
        text(words.invoice_note, "small"),
    ]
    if invoice.card_versions:
        story.append(text(words.card_versions.format(versions=", ".join(invoice.card_versions)),
                          "small"))
    if invoice.policy_versions:
        story.append(text(words.policy_versions.format(
            versions=", ".join(invoice.policy_versions)), "small"))
    story += [text(note) for note in invoice.notes]
    return story + _payment(invoice, words) + _not_billed(invoice, money, words)


def _payment(invoice: ChargebackInvoice, words: Labels) -> list[Flowable]:
    """Where to pay, quoting the invoice number: what a customer's payables team needs."""
    details = invoice.payment or PaymentDetails()
    if invoice.payment is None and not invoice.payment_url:
        return []
    rows = [(words.bank, details.bank), (words.account_name, details.account_name),
            ("IBAN", details.iban), ("BIC", details.bic),
            (words.account_number, details.account_number),
            (words.routing_number, details.routing_number)]
    block = [text(words.payment_details, "heading")]
    block += [text(f"{label}: {value}") for label, value in rows if value]
    if details.instructions:
        block.append(text(details.instructions))
    if invoice.payment_url:
        block.append(text(words.online_payment.format(url=invoice.payment_url)))
    return [Spacer(1, 8), KeepTogether(block)]


def _not_billed(invoice: ChargebackInvoice, money: partial, words: Labels) -> list[Flowable]:
    """The customer's usage the agreement does not bill: listed, never in the total."""
    if not invoice.not_billed:
        return []
    locale = invoice.locale
    heading = [words.use_case, words.project, words.environment, words.requests, words.tokens,
               words.value_not_billed, words.reason.format(reason="").rstrip(": ")]
    rows: list[list] = [[text(cell, "cell_bold_right" if index in (3, 4, 5) else "cell_bold")
                         for index, cell in enumerate(heading)]]
    rows += [[text(usage.use_case or words.unattributed, "cell"),
              text(usage.project or "–", "cell"),
              text(words.environment_name(usage.environment), "cell"),
              format_integer(usage.requests, locale), format_integer(usage.tokens, locale),
              money(usage.amount), text(reason_in(usage.reason, locale), "cell")]
             for usage in invoice.not_billed]
    rows.append([words.not_billed_total, "", "", "", "", money(invoice.not_billed_amount), ""])
    return [KeepTogether([text(words.not_billed, "heading"), text(words.not_billed_note, "small"),
                          grid(rows, [74, 92, 52, 46, 52, 56, 143], right=[3, 4, 5],
                               summary_rows=0)])]


def credit_note_story(note: CreditNote) -> list[Flowable]:
    """The flowables of a credit note, in reading order."""
    locale, currency = note.locale, note.currency
    words = labels(locale)
    money = partial(format_money, currency=currency, locale=locale)
    facts = [(words.credit_note_no, note.credit_note_number),
             (words.credits_invoice, note.invoice_number),
             (words.service_period, _period(note.period, locale)),
             (words.issue_date, format_date(note.issue_date, locale)),
             (words.currency, currency)]
    credit = [text(words.total_credit, "small_right"), text(money(note.total), "title")]
    return [
        header(note.issuer, words.credit_note, facts, words), Spacer(1, 10),
        _parties(party_block(note.bill_to, words.credit_to, words), credit), Spacer(1, 8),
        text(words.reason.format(reason=note.reason), "strong"), Spacer(1, 8),
        _lines(note.lines, currency, locale), Spacer(1, 10),
        totals([(words.subtotal_credited, money(note.subtotal)),
                (tax_label(note.tax_label, note.tax_rate, locale), money(note.tax)),
                (words.total_credit_in.format(currency=currency), money(note.total))]),
        Spacer(1, 12),
        text(words.credit_note_note.format(invoice=note.invoice_number,
                                           amount=money(note.total)), "small"),
    ]


def render_invoice(invoice: ChargebackInvoice, path: Path | str) -> Path:
    """Write the invoice's PDF to path and return the path."""
    words = labels(invoice.locale)
    title = f"{words.invoice} {invoice.invoice_number}"
    return build(path, invoice_story(invoice), title=title,
                 running_title=f"{title} · {invoice.period}",
                 issuer=invoice.issuer, moment=moment_of(invoice.issue_date),
                 subject=words.invoice_subject.format(party=invoice.bill_to.name,
                                                      period=invoice.period),
                 words=words)


def render_credit_note(note: CreditNote, path: Path | str) -> Path:
    """Write the credit note's PDF to path and return the path."""
    words = labels(note.locale)
    title = f"{words.credit_note} {note.credit_note_number}"
    return build(path, credit_note_story(note), title=title,
                 running_title=f"{title} · "
                               + words.credit_note_running.format(invoice=note.invoice_number),
                 issuer=note.issuer, moment=moment_of(note.issue_date),
                 subject=words.credit_note_subject.format(party=note.bill_to.name,
                                                          invoice=note.invoice_number),
                 words=words)
