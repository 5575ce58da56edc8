"""Credit notes: a correction to a finalised chargeback invoice, issued in Stripe exactly once.

A finalised invoice never changes (DESIGN: corrections are credit notes). Our credit note becomes a
Stripe credit note on the Stripe invoice, found again by `metadata[credit_note_number]` among the
invoice's credit notes and created under an idempotency key derived from our number, so a retry or
a second run never credits twice.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from invoices.stripe_amounts import from_minor_units, to_minor_units
from invoices.stripe_lookup import list_all, metadata_value
from invoices.stripe_retry import RetryPolicy, call_stripe

if TYPE_CHECKING:
    import stripe  # the stripe SDK loads when Stripe is called, not when a command starts


@dataclass(frozen=True)
class CreditNoteResult:
    """The Stripe credit note for our number; `created` is false when an earlier run issued it."""

    credit_note_number: str
    stripe_credit_note_id: str
    stripe_invoice_id: str
    amount: Decimal
    currency: str
    status: str
    created: bool


def push_credit_note(
    client: stripe.StripeClient,
    *,
    stripe_invoice_id: str,
    credit_note_number: str,
    amount: Decimal,
    currency: str,
    reason: str | None = None,
    memo: str | None = None,
    retry: RetryPolicy | None = None,
) -> CreditNoteResult:
    """Issue our credit note `credit_note_number` on a finalised Stripe invoice, exactly once.

    On an open invoice the credit lowers what is due; on a paid one it goes to the customer's
    Stripe balance, taken off their next invoice. A credit note already issued under this number
    is found (by metadata on the invoice's credit notes) and returned with `created=False`.
    """
    retry = retry or RetryPolicy()
    notes = client.v1.credit_notes
    for note in list_all(notes.list, {"invoice": stripe_invoice_id}, retry):
        if metadata_value(note, "credit_note_number") == credit_note_number:
            return _credit_note_result(credit_note_number, note, created=False)
    invoices = client.v1.invoices
    target = call_stripe(functools.partial(invoices.retrieve, stripe_invoice_id), retry=retry)
    if target["currency"].upper() != currency.upper():
        raise ValueError(f"credit note {credit_note_number} is in {currency.upper()}, Stripe "
                         f"invoice {stripe_invoice_id} in {target['currency'].upper()}")
    minor = to_minor_units(amount, currency)
    params: dict[str, Any] = {
        "invoice": stripe_invoice_id, "amount": minor,
        "metadata": {"credit_note_number": credit_note_number,
                     "invoice_number": metadata_value(target, "invoice_number") or ""},
    }
    if target["status"] == "paid":
        params["credit_amount"] = minor
    if reason:
        params["reason"] = reason
    if memo:
        params["memo"] = memo
    made = call_stripe(notes.create, params, retry=retry,
                       idempotency_key=f"chargeback/credit-note/{credit_note_number}")
    return _credit_note_result(credit_note_number, made, created=True)


def _credit_note_result(number: str, note: Mapping[str, Any], *, created: bool) -> CreditNoteResult:
    currency = note["currency"].upper()
    return CreditNoteResult(
        credit_note_number=number, stripe_credit_note_id=note["id"],
        stripe_invoice_id=note["invoice"], amount=from_minor_units(note["amount"], currency),
        currency=currency, status=note["status"], created=created,
    )
