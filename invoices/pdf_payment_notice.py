"""The payment notice: where to pay an issued invoice online, as a PDF beside it.

An issued invoice never changes, and Stripe's hosted-invoice link exists only once the invoice
was pushed, after the close. So the link goes on a notice of its own, which names the
invoice, its amount due and due date in the customer's language and does not restate a line.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from reportlab.platypus import Flowable, Spacer

from invoices.documents import ChargebackInvoice
from invoices.formatting import format_date, format_money
from invoices.labels import labels
from invoices.layout import build, header, moment_of, text
from invoices.layout import totals_table as totals


def payment_notice_story(invoice: ChargebackInvoice, url: str) -> list[Flowable]:
    words = labels(invoice.locale)
    money = partial(format_money, currency=invoice.currency, locale=invoice.locale)
    issued = format_date(invoice.issue_date, invoice.locale)
    facts = [(words.invoice_no, invoice.invoice_number), (words.invoice_date, issued),
             (words.due_date, format_date(invoice.due_date, invoice.locale))]
    return [header(invoice.issuer, words.payment_notice, facts, words), Spacer(1, 12),
            totals([(words.amount_due, money(invoice.total))]), Spacer(1, 12),
            text(words.online_payment.format(url=url), "strong"), Spacer(1, 8),
            text(words.payment_notice_note.format(invoice=invoice.invoice_number, date=issued),
                 "small")]


def render_payment_notice(invoice: ChargebackInvoice, url: str, path: Path | str) -> Path:
    """Write the payment notice of `invoice` with Stripe's hosted link `url` to path."""
    words = labels(invoice.locale)
    title = f"{words.payment_notice} {invoice.invoice_number}"
    return build(path, payment_notice_story(invoice, url), title=title, running_title=title,
                 issuer=invoice.issuer, moment=moment_of(invoice.issue_date),
                 subject=words.invoice_subject.format(party=invoice.bill_to.name,
                                                      period=invoice.period),
                 words=words)
