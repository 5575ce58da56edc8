"""The totals block of an invoice: total, then the prepaid credit applied and the amount due.

Prepaid credit is an advance payment applied after tax (`ChargebackInvoice.prepaid`), so it
comes below the total: one row per grant drawn, then what the customer still pays.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from invoices.contract_labels import contract_labels
from invoices.documents import ChargebackInvoice
from invoices.labels import Labels


def invoice_total_rows(invoice: ChargebackInvoice, words: Labels,
                       money: Callable[[Decimal], str]) -> list[tuple[str, str]]:
    currency = invoice.currency
    if not invoice.prepaid:
        return [(words.total_due.format(currency=currency), money(invoice.total))]
    terms = contract_labels(invoice.locale)
    return [(terms.invoice_total.format(currency=currency), money(invoice.total)),
            *[(f"{terms.prepaid_applied}: {line.description}", money(line.amount))
              for line in invoice.prepaid],
            (terms.amount_due.format(currency=currency), money(invoice.amount_due))]
