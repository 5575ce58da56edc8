"""Stripe sync: a finalised chargeback invoice pushed to Stripe exactly once, and read back.

A push is five idempotent steps: find or create the Stripe customer, find or create a draft
Stripe invoice, add each missing invoice line as an invoice item attached to that draft, check the
draft adds up to our total, finalize it. It may be interrupted after any call and run again: each
step first looks for what an earlier run made (by our metadata, through strongly consistent list
calls where Stripe has them) and each create carries an idempotency key derived from our invoice
number and line, so a create whose response was lost replays the same object rather than making a
second one. A push of an invoice Stripe already finalised changes nothing and says so.

Items are attached to the draft (`invoice=`) rather than left pending for the invoice to sweep in
(`pending_invoice_items_behavior="include"`): a pending item belongs to the customer, so a sweep
would also take any stray pending item (another push cut short, a hand-made charge), and an item
created after the sweep would wait for the customer's next invoice. Attached, each item is on our
invoice or nowhere, and listing the draft's items says exactly which lines are still missing. The
draft is created with `auto_advance=false` so Stripe cannot finalize a half-built invoice on its
own an hour later; finalizing hands it back to Stripe's automatic sending and reminders.

Pure library over the `stripe` SDK (a `StripeClient`); imports nothing of `billing`. This module
is the one entry point: it also re-exports credit notes (`stripe_credit_notes`) and webhook
verification (`stripe_webhook`); calls and retries live in `stripe_retry`, lookups in
`stripe_lookup`, minor-unit amounts in `stripe_amounts`.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from invoices.stripe_amounts import from_minor_units, to_minor_units
from invoices.stripe_credit_notes import CreditNoteResult, push_credit_note
from invoices.stripe_lookup import list_all, metadata_query, metadata_value, search_all
from invoices.stripe_retry import RetryPolicy, StripeSyncError, call_stripe
from invoices.stripe_webhook import (
    WebhookEvent,
    WebhookEventRefused,
    WebhookVerificationError,
    verify_webhook,
)

if TYPE_CHECKING:
    import stripe  # the stripe SDK loads when Stripe is called, not when a command starts

__all__ = [
    "CreditNoteResult", "RetryPolicy", "StripeInvoice", "StripeInvoiceTotals", "StripeLine",
    "StripePushResult", "StripeSyncError", "WebhookEvent", "WebhookEventRefused",
    "WebhookVerificationError",
    "fetch_for_reconcile", "idempotency_key", "push_credit_note", "push_invoice",
    "reconcile_differences", "stripe_client", "verify_webhook",
]

TAX_LINE_ID = "tax"
_MAX_KEY_LENGTH = 255  # Stripe's limit on an Idempotency-Key
StepHook = Callable[[str, str], None]


@dataclass(frozen=True)
class StripeLine:
    """One invoice line, its amount already rounded to the currency's minor unit."""

    line_id: str
    description: str
    amount: Decimal


@dataclass(frozen=True)
class StripeInvoice:
    """A finalised chargeback invoice as Stripe needs it; `customer_id` is ours, not Stripe's.

    `customer_address` uses Stripe's keys (line1, line2, city, state, postal_code, country);
    `tax_ids` are (Stripe tax id type, value) pairs such as ("eu_vat", "DE123456789"). Tax, when
    not zero, becomes its own Stripe line with id "tax".
    """

    number: str
    customer_id: str
    customer_name: str
    currency: str
    period: str
    lines: tuple[StripeLine, ...]
    tax: Decimal = Decimal(0)
    customer_email: str | None = None
    customer_address: Mapping[str, str] = field(default_factory=dict)
    tax_ids: tuple[tuple[str, str], ...] = ()
    days_until_due: int = 30
    credits: tuple[StripeLine, ...] = ()
    """Prepaid credit applied after tax: negative items after the tax item, so Stripe's
    total is the amount due, as on our invoice."""

    def __post_init__(self) -> None:
        ids = [line.line_id for line in (*self.lines, *self.credits)]
        if len(set(ids)) != len(ids):
            raise ValueError(f"invoice {self.number}: line ids must be unique, got {ids}")
        if TAX_LINE_ID in ids:
            raise ValueError(f"invoice {self.number}: line id {TAX_LINE_ID!r} is kept for tax")
        for line in self.stripe_lines():
            to_minor_units(line.amount, self.currency)

    def stripe_lines(self) -> tuple[StripeLine, ...]:
        """The lines as pushed: ours, tax as a line of its own when there is any, then the
        prepaid credit applied to the total."""
        if self.tax == 0:
            return (*self.lines, *self.credits)
        return (*self.lines, StripeLine(TAX_LINE_ID, "Tax", self.tax), *self.credits)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.stripe_lines()), Decimal(0))


@dataclass(frozen=True)
class StripePushResult:
    """What a push did. Steps are named "customer", "invoice", "item:<line id>", "finalize".

    `stripe_number` is the number Stripe gave the finalised invoice (ours is `invoice_number`);
    `nothing_to_do` is true when Stripe already had the invoice finalised before this push.
    """

    invoice_number: str
    stripe_customer_id: str
    stripe_invoice_id: str
    stripe_number: str | None
    hosted_invoice_url: str | None
    status: str
    total: Decimal
    currency: str
    created: tuple[str, ...]
    found: tuple[str, ...]
    skipped: tuple[str, ...]
    nothing_to_do: bool


@dataclass(frozen=True)
class StripeInvoiceTotals:
    """Stripe's view of one of our invoices, for reconciliation; amounts in the major unit.

    `duplicates` lists other Stripe invoices, not voided, carrying the same invoice number: there
    should be none, and reconciliation reports any.
    """

    invoice_number: str
    stripe_invoice_id: str
    status: str
    currency: str
    total: Decimal
    amount_due: Decimal
    amount_paid: Decimal
    amount_remaining: Decimal
    duplicates: tuple[str, ...] = ()


def stripe_client(api_key: str, api_base: str | None = None) -> stripe.StripeClient:
    """A client for these functions; `api_base` (STRIPE_API_BASE) points it at a test server.

    Its own network retries are off: `RetryPolicy` decides retries, on every call anyway.
    """
    import stripe

    if api_base:
        return stripe.StripeClient(api_key, base_addresses={"api": api_base},
                                   max_network_retries=0)
    return stripe.StripeClient(api_key, max_network_retries=0)


def idempotency_key(invoice_number: str, step: str) -> str:
    """The Idempotency-Key of one push step: the same invoice and step always give the same key.

    Readable (`chargeback/INV-2026-11-0001/item:support-copilot`) unless that would pass
    Stripe's 255-character limit; then a SHA-256 of it, still the same for the same step.
    """
    key = f"chargeback/{invoice_number}/{step}"
    if len(key) <= _MAX_KEY_LENGTH:
        return key
    return f"chargeback/sha256/{hashlib.sha256(key.encode()).hexdigest()}"


def push_invoice(
    client: stripe.StripeClient,
    invoice: StripeInvoice,
    stripe_customer_id: str | None = None,
    *,
    retry: RetryPolicy | None = None,
    on_step: StepHook | None = None,
) -> StripePushResult:
    """Push `invoice` to Stripe, finalised, exactly once; safe to call again after any failure.

    `stripe_customer_id` is the customer registry's Stripe id when it has one. `on_step(step,
    stripe_id)` is called after each step, so a caller can record the Stripe ids as they appear.
    Raises `StripeSyncError` when Stripe refuses a call or transient failures outlast `retry`.
    """
    push = _Push(client, invoice, retry or RetryPolicy(), on_step)
    customer_id = push.customer(stripe_customer_id)
    draft = push.existing_invoice(customer_id)
    if draft is not None:
        customer_id = draft["customer"]  # an earlier push may have used another customer
    if draft is not None and draft["status"] != "draft":
        push.skipped.append(f"nothing to do: invoice already {draft['status']} in Stripe")
        return push.result(customer_id, draft, nothing_to_do=True)
    if draft is None:
        draft = push.create_invoice(customer_id)
    push.add_missing_items(customer_id, draft["id"])
    return push.result(customer_id, push.finalize(draft["id"]), nothing_to_do=False)


class _Push:
    """The state of one push: the client, the invoice, and what each step did."""

    def __init__(
        self,
        client: stripe.StripeClient,
        invoice: StripeInvoice,
        retry: RetryPolicy,
        on_step: StepHook | None,
    ) -> None:
        self.client, self.invoice, self.retry, self.on_step = client, invoice, retry, on_step
        self.created: list[str] = []
        self.found: list[str] = []
        self.skipped: list[str] = []

    def call(self, request: Callable[..., Any], params: Mapping[str, Any] | None = None,
             step: str | None = None) -> dict[str, Any]:
        key = idempotency_key(self.invoice.number, step) if step else None
        return call_stripe(request, params, idempotency_key=key, retry=self.retry)

    def done(self, step: str, stripe_id: str, *, created: bool) -> None:
        (self.created if created else self.found).append(step)
        if self.on_step is not None:
            self.on_step(step, stripe_id)

    def customer(self, stripe_customer_id: str | None) -> str:
        customers = self.client.v1.customers
        if stripe_customer_id:
            known = self.call(functools.partial(customers.retrieve, stripe_customer_id))
            if known.get("deleted"):
                raise StripeSyncError(f"Stripe customer {stripe_customer_id} was deleted",
                                      code="customer_deleted")
            self.done("customer", known["id"], created=False)
            return known["id"]
        query = metadata_query("our_customer_id", self.invoice.customer_id)
        matches = list(search_all(customers.search, query, self.retry))
        if matches:
            oldest = min(matches, key=lambda customer: customer.get("created", 0))
            self.done("customer", oldest["id"], created=False)
            return oldest["id"]
        made = self.call(customers.create, _customer_params(self.invoice), "customer")
        self.done("customer", made["id"], created=True)
        return made["id"]

    def existing_invoice(self, customer_id: str) -> dict[str, Any] | None:
        """Our invoice if an earlier push made it: the customer's invoices first (read what was
        just written), then a search across customers (in case the registry's customer changed).
        """
        invoices = list_all(self.client.v1.invoices.list, {"customer": customer_id}, self.retry)
        number = self.invoice.number
        ours = [inv for inv in invoices if metadata_value(inv, "invoice_number") == number]
        if not ours:
            query = metadata_query("invoice_number", number)
            ours = list(search_all(self.client.v1.invoices.search, query, self.retry))
        if not ours:
            return None
        live = [inv for inv in ours if inv["status"] != "void"] or ours
        found = min(live, key=lambda inv: inv.get("created", 0))
        self.done("invoice", found["id"], created=False)
        return found

    def create_invoice(self, customer_id: str) -> dict[str, Any]:
        invoice = self.invoice
        params = {
            "customer": customer_id,
            "currency": invoice.currency.lower(),
            "collection_method": "send_invoice",
            "days_until_due": invoice.days_until_due,
            "auto_advance": False,
            "pending_invoice_items_behavior": "exclude",
            "metadata": {"invoice_number": invoice.number, "period": invoice.period,
                         "our_customer_id": invoice.customer_id},
        }
        made = self.call(self.client.v1.invoices.create, params, "invoice")
        self.done("invoice", made["id"], created=True)
        return made

    def add_missing_items(self, customer_id: str, stripe_invoice_id: str) -> None:
        listing = {"invoice": stripe_invoice_id}
        existing = {
            metadata_value(item, "line_id"): item
            for item in list_all(self.client.v1.invoice_items.list, listing, self.retry)
        }
        currency = self.invoice.currency
        for line in self.invoice.stripe_lines():
            step, amount = f"item:{line.line_id}", to_minor_units(line.amount, currency)
            item = existing.get(line.line_id)
            if item is not None:
                if item["amount"] != amount:
                    raise StripeSyncError(
                        f"Stripe invoice {stripe_invoice_id} has line {line.line_id} at "
                        f"{item['amount']} minor units, ours is {amount}; fix the draft in Stripe",
                        code="line_amount_mismatch")
                self.done(step, item["id"], created=False)
                continue
            params = {
                "customer": customer_id, "invoice": stripe_invoice_id, "amount": amount,
                "currency": currency.lower(), "description": line.description,
                "metadata": {"invoice_number": self.invoice.number, "line_id": line.line_id,
                             "period": self.invoice.period},
            }
            made = self.call(self.client.v1.invoice_items.create, params, step)
            self.done(step, made["id"], created=True)

    def finalize(self, stripe_invoice_id: str) -> dict[str, Any]:
        invoices = self.client.v1.invoices
        draft = self.call(functools.partial(invoices.retrieve, stripe_invoice_id))
        expected = to_minor_units(self.invoice.total, self.invoice.currency)
        if draft["total"] != expected:
            raise StripeSyncError(
                f"Stripe draft {stripe_invoice_id} totals {draft['total']} minor units, ours "
                f"{expected}; not finalised", code="total_mismatch")
        final = self.call(functools.partial(invoices.finalize_invoice, stripe_invoice_id),
                          {"auto_advance": True}, "finalize")
        self.done("finalize", final["id"], created=True)
        return final

    def result(self, customer_id: str, stripe_invoice: Mapping[str, Any], *,
               nothing_to_do: bool) -> StripePushResult:
        currency = stripe_invoice["currency"].upper()
        return StripePushResult(
            invoice_number=self.invoice.number,
            stripe_customer_id=customer_id,
            stripe_invoice_id=stripe_invoice["id"],
            stripe_number=stripe_invoice.get("number"),
            hosted_invoice_url=stripe_invoice.get("hosted_invoice_url"),
            status=stripe_invoice["status"],
            total=from_minor_units(stripe_invoice["total"], currency),
            currency=currency,
            created=tuple(self.created), found=tuple(self.found), skipped=tuple(self.skipped),
            nothing_to_do=nothing_to_do,
        )


def _customer_params(invoice: StripeInvoice) -> dict[str, Any]:
    params: dict[str, Any] = {
        "name": invoice.customer_name,
        "metadata": {"our_customer_id": invoice.customer_id},
    }
    if invoice.customer_email:
        params["email"] = invoice.customer_email
    if invoice.customer_address:
        params["address"] = dict(invoice.customer_address)
    if invoice.tax_ids:
        params["tax_id_data"] = [{"type": kind, "value": value} for kind, value in invoice.tax_ids]
    return params


def fetch_for_reconcile(
    client: stripe.StripeClient,
    invoice_numbers: Iterable[str],
    *,
    retry: RetryPolicy | None = None,
) -> dict[str, StripeInvoiceTotals]:
    """Stripe's totals, currency and status for each of our invoice numbers it knows.

    Found by Stripe's search on `metadata['invoice_number']`, which lags writes by up to about a
    minute: fine for reconciling a closed period, not for a read right after a push. A number
    Stripe does not know is absent from the answer.
    """
    retry = retry or RetryPolicy()
    found: dict[str, StripeInvoiceTotals] = {}
    for number in invoice_numbers:
        query = metadata_query("invoice_number", number)
        matches = sorted(search_all(client.v1.invoices.search, query, retry),
                         key=_finalised_first)
        if matches:
            others = tuple(inv["id"] for inv in matches[1:] if inv["status"] != "void")
            found[number] = _totals(number, matches[0], others)
    return found


def _finalised_first(inv: Mapping[str, Any]) -> tuple[bool, int]:
    return inv["status"] in ("void", "draft"), inv.get("created", 0)


def _totals(number: str, inv: Mapping[str, Any], duplicates: tuple[str, ...]
            ) -> StripeInvoiceTotals:
    currency = inv["currency"].upper()
    amounts = {key: from_minor_units(inv[key], currency)
               for key in ("total", "amount_due", "amount_paid", "amount_remaining")}
    return StripeInvoiceTotals(invoice_number=number, stripe_invoice_id=inv["id"],
                               status=inv["status"], currency=currency, duplicates=duplicates,
                               **amounts)


def reconcile_differences(
    invoice: StripeInvoice, totals: StripeInvoiceTotals | None
) -> tuple[str, ...]:
    """How Stripe's copy of `invoice` differs from ours, one sentence each; empty when it agrees."""
    if totals is None:
        return (f"invoice {invoice.number} is not in Stripe",)
    differences = []
    if totals.currency != invoice.currency.upper():
        differences.append(f"invoice {invoice.number}: Stripe currency {totals.currency}, "
                           f"ours {invoice.currency.upper()}")
    elif totals.total != invoice.total:
        differences.append(f"invoice {invoice.number}: Stripe total {totals.total} "
                           f"{totals.currency}, ours {invoice.total} {totals.currency}")
    if totals.duplicates:
        differences.append(f"invoice {invoice.number} is in Stripe more than once: "
                           f"{', '.join((totals.stripe_invoice_id, *totals.duplicates))}")
    return tuple(differences)
