"""Reconciliation: one set of numbers from the usage ledger to Stripe, or where it breaks.

A period is walked link by link: usage events -> rated lines (exact) -> document lines (rounded
once) -> document totals -> Stripe, then the grand total of the statements against rated spend
plus charged pools. A closed period's documents are rebuilt from the rated ledger by the close's
own builders and compared line by line with their stored JSON twins; an open period is checked
against a provisional rebuild. Every break says where, why in plain words and what to do next;
the per-document rows show exact amount, rounded amount and the rounding difference, so a
controller sees why the statements' 9,557.01 is not the ledger's 9,556.98.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, select

from billing.close.chargeback import (
    CONTRACT_KINDS,
    build_invoice,
    customer_charges,
    not_billed_exact,
)
from billing.close.document_checks import added_amount, compare_twins, line_sum, total_problems
from billing.close.grand_total import GrandTotal, grand_totals
from billing.close.ledger_checks import RatedAmounts, check_ledger, rated_amounts
from billing.close.period_close import closed_row
from billing.close.provider_bill import ProviderBill
from billing.close.provider_costs import ProviderCost, compare, coverage_notes, metered_costs
from billing.close.statements import build_statements
from billing.close.stripe_billing import reconcile_period
from billing.config import Settings
from billing.models import Document
from billing.parties import Registry
from billing.policies.in_force import policies_for
from billing.rating.overhead import Pool
from invoices import ChargebackInvoice, ShowbackStatement, to_json
from invoices.stripe_sync import StripeSyncError

documents = Document.__table__
LINKS = {
    "ledger": "events -> rated lines",
    "documents": "rated lines -> document lines",
    "totals": "document lines -> document totals",
    "stripe": "documents -> Stripe",
    "grand_total": "grand total",
}
REBUILT_NUMBER = "(numbered at close)"
# per kind (statement, invoice) and subject (team, customer): (document number, JSON twin)
Twins = dict[str, dict[str, tuple[str, dict[str, Any]]]]


@dataclass(frozen=True)
class Break:
    """One place the numbers disagree: which link, where, why, and what to do next."""

    link: str
    where: str
    reason: str
    next_step: str

    def to_dict(self) -> dict[str, str]:
        return {"link": self.link, "where": self.where, "reason": self.reason,
                "next": self.next_step}


@dataclass
class Link:
    name: str
    status: str  # ok, break, skipped
    checked: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "title": LINKS[self.name], "status": self.status,
                "checked": self.checked}


@dataclass(frozen=True)
class DocumentRow:
    """A document's exact rated amount, its rounded lines and what it adds (overhead or tax)."""

    kind: str
    number: str
    subject: str
    currency: str
    lines: int
    exact: Decimal
    rounded: Decimal
    added: Decimal
    total: Decimal

    @property
    def difference(self) -> Decimal:
        return self.rounded - self.exact

    def to_dict(self) -> dict[str, Any]:
        added = "charged_overhead" if self.kind == "statement" else "tax"
        return {"kind": self.kind, "number": self.number,
                ("team" if self.kind == "statement" else "customer"): self.subject,
                "currency": self.currency, "lines": self.lines, "exact": str(self.exact),
                "rounded": str(self.rounded), "difference": str(self.difference),
                added: str(self.added), "total": str(self.total)}


@dataclass
class ReconcileResult:
    """What was checked, every break with its reason and next step, and the rows behind them."""

    period: str
    status: str  # closed or open
    message: str = ""
    links: list[Link] = field(default_factory=list)
    breaks: list[Break] = field(default_factory=list)
    statements: list[DocumentRow] = field(default_factory=list)
    invoices: list[DocumentRow] = field(default_factory=list)
    totals: list[GrandTotal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    providers: list[ProviderCost] | None = None
    bills: list[ProviderBill] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period, "status": self.status, "ok": self.ok,
                "message": self.message, "links": [link.to_dict() for link in self.links],
                "breaks": [item.to_dict() for item in self.breaks],
                "statements": [row.to_dict() for row in self.statements],
                "invoices": [row.to_dict() for row in self.invoices],
                "totals": [total.to_dict() for total in self.totals], "notes": self.notes,
                "providers": None if self.providers is None else {
                    "bills": [bill.to_dict() for bill in self.bills],
                    "costs": [cost.to_dict() for cost in self.providers]}}


@dataclass(frozen=True)
class Rebuilt:
    """A period's documents as the close would build them from the rated ledger now."""

    statements: dict[str, ShowbackStatement]
    invoices: dict[str, ChargebackInvoice]


Rebuild = Callable[..., Rebuilt]


def rebuild_documents(connection: Connection, engine: Engine, period: str, *,
                      pools: list[Pool], registry: Registry, now: datetime) -> Rebuilt:
    """The period's documents from the close's own builders: the one place reconcile builds
    lines, so another line builder is swapped in here (or passed to `reconcile`)."""
    statements = build_statements(connection, engine, period, pools=pools, registry=registry,
                                  generated_at=now)
    charges = customer_charges(connection, period, registry)
    invoices = {customer: build_invoice(customer, charges[customer], number=REBUILT_NUMBER,
                                        period=period, registry=registry,
                                        issued_on=now.date())
                for customer in sorted(charges)}
    return Rebuilt({statement.team: statement for statement in statements}, invoices)


def reconcile(
    engine: Engine, config: Settings, period: str, *, bills: Iterable[ProviderBill] = (),
    rebuild: Rebuild = rebuild_documents, now: datetime | None = None,
) -> ReconcileResult:
    """Walk the period's chain and report every break; never writes anything."""
    now = now or datetime.now(UTC)
    bills = list(bills)
    policies = policies_for(engine, period)
    pools, registry = policies.pools, policies.registry
    with engine.connect() as connection:
        done = closed_row(connection, period)
        result = ReconcileResult(period, "closed" if done else "open", bills=bills)
        stored = _stored(connection, period) if done else []
        exact = rated_amounts(connection, period)
        left_out = not_billed_exact(connection, period, registry)
        ledger = check_ledger(connection, period, exact, closed=done is not None,
                              documents={(row.kind, row.subject): row.number
                                         for row in stored})
        try:
            rebuilt = rebuild(connection, engine, period, pools=pools, registry=registry,
                              now=now)
        except ValueError as exc:
            rebuilt = None
            result.breaks.append(Break("documents", period, f"the documents cannot be built "
                                       f"from the rated ledger: {exc}", "fix the cause the "
                                       "message names, then run reconcile again"))
        if bills:
            result.providers = compare(bills, *metered_costs(connection, period))
    result.links.append(Link("ledger", "ok", ledger.checked))
    result.breaks += [Break("ledger", where, reason, step)
                      for where, reason, step in ledger.breaks]
    result.notes += ledger.notes
    fresh = None if rebuilt is None else _twins(rebuilt)
    if rebuilt is not None:
        _invoice_prices(result, rebuilt, exact, {row.subject: row.number for row in stored
                                                 if row.kind == "invoice"}, left_out)
    twins = _documents_link(result, stored, fresh, period)
    _rows(result, twins, exact)
    _totals_link(result, stored)
    _stripe_link(result, engine, config, period, twins)
    _grand_totals_link(result, twins, fresh, exact, pools, period)
    for link in result.links:
        if link.status == "ok" and any(item.link == link.name for item in result.breaks):
            link.status = "break"
    for bill in result.bills:
        result.notes += list(bill.warnings)
    result.notes += coverage_notes(result.bills, period, config.zone)
    result.message = _message(result, done)
    return result


def _stored(connection: Connection, period: str) -> list[Any]:
    return connection.execute(select(documents).where(
        documents.c.period == period,
        documents.c.kind.in_(("statement", "invoice", "credit_note")))
        .order_by(documents.c.kind.desc(), documents.c.number)).all()


def _twin(row: Any) -> dict[str, Any] | None:
    try:
        twin = json.loads(row.content)
    except (TypeError, ValueError):
        return None
    return twin if isinstance(twin, dict) else None


CLOSED_NEXT = ("{period} is closed and its documents never change: find what changed the "
               "rated lines of {period} after the close (rated_line, with their run_id in "
               "rating_run) and restore them; a real correction belongs in the next open "
               "period (a prior-period adjustment) or in a credit note")


def _twins(rebuilt: Rebuilt) -> Twins:
    return {"statement": {team: (doc.statement_number, to_json(doc))
                          for team, doc in rebuilt.statements.items()},
            "invoice": {customer: (REBUILT_NUMBER, to_json(doc))
                        for customer, doc in rebuilt.invoices.items()}}


def _documents_link(result: ReconcileResult, stored: list[Any], rebuilt: Twins | None,
                    period: str) -> Twins:
    """Link 2; returns the twins the rows and totals are read from, by kind and subject:
    the stored ones of a closed period, the provisional rebuild of an open one."""
    fresh = rebuilt or {"statement": {}, "invoice": {}}
    if result.status == "open":
        count = f"{len(fresh['statement'])} statements and {len(fresh['invoice'])} invoices"
        result.links.append(Link("documents", "ok", f"open period: {count} built "
                                 "provisionally from the rated ledger; nothing is stored yet"))
        return fresh
    kept: Twins = {"statement": {}, "invoice": {}}
    lines = 0
    for row in stored:
        twin = _twin(row)
        if row.kind == "credit_note" or twin is None:
            continue
        kept[row.kind][row.subject] = (row.number, twin)
        lines += len(twin.get("lines") or [])
        if rebuilt is None:
            continue
        other = fresh[row.kind].get(row.subject)
        if other is None:
            result.breaks.append(Break("documents", row.number, f"{row.kind} {row.number} "
                                       f"was issued for {row.subject}, but the rated ledger "
                                       f"has no priced {row.kind} usage of {row.subject} in "
                                       f"{period} any more", CLOSED_NEXT.format(period=period)))
            continue
        for difference in compare_twins(row.kind, twin, other[1]):
            result.breaks.append(Break("documents", row.number, difference.sentence(),
                                       CLOSED_NEXT.format(period=period)))
    for kind, built in fresh.items():
        for subject in sorted(set(built) - set(kept[kind])):
            result.breaks.append(Break("documents", subject, f"the rated ledger has priced "
                                       f"usage of {subject} in {period} but no {kind} was "
                                       "issued for it", CLOSED_NEXT.format(period=period)))
    result.links.append(Link("documents", "ok", f"{len(kept['statement'])} statements and "
                             f"{len(kept['invoice'])} invoices rebuilt from the rated ledger "
                             f"and compared line by line ({lines:,} lines)"))
    return kept


def _invoice_prices(result: ReconcileResult, rebuilt: Rebuilt, exact: RatedAmounts,
                    numbers: dict[str, str], left_out: dict[str, Decimal]) -> None:
    """Invoice lines are tokens at unit prices; their exact sum must be the rated amount,
    less the usage `billable` kept off the invoice."""
    for customer, invoice in rebuilt.invoices.items():
        priced = sum((line.quantity * line.unit_price for line in invoice.lines
                      if line.kind not in CONTRACT_KINDS), Decimal(0))
        rated = exact.customers.get(customer)
        amount = (rated.amount if rated else Decimal(0)) - left_out.get(customer, Decimal(0))
        if abs(priced - amount) <= Decimal("1e-9"):
            continue
        where = numbers.get(customer, f"the invoice of {customer}")
        result.breaks.append(Break(
            "documents", where,
            f"the rated chargeback lines of {customer} sum to {amount}, but their "
            f"tokens at their unit prices come to {priced}: a rated amount no longer matches "
            "its own tokens and prices",
            CLOSED_NEXT.format(period=result.period) if result.status == "closed" else
            f"re-rate the period: `billing rate --period {result.period} --rerate` prices it "
            "again"))


def _rows(result: ReconcileResult, twins: Twins,
          exact: RatedAmounts) -> None:
    for kind, target, sums in (("statement", result.statements, exact.teams),
                               ("invoice", result.invoices, exact.customers)):
        for subject, (number, twin) in sorted(twins[kind].items()):
            rated = sums.get(subject)
            target.append(DocumentRow(
                kind, number, subject, twin["currency"], len(twin.get("lines") or []),
                rated.amount if rated else Decimal(0), line_sum(twin),
                added_amount(kind, twin), Decimal(twin["total"])))


def _totals_link(result: ReconcileResult, stored: list[Any]) -> None:
    if result.status == "open":
        result.links.append(Link("totals", "skipped", "open period: no documents are stored "
                                 "yet"))
        return
    for row in stored:
        twin = _twin(row)
        problems = (["its JSON twin is not valid JSON"] if twin is None
                    else total_problems(row.kind, row, twin))
        for problem in problems:
            result.breaks.append(Break(
                "totals", row.number, f"{row.kind.replace('_', ' ')} {row.number}: {problem}",
                "a stored document was edited after it was issued; restore it from the PDF's "
                "JSON twin in the documents folder or a backup (documents never change)"))
    notes = sum(1 for row in stored if row.kind == "credit_note")
    result.links.append(Link("totals", "ok", f"{len(stored)} stored documents add up: lines "
                             "+ charged overhead (statements), lines + tax (invoices"
                             + (f", {notes} credit notes" if notes else "") + ")"))


def _stripe_link(result: ReconcileResult, engine: Engine, config: Settings, period: str,
                 twins: Twins) -> None:
    if result.status == "open":
        result.links.append(Link("stripe", "skipped", "open period: no invoices are issued "
                                 "yet"))
        return
    if not config.stripe_api_key:
        result.links.append(Link("stripe", "skipped", "STRIPE_API_KEY is not set: invoices "
                                 "are not sent to Stripe, so there is nothing to compare"))
        return
    if not twins["invoice"]:
        result.links.append(Link("stripe", "skipped", f"no invoices in {period}"))
        return
    try:
        differences = reconcile_period(engine, config, period)
    except StripeSyncError as exc:
        result.breaks.append(Break("stripe", "Stripe", f"Stripe could not be read: {exc}",
                                   "check STRIPE_API_KEY and the network, then run again"))
        differences = []
    for difference in differences:
        result.breaks.append(Break("stripe", difference.split(":")[0], difference,
                                   f"push what is missing with `billing stripe push --period "
                                   f"{period}`; a total Stripe changed is corrected there, "
                                   "never on our invoice"))
    result.links.append(Link("stripe", "ok", f"{len(twins['invoice'])} invoices compared with "
                             "Stripe's (total, currency, status, duplicates)"))


def _grand_totals_link(result: ReconcileResult, twins: Twins, rebuilt: Twins | None,
                       exact: RatedAmounts, pools: list[Pool], period: str) -> None:
    if rebuilt is None:
        result.links.append(Link("grand_total", "skipped", "the documents could not be "
                                 "rebuilt"))
        return
    fresh, stored = ({kind: [twin for _, twin in by_subject.values()]
                      for kind, by_subject in by_kind.items()}
                     for by_kind in (rebuilt, twins))
    for total, reason in grand_totals(stored, fresh, exact, pools, period):
        result.totals.append(total)
        if reason:
            result.breaks.append(Break("grand_total", f"{total.kind} ({total.currency})",
                                       reason, "resolve the breaks above; the grand total "
                                       "follows"))
    kinds = " and ".join(sorted({total.kind for total in result.totals}))
    result.links.append(Link("grand_total", "ok", f"{kinds}: documents' total = exact rated "
                             "amount + rounding of their lines (from the rebuild) + charged "
                             "pools (from their configuration) or tax" if kinds else
                             "no documents to add up"))


def _message(result: ReconcileResult, done: Any) -> str:
    state = (f"closed on {done.closed_at:%Y-%m-%d %H:%M} UTC by {done.closed_by}" if done
             else "open: reconciled against a provisional rebuild")
    if result.ok:
        return f"{result.period} ({state}): the chain holds, no breaks"
    return f"{result.period} ({state}): {len(result.breaks)} breaks"


