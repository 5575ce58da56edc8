"""Chargeback invoices to Stripe and back: push a period, reconcile it, apply webhook events.

`invoices.stripe_sync` does the Stripe calls exactly once; this module decides what to send
(finalised invoices and credit notes of a period, from their stored JSON twins), records what
Stripe answered on our documents, and records each webhook event once by its id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from billing.close.payment_notice import write_payment_notice
from billing.config import Settings
from billing.models import Document, StripeEvent
from billing.parties import Registry
from billing.policies.in_force import policies_for
from invoices import from_json
from invoices.stripe_sync import (
    RetryPolicy,
    StripeInvoice,
    StripeLine,
    StripeSyncError,
    WebhookEvent,
    fetch_for_reconcile,
    push_credit_note,
    push_invoice,
    reconcile_differences,
    stripe_client,
)

if TYPE_CHECKING:
    import stripe  # the stripe SDK loads when Stripe is called, not when a command starts

documents = Document.__table__
events = StripeEvent.__table__
FINAL_STATES = ("open", "paid", "void", "uncollectible")
EVENT_STATUS = {"invoice.paid": "paid", "invoice.payment_failed": "payment_failed",
                "invoice.voided": "void", "invoice.marked_uncollectible": "uncollectible"}
SETTLED = {"paid": 2, "void": 2, "uncollectible": 1}  # which status wins a same-second tie


class StripeNotConfigured(RuntimeError):
    pass


@dataclass
class PushReport:
    period: str
    pushed: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def nothing_to_do(self) -> bool:
        return not self.pushed and not self.failed

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period, "pushed": self.pushed, "skipped": self.skipped,
                "failed": self.failed, "nothing_to_do": self.nothing_to_do}


def client_for(config: Settings) -> stripe.StripeClient:
    if not config.stripe_api_key:
        raise StripeNotConfigured("STRIPE_API_KEY is not set: set it to push invoices to Stripe")
    return stripe_client(config.stripe_api_key, api_base=config.stripe_api_base)


def _address(lines: tuple[str, ...]) -> dict[str, str]:
    return {key: value for key, value in zip(("line1", "line2", "city"), lines, strict=False)}


def stripe_invoice(row: Any, registry: Registry) -> StripeInvoice:
    """Our stored invoice as the Stripe push takes it: one item per line, tax its own line,
    then one per prepaid credit drawn, applied after tax."""
    invoice = from_json(json.loads(row.content))
    customer = registry.customer(row.subject)
    return StripeInvoice(
        number=invoice.invoice_number, customer_id=row.subject, customer_name=customer.name,
        currency=invoice.currency, period=invoice.period,
        lines=tuple(StripeLine(f"line-{n}", line.description, line.amount)
                    for n, line in enumerate(invoice.lines, start=1)),
        tax=invoice.tax, customer_email=customer.email,
        customer_address=_address(customer.address),
        tax_ids=tuple(pair for pair in customer.typed_tax_ids if pair[0]),
        days_until_due=max((invoice.due_date - invoice.issue_date).days, 0),
        credits=tuple(StripeLine(f"prepaid-{n}", line.description, line.amount)
                      for n, line in enumerate(invoice.prepaid, start=1)),
    )


def _record(engine: Engine, document_id: int, **values: Any) -> None:
    with engine.begin() as connection:
        connection.execute(update(documents).where(documents.c.id == document_id)
                           .values(**values))


def push_period(
    engine: Engine, config: Settings, period: str, *, client: stripe.StripeClient | None = None,
    retry: RetryPolicy | None = None,
) -> PushReport:
    """Send the period's invoices, then its credit notes; a second run sends nothing."""
    client = client or client_for(config)
    registry = policies_for(engine, period).registry
    report = PushReport(period)
    with engine.connect() as connection:
        rows = connection.execute(select(documents).where(
            documents.c.period == period, documents.c.kind.in_(("invoice", "credit_note")))
            .order_by(documents.c.kind.desc(), documents.c.number)).all()
    by_id = {row.id: row for row in rows}
    for row in rows:
        if row.stripe_status in FINAL_STATES or (row.kind == "credit_note"
                                                 and row.stripe_status == "issued"):
            report.skipped.append(row.number)
            continue
        try:
            if row.kind == "invoice":
                result = push_invoice(client, stripe_invoice(row, registry),
                                      registry.customer(row.subject).stripe_customer_id,
                                      retry=retry)
                values = {"stripe_invoice_id": result.stripe_invoice_id,
                          "stripe_number": result.stripe_number,
                          "stripe_hosted_url": result.hosted_invoice_url,
                          "stripe_status": result.status}
            else:
                target = by_id.get(row.references_id) or _document(engine, row.references_id)
                if not target.stripe_invoice_id:
                    report.skipped.append(f"{row.number} (its invoice is not in Stripe yet)")
                    continue
                note = from_json(json.loads(row.content))
                result = push_credit_note(client, stripe_invoice_id=target.stripe_invoice_id,
                                          credit_note_number=row.number, amount=note.total,
                                          currency=note.currency, memo=note.reason,
                                          retry=retry)
                values = {"stripe_invoice_id": result.stripe_credit_note_id,
                          "stripe_status": "issued"}
        except StripeSyncError as exc:
            message = f"{exc.code or exc.error_type or 'error'}: {exc}"
            _record(engine, row.id, stripe_error=message)
            report.failed.append({"number": row.number, "error": message})
            continue
        _record(engine, row.id, stripe_error=None, stripe_pushed_at=datetime.now(UTC), **values)
        if values.get("stripe_hosted_url"):
            write_payment_notice(engine, config.documents_dir, row.id,
                                 values["stripe_hosted_url"])
        report.pushed.append({"number": row.number, **values})
    return report


def _document(engine: Engine, document_id: int) -> Any:
    with engine.connect() as connection:
        return connection.execute(select(documents).where(documents.c.id == document_id)).one()


def reconcile_period(
    engine: Engine, config: Settings, period: str, *, client: stripe.StripeClient | None = None,
    retry: RetryPolicy | None = None,
) -> list[str]:
    """Every way Stripe's invoices of the period differ from ours; empty when they agree."""
    client = client or client_for(config)
    registry = policies_for(engine, period).registry
    with engine.connect() as connection:
        rows = connection.execute(select(documents).where(
            documents.c.period == period, documents.c.kind == "invoice")
            .order_by(documents.c.number)).all()
    totals = fetch_for_reconcile(client, [row.number for row in rows], retry=retry)
    differences: list[str] = []
    for row in rows:
        found = totals.get(row.number)
        differences += reconcile_differences(stripe_invoice(row, registry), found)
        if found and row.stripe_status and found.status != row.stripe_status:
            differences.append(f"invoice {row.number}: Stripe status {found.status}, ours "
                               f"{row.stripe_status}")
    return differences


def _is_newer(event: WebhookEvent, status: str, document: Any) -> bool:
    """Stripe delivers in any order: only an event created after the one that set the
    document's status may change it (in the same second, a settled status is kept)."""
    if document.stripe_status_at is None or event.created > document.stripe_status_at:
        return True
    return (event.created == document.stripe_status_at
            and SETTLED.get(status, 0) >= SETTLED.get(document.stripe_status, 0))


def apply_event(engine: Engine, event: WebhookEvent) -> str:
    """Record a verified webhook event once; returns applied, stale (older than the event that
    set the status: recorded, changes nothing), duplicate or ignored."""
    status = EVENT_STATUS.get(event.type)
    now = datetime.now(UTC)
    try:
        with engine.begin() as connection:
            document = None
            if status and event.invoice_id:
                document = connection.execute(
                    select(documents.c.id, documents.c.stripe_status,
                           documents.c.stripe_status_at)
                    .where(documents.c.kind == "invoice",
                           documents.c.stripe_invoice_id == event.invoice_id)
                    .with_for_update()).first()
            result = ("ignored" if document is None
                      else "applied" if _is_newer(event, status or "", document) else "stale")
            connection.execute(insert(events).values(
                event_id=event.id, type=event.type, stripe_invoice_id=event.invoice_id,
                document_id=document.id if document else None, received_at=now,
                created=event.created, result=result))
            if result == "applied":
                connection.execute(update(documents).where(documents.c.id == document.id)
                                   .values(stripe_status=status,
                                           stripe_status_at=event.created))
    except IntegrityError:
        return "duplicate"
    return result
