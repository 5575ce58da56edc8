"""The monthly close: a period becomes final, with one statement per team and one invoice per
customer, exactly once.

Steps: rate what is left; build every document from the rated ledger; then, in ONE write
transaction, re-check that nobody closed the period meanwhile, take gapless invoice numbers,
store the documents (their JSON twins) and mark the period closed; finally render the PDFs.
A close stopped before that transaction leaves nothing behind; one stopped after it leaves
only PDFs to render, which the next run does. Two closes at once serialise on the write lock
(SQLite's, or an advisory lock on PostgreSQL): the second finds the period closed and says so.
An overhead pool in another currency than the card is converted at the period's recorded FX
rate; without one the close is refused before anything is written. The rates the documents
converted at are recorded with the close (`period_close.fx_rates`, `CloseResult.fx`).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from billing.budgets.forecast_snapshots import store_forecasts
from billing.close.chargeback import (
    build_invoice,
    customer_charges,
    not_billable_usage,
)
from billing.close.credits import Available, prepaid_lines, settle
from billing.close.document_files import render_missing
from billing.close.numbering import invoice_number, next_number
from billing.close.party_currency import currency_mismatches
from billing.close.statements import build_statements
from billing.close.stripe_billing import push_period
from billing.close.tax_treatment import treatment
from billing.config import Settings
from billing.db import lock_closes, write_transaction
from billing.fx import rates_for
from billing.models import Document, PeriodClose, RatingRun, UsageEvent
from billing.money import CurrencyMismatch
from billing.parties import Registry
from billing.period import Period
from billing.policies.in_force import attribution_rules_for, model_aliases_for, policies_for
from billing.rating.capacity_rating import capacity_in_period
from billing.rating.card_registry import UnknownCard
from billing.rating.rate import cards_in_use, rate, stale_rules
from invoices import ChargebackInvoice, to_json

documents = Document.__table__
closes = PeriodClose.__table__


class CloseRefused(RuntimeError):
    """A close that cannot happen yet; `hint` says what to do first."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


@dataclass
class CloseResult:
    """What a close produced, skipped or refused, in the words finance uses."""

    period: str
    status: str
    message: str
    statements: list[dict[str, Any]] = field(default_factory=list)
    invoices: list[dict[str, Any]] = field(default_factory=list)
    rating: dict[str, Any] | None = None
    rendering: dict[str, Any] | None = None
    unrated_events: int = 0
    stripe: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    fx: list[dict[str, Any]] = field(default_factory=list)
    """The FX rates the documents converted at: from, to, period, rate and the pools."""
    policies: dict[str, str] = field(default_factory=dict)
    """The policy versions the documents were built with (kind -> kind@version, or file:)."""
    not_billed: list[dict[str, Any]] = field(default_factory=list)
    """Usage the parties policy's `billable` kept off invoices (it stays in showback)."""
    capacity: list[dict[str, Any]] = field(default_factory=list)
    """Capacity-priced models: the period's throughput, price and idle cost."""

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period, "status": self.status, "message": self.message,
                "statements": self.statements, "invoices": self.invoices,
                "rating": self.rating, "rendering": self.rendering,
                "unrated_events": self.unrated_events, "stripe": self.stripe,
                "warnings": self.warnings, "fx": self.fx, "policies": self.policies,
                "not_billed": self.not_billed, "capacity": self.capacity}


def closed_row(connection: Connection, period: str) -> Any:
    return connection.execute(select(closes).where(closes.c.period == period)).first()


def _unrated_events(connection: Connection) -> int:
    runs = RatingRun.__table__
    usage = UsageEvent.__table__
    watermark = connection.execute(
        select(func.coalesce(func.max(runs.c.to_event_id), 0)).where(runs.c.kind == "incremental")
    ).scalar_one()
    return connection.execute(select(func.count()).where(usage.c.id > watermark)).scalar_one()


def _summary(document: Any, kind: str) -> dict[str, Any]:
    if kind == "statement":
        return {"number": document.statement_number, "team": document.team,
                "total": str(document.total), "currency": document.currency,
                "recommendation": document.recommendation.action}
    return {"number": document.invoice_number, "customer": document.bill_to.name,
            "total": str(_owed(document)), "currency": document.currency}


def store_document(connection: Connection, kind: str, number: str, subject: str, document: Any,
           now: datetime, references_id: int | None = None) -> int:
    twin = to_json(document)
    content = json.dumps(twin, sort_keys=True, ensure_ascii=False)
    return connection.execute(insert(documents).values(
        kind=kind, number=number, period=document.period, subject=subject,
        currency=document.currency, total=_owed(document),
        issued_on=getattr(document, "issue_date", None) or now.date(),
        due_on=getattr(document, "due_date", None), references_id=references_id,
        content=content, content_hash=hashlib.sha256(content.encode()).hexdigest(),
        created_at=now,
    ).returning(documents.c.id)).scalar_one()


def _owed(document: Any) -> Decimal:
    """What the documents table keeps as a document's total: an invoice's amount due (its
    total less prepaid credit applied), which receivables and Stripe's amount due read."""
    return document.amount_due if isinstance(document, ChargebackInvoice) else document.total


def fx_used(statements: Iterable[Any], period: str) -> list[dict[str, Any]]:
    """The rates the statements' overhead shares were converted at, once per currency pair."""
    used: dict[tuple[str, str], dict[str, Any]] = {}
    for statement in statements:
        for share in statement.overhead:
            if share.fx_rate is None:
                continue
            entry = used.setdefault((share.source_currency, statement.currency), {
                "from": share.source_currency, "to": statement.currency, "period": period,
                "rate": format(share.fx_rate, "f"), "pools": []})
            if share.pool not in entry["pools"]:
                entry["pools"].append(share.pool)
    return [used[key] for key in sorted(used)]


def _rates_moved(connection: Connection, period: str, used: list[dict[str, Any]]) -> list[str]:
    """The rates the documents were built with that changed before the close could store them."""
    now = rates_for(connection, period)
    return [f"{rate['from']}->{rate['to']}" for rate in used
            if now.get((rate["from"], rate["to"])) != Decimal(rate["rate"])]


def close_period(
    engine: Engine, config: Settings, period: str, *, now: datetime | None = None,
    dry_run: bool = False, closed_by: str = "billing close",
    progress: Callable[[str, int, int], None] | None = None,
) -> CloseResult:
    """Close `period`, or say why not; safe to run again, and from two places at once."""
    started = time.monotonic()
    now = now or datetime.now(UTC)
    zone = config.zone
    local_now = now.astimezone(zone)
    month = Period.parse(period)
    _, end = month.bounds(zone)
    if now < end:
        raise CloseRefused(f"period {period} is not over until {end.isoformat()} "
                           f"({config.timezone}); close it after its last day",
                           "pass an earlier --period")
    with engine.connect() as connection:
        done = closed_row(connection, period)
    if done is not None:
        result = CloseResult(period, "already_closed",
                             f"{period} was closed on {done.closed_at:%Y-%m-%d %H:%M} UTC by "
                             f"{done.closed_by}; nothing new produced",
                             fx=json.loads(done.fx_rates or "[]"),
                             policies=json.loads(done.policy_versions or "{}"),
                             not_billed=json.loads(done.not_billed or "[]"))
        if not dry_run:  # finish what a stopped close left: PDFs, then Stripe
            result.rendering = render_missing(engine, config.documents_dir, period=period)
            if config.stripe_api_key:
                result.stripe = push_period(engine, config, period).to_dict()
        return result
    rating = None
    if not dry_run:
        try:
            cards = cards_in_use(engine, config.team_card, config.customer_card)
        except UnknownCard as exc:
            raise CloseRefused(f"{period} cannot close: {exc}",
                               "publish the team card with `billing ratecards publish FILE` "
                               "(or set BILLING_TEAM_CARD), then close again; nothing was "
                               "written") from None
        rules_for = attribution_rules_for(engine)
        aliases_for = model_aliases_for(engine)
        rating = rate(engine, cards, zone=zone, rules_for=rules_for,
                      aliases_for=aliases_for).to_dict()
        stale = stale_rules(engine, period, rules_for)
        if stale:
            # lines rated before the rules in force were published: the close prices the
            # period with the versions in force, so it re-rates the (still open) period first
            rating["rerated"] = {"because": stale, **rate(
                engine, cards, zone=zone, rules_for=rules_for, rerate_period=period,
                aliases_for=aliases_for).to_dict()}
    # after rating: the idle capacity among the pools depends on the period's rated lines
    policies = policies_for(engine, period)
    registry, pools = policies.registry, policies.pools
    with engine.connect() as connection:
        unrated = _unrated_events(connection) if dry_run else 0
        prior = {row.subject: row.total for row in connection.execute(
            select(documents.c.subject, documents.c.total).where(
                documents.c.kind == "statement",
                documents.c.period == str(month.previous())))}
        try:
            statements = build_statements(connection, engine, period, pools=pools,
                                          registry=registry, generated_at=now,
                                          closed_totals=prior,
                                          use_cases=policies.use_cases,
                                          policy_versions=policies.versions, zone=zone)
        except CurrencyMismatch as exc:
            raise CloseRefused(f"{period} cannot close: {exc}",
                               "record the rate, then close again; nothing was written"
                               ) from None
        charges = customer_charges(connection, period, registry)
        not_billed = not_billable_usage(connection, period, registry)
        capacity = capacity_in_period(connection, period)
    mismatches = currency_mismatches(registry, statements, charges)
    if mismatches:
        raise CloseRefused(f"{period} cannot close: " + "; ".join(mismatches),
                           "price the party on a card in its currency, or publish a parties "
                           "version with its currency, then close again; nothing was written")
    result = CloseResult(period, "dry_run" if dry_run else "closed", "", rating=rating,
                         unrated_events=unrated,
                         warnings=[*unregistered_customers(registry, charges,
                                                           policies.versions["parties"]),
                                   *untaxed_customers(registry, charges)],
                         fx=fx_used(statements, period), policies=policies.versions,
                         not_billed=not_billed, capacity=capacity)
    result.statements = [_summary(statement, "statement") for statement in statements]
    if dry_run:
        with engine.connect() as connection:
            for customer in sorted(charges):
                invoice, _ = _with_credit(connection, customer, build_invoice(
                    customer, charges[customer], number="(numbered at close)", period=period,
                    registry=registry, issued_on=local_now.date(),
                    policy_versions=policies.versions), period)
                result.invoices.append(_summary(invoice, "invoice"))
        result.message = (f"dry run: would produce {len(statements)} statements and "
                          f"{len(charges)} invoices; nothing was written")
        return result
    with write_transaction(engine) as connection:
        lock_closes(connection)
        done = closed_row(connection, period)
        if done is not None:
            return CloseResult(period, "already_closed",
                               f"{period} was closed meanwhile by {done.closed_by}; nothing new "
                               "produced", rating=rating)
        moved = _rates_moved(connection, period, result.fx)
        if moved:
            raise CloseRefused(f"the {', '.join(moved)} rate of {period} changed while the "
                               "documents were built; nothing was written",
                               "close again: the documents are built with the new rate")
        for statement in statements:
            store_document(connection, "statement", statement.statement_number, statement.team,
                   statement, now)
        prefix = registry.issuer.invoice_prefix
        for customer in sorted(charges):
            number = invoice_number(prefix, local_now.year,
                                    next_number(connection, f"{prefix}-{local_now.year}"))
            charge = charges[customer]
            invoice, prepaid = _with_credit(connection, customer, build_invoice(
                customer, charge, number=number, period=period, registry=registry,
                issued_on=local_now.date(), policy_versions=policies.versions), period)
            document_id = store_document(connection, "invoice", number, customer, invoice, now)
            commitment = charge.commitment
            settle(connection, customer, charge.lines, charge.currency,
                   commitment.carry_over_months if commitment else 0, prepaid, document_id,
                   period, now)
            result.invoices.append({**_summary(invoice, "invoice"), "customer": customer})
        connection.execute(insert(closes).values(
            period=period, closed_at=now, closed_by=closed_by,
            rating_run_id=(rating or {}).get("run_id"), statements=len(statements),
            invoices=len(charges), duration_ms=int((time.monotonic() - started) * 1000),
            fx_rates=json.dumps(result.fx, sort_keys=True),
            policy_versions=json.dumps(result.policies, sort_keys=True),
            not_billed=json.dumps(result.not_billed, sort_keys=True)))
        store_forecasts(connection, period, now)
    result.message = (f"{period} closed: {len(statements)} statements and {len(charges)} "
                      "invoices")
    result.rendering = render_missing(
        engine, config.documents_dir, period=period,
        progress=(lambda done, total: progress("render", done, total)) if progress else None)
    if config.stripe_api_key:
        result.stripe = push_period(engine, config, period).to_dict()
    return result


def _with_credit(connection: Connection, customer: str, invoice: ChargebackInvoice,
                 period: str) -> tuple[ChargebackInvoice, list[tuple[Available, Decimal]]]:
    """The invoice with the customer's prepaid credit applied after tax
    (billing.close.credits)."""
    lines, notes, parts = prepaid_lines(connection, customer, invoice.total, period,
                                        invoice.currency, invoice.locale)
    if not lines:
        return invoice, []
    return replace(invoice, prepaid=lines, notes=[*invoice.notes, *notes]), parts


def unregistered_customers(registry: Registry, customers: Iterable[str],
                           parties: str) -> list[str]:
    """Customers billed with no registry entry: their invoice has no name, address or tax.

    A warning, not a refusal: the usage is real and must be billed, but finance should add the
    customer to the registry before the next close (documents never change once issued).
    """
    where = "no parties policy is published" if parties == "none" else f"not in {parties}"
    return [f"customer {customer!r} is not registered ({where}): its invoice has no name, "
            "address or tax; add it under `customers:` of the parties policy and publish it "
            "(`billing policy publish FILE`) before the next close"
            for customer in sorted(customers) if customer not in registry.customers]


def untaxed_customers(registry: Registry, customers: Iterable[str]) -> list[str]:
    """Customers charged no tax because the issuer is not registered in their country and
    they gave no VAT id (billing.close.tax_treatment): a warning for finance to look at."""
    found = []
    for customer in sorted(customers):
        entry = registry.customer(customer)
        if treatment(registry.issuer, entry).kind == "outside_scope":
            found.append(f"customer {customer!r} in {entry.country} is charged no tax: the "
                         f"issuer is not registered there and the customer has no VAT id; add "
                         f"its VAT id under `tax_ids:`, or the issuer's registration under "
                         f"`issuer.registrations.{entry.country}`, to the parties policy")
    return found


def closed_periods_summary(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(select(closes).order_by(closes.c.period)).all()
    return [{"period": row.period, "closed_at": row.closed_at, "closed_by": row.closed_by,
             "statements": row.statements, "invoices": row.invoices,
             "fx": json.loads(row.fx_rates or "[]")} for row in rows]

