"""Documents of the monthly close: showback statements, chargeback invoices and credit notes.

This package turns plain data (frozen dataclasses with Decimal money) into the JSON twin and
the PDF a finance lead signs. It imports nothing of `billing`: the close fills the data
classes in `invoices.documents` and calls `invoices.pdf`. `invoices.stripe_sync` sends
finalised chargeback invoices to Stripe exactly once.
"""

from invoices.documents import (
    ChargebackInvoice,
    CreditNote,
    InvoiceLine,
    OutcomeSummary,
    OverheadShare,
    Party,
    Recommendation,
    ShowbackStatement,
    StatementLine,
)
from invoices.json_twin import from_json, to_json

_PDF = {"render_credit_note", "render_invoice", "render_statement"}

__all__ = [
    "ChargebackInvoice", "CreditNote", "InvoiceLine", "OutcomeSummary", "OverheadShare", "Party",
    "Recommendation", "ShowbackStatement", "StatementLine", "from_json", "render_credit_note",
    "render_invoice", "render_statement", "to_json",
]


def __getattr__(name: str):  # noqa: ANN202
    """The renderers load reportlab, which only a command that draws a PDF needs: they are
    imported on first use, so `billing --help` and every listing start without it."""
    if name in _PDF:
        from invoices import pdf

        return getattr(pdf, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
