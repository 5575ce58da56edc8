"""What a customer still owes on each invoice: paid, credited, balance and a status.

Stripe says whether an invoice was paid, voided or written off (its webhook events set
`stripe_status`); credit notes issued against an invoice lower what is owed; the due date says
when an unpaid balance is overdue. Computed when read, for the CLI and the API alike, so the
ledger keeps facts (totals, events, credit notes) and never a balance that could drift.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

CLOSED_BY_STRIPE = ("void", "uncollectible")
STATUSES = ("paid", "credited", "void", "uncollectible", "overdue", "open")


def receivable(invoice: dict[str, Any], credited: Decimal, today: date) -> dict[str, Any]:
    """The invoice's `credited`, `paid`, `balance` (strings, like `total`) and `status`."""
    total = Decimal(invoice["total"])
    owed = total - credited
    stripe = invoice.get("stripe_status")
    paid = owed if stripe == "paid" else Decimal(0)
    balance = Decimal(0) if stripe in CLOSED_BY_STRIPE else owed - paid
    if stripe in CLOSED_BY_STRIPE:
        status = stripe
    elif stripe == "paid":
        status = "paid"
    elif balance <= 0:
        status = "credited"
    elif invoice.get("due_on") is not None and invoice["due_on"] < today:
        status = "overdue"
    else:
        status = "open"
    return {"credited": str(credited), "paid": str(paid), "balance": str(balance),
            "status": status}
