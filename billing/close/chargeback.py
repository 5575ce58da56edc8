"""Chargeback invoices: what each customer owes for a period, as the plain data `invoices`
renders.

An invoice line is a quantity times a unit price a customer can check: million input (output,
cached input, cache-write) tokens of one model and tier at the card version's price with its
markup, and the per-request fee as its own line. Lines are summed by the database from the
rated ledger (chargeback view), so a line is the same however the usage was batched; each is
rounded once, and the invoice adds its rounded lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import Connection, and_, func, not_, or_, select

from billing.close.contract_terms import TierUsage, contract_lines
from billing.close.credits import available, carried_over_from, draw, expired_carry_over
from billing.close.tax_treatment import treatment
from billing.models import RatedLine
from billing.money import round_line
from billing.parties import Registry
from billing.policies.in_force import document_versions
from billing.rating.card_registry import stored_version
from invoices.contract_labels import contract_labels
from invoices.documents import ChargebackInvoice, InvoiceLine, NotBilledUsage
from invoices.formatting import format_money
from invoices.labels import Labels, labels
from invoices.tax_ids import split_tax_id
from ratecards import CardVersion, Commitment

rated = RatedLine.__table__
MILLION = Decimal(1_000_000)
NANOS = Decimal(1_000_000_000)
INVOICE_POLICIES = ("attribution", "parties")
CONTRACT_KINDS = ("discount", "true_up", "carry_over")
"""Invoice lines the card's contract adds (billing.close.contract_terms), not priced usage."""
TOKEN_KINDS = (
    ("input_tokens", "input_price", "input"),
    ("output_tokens", "output_price", "output"),
    ("cached_input_tokens", "cached_input_price", "cached input"),
    ("cache_write_input_tokens", "cache_write_input_price", "cache write"),
)
PRICE_KEYS = ("card", "card_version", "currency", "input_price", "output_price",
              "cached_input_price", "cache_write_input_price", "markup", "per_request_fee",
              "web_search_price")
THOUSAND = Decimal(1_000)


@dataclass
class CustomerCharges:
    """A customer's invoice lines of a period, their currency and the card versions used."""

    currency: str
    lines: list[InvoiceLine] = field(default_factory=list)
    card_versions: set[str] = field(default_factory=set)
    not_billed: list[NotBilledUsage] = field(default_factory=list)
    tiers: dict[str, TierUsage] = field(default_factory=dict)
    cards: set[tuple[str, str]] = field(default_factory=set)
    late: dict[str, CustomerCharges] = field(default_factory=dict)
    """Late usage of each closed period, as that period's own charges would count it."""
    notes: list[str] = field(default_factory=list)
    commitment: Commitment | None = None
    """The period's commitment (its unused part may carry over), if the card has one."""


Group = tuple[str, str | None, str, str | None]
"""(customer, use case, environment, project) of chargeback usage."""


def _not_billable(connection: Connection, period: str, registry: Registry
                  ) -> dict[Group, str]:
    """The groups of the period's usage the customer's `billable` leaves out, with why."""
    query = (select(rated.c.customer, rated.c.use_case, rated.c.environment,
                    rated.c.project).distinct()
             .where(rated.c.view == "chargeback", rated.c.period == period,
                    rated.c.customer.is_not(None), rated.c.amount.is_not(None)))
    groups = {}
    for customer, use_case, environment, project in connection.execute(query):
        reason = registry.customer(customer).billable.reason_not_billed(
            environment, use_case, project)
        if reason:
            groups[(customer, use_case, environment, project)] = reason
    return groups


def _in_group(group: Group):  # noqa: ANN202
    """True or false, never NULL: a row without a use case or project compared with a group
    that has one must be "not in it", or `NOT (...)` would drop the row from the invoice."""
    customer, use_case, environment, project = group
    return and_(rated.c.customer == customer, rated.c.environment == environment,
                rated.c.use_case.is_not_distinct_from(use_case),
                rated.c.project.is_not_distinct_from(project))


def _not_billed(connection: Connection, period: str, groups: dict[Group, str]
                ) -> dict[str, list[NotBilledUsage]]:
    """Each left-out group as the invoice lists it: counts and what it would have cost."""
    return {customer: [usage for usage, _ in found]
            for customer, found in _not_billed_priced(connection, period, groups).items()}


def not_billable_usage(connection: Connection, period: str, registry: Registry
                       ) -> list[dict[str, Any]]:
    """The period's usage each customer's `billable` leaves off its invoice, as the close
    lists it (the usage stays in showback): per customer and group, with the reason."""
    found = _not_billed_priced(connection, period, _not_billable(connection, period, registry))
    return [{"customer": customer, "use_case": usage.use_case,
             "environment": usage.environment, "project": usage.project,
             "requests": usage.requests, "tokens": usage.tokens,
             "amount": str(usage.amount), "currency": currency, "reason": usage.reason}
            for customer, rows in sorted(found.items()) for usage, currency in rows]


def not_billed_exact(connection: Connection, period: str, registry: Registry
                     ) -> dict[str, Decimal]:
    """Per customer, the exact rated amount `billable` keeps off the invoice: what its lines
    at their unit prices fall short of the customer's rated chargeback (reconcile's check)."""
    totals: dict[str, Decimal] = {}
    for group in _not_billable(connection, period, registry):
        amounts = connection.execute(select(rated.c.amount).where(
            rated.c.view == "chargeback", rated.c.period == period,
            rated.c.amount.is_not(None), _in_group(group))).scalars()
        totals[group[0]] = totals.get(group[0], Decimal(0)) + sum(
            (Decimal(amount) for amount in amounts), Decimal(0))
    return totals


def _not_billed_priced(connection: Connection, period: str, groups: dict[Group, str]
                       ) -> dict[str, list[tuple[NotBilledUsage, str]]]:
    found: dict[str, list[tuple[NotBilledUsage, str]]] = {}
    for group, reason in sorted(groups.items(), key=lambda item: (
            item[0][0], item[0][1] or "", item[0][2], item[0][3] or "")):
        rows = connection.execute(select(
            rated.c.requests, rated.c.amount, rated.c.currency,
            *[rated.c[kind[0]] for kind in TOKEN_KINDS]).where(
            rated.c.view == "chargeback", rated.c.period == period,
            rated.c.amount.is_not(None), _in_group(group))).all()
        currency = rows[0].currency
        amount = sum((Decimal(row.amount) for row in rows), Decimal(0))
        found.setdefault(group[0], []).append((NotBilledUsage(
            use_case=group[1], environment=group[2],
            requests=sum(int(row.requests) for row in rows),
            tokens=sum(int(row[3 + n] or 0) for row in rows for n in range(len(TOKEN_KINDS))),
            amount=round_line(amount, currency), reason=reason, project=group[3]), currency))
    return found


def customer_charges(connection: Connection, period: str, registry: Registry | None = None,
                     *, contracts: bool = True, locale: str | None = None
                     ) -> dict[str, CustomerCharges]:
    """Invoice lines per customer of a period, from sums the database made.

    With the parties policy's `registry`, usage a customer's `billable` leaves out makes no
    line: it is listed apart on the invoice (`not_billed`), never in the total. With
    `contracts`, the card's contract terms follow (billing.close.contract_terms), for the
    period and, for late usage of a closed one, as the change they make to that period's.
    Line descriptions are in the customer's language (`invoices.labels`), English without
    a registry."""
    left_out = _not_billable(connection, period, registry) if registry else {}
    keys = [rated.c.customer, rated.c.model, rated.c.tier, rated.c.adjusts_period,
            *[rated.c[name] for name in PRICE_KEYS]]
    sums = [func.sum(rated.c[name]).label(name)
            for name in ("requests", *[kind[0] for kind in TOKEN_KINDS], "reported_cost_nanos",
                         "web_search_requests")]
    query = (select(*keys, *sums)
             .where(rated.c.view == "chargeback", rated.c.period == period,
                    rated.c.customer.is_not(None), rated.c.amount.is_not(None),
                    *([not_(or_(*[_in_group(group) for group in left_out]))]
                      if left_out else []))
             .group_by(*keys)
             .order_by(rated.c.customer, rated.c.adjusts_period.is_not(None),
                       rated.c.adjusts_period, rated.c.model, rated.c.tier,
                       rated.c.card_version))
    charges: dict[str, CustomerCharges] = {}
    for row in connection.execute(query):
        currency, markup = row.currency, Decimal(row.markup)
        charge = charges.setdefault(row.customer, CustomerCharges(currency))
        if charge.currency != currency:
            raise ValueError(f"customer {row.customer} has usage priced in {charge.currency} "
                             f"and {currency} in {period}; bill each customer on one card")
        charge.card_versions.add(f"{row.card}@{row.card_version}")
        kind = "prior_period_adjustment" if row.adjusts_period else "usage"
        words = labels(locale or _locale(registry, row.customer))
        describe = partial(_describe, words, row)
        if not row.adjusts_period:
            charge.cards.add((row.card, row.card_version))
        late = (charge.late.setdefault(row.adjusts_period, CustomerCharges(currency))
                if row.adjusts_period else None)
        if late is not None:
            late.cards.add((row.card, row.card_version))
        for count_name, price_name, label in TOKEN_KINDS:
            tokens = int(getattr(row, count_name) or 0)
            if not tokens:
                continue
            unit_price = Decimal(getattr(row, price_name)) * (1 + markup)
            quantity = Decimal(tokens) / MILLION
            amount = round_line(quantity * unit_price, currency)
            charge.lines.append(InvoiceLine(
                description=describe(words.line_tokens, words.token_kind(label)),
                quantity=quantity,
                unit_price=unit_price, amount=amount,
                kind=kind, service_period=row.adjusts_period,
            ))
            counted = late if late is not None else charge
            tier = counted.tiers.get(row.tier, TierUsage(0, Decimal(0)))
            counted.tiers[row.tier] = TierUsage(tier.tokens + tokens, tier.amount + amount)
        fee = Decimal(row.per_request_fee)
        if fee and row.requests:
            charge.lines.append(InvoiceLine(
                description=describe(words.line_requests),
                quantity=Decimal(int(row.requests)),
                unit_price=fee, amount=round_line(int(row.requests) * fee, currency),
                kind="fee" if not row.adjusts_period else kind, unit="requests",
                service_period=row.adjusts_period,
            ))
        searches = int(row.web_search_requests or 0)
        if searches and row.web_search_price is not None:
            unit_price = Decimal(row.web_search_price) * (1 + markup)
            quantity = Decimal(searches) / THOUSAND
            amount = round_line(quantity * unit_price, currency)
            charge.lines.append(InvoiceLine(
                description=describe(words.line_tokens, words.web_searches),
                quantity=quantity, unit_price=unit_price,
                amount=amount, kind=kind, unit="k searches",
                service_period=row.adjusts_period,
            ))
            counted = late if late is not None else charge
            tier = counted.tiers.get(row.tier, TierUsage(0, Decimal(0)))
            counted.tiers[row.tier] = TierUsage(tier.tokens, tier.amount + amount)
        reported = Decimal(int(row.reported_cost_nanos or 0)) / NANOS
        if reported:
            unit_price = reported * (1 + markup)
            charge.lines.append(InvoiceLine(
                description=describe(words.line_reported), quantity=Decimal(1),
                unit_price=unit_price, amount=round_line(unit_price, currency), kind=kind,
                unit="reported", service_period=row.adjusts_period,
            ))
    for customer, usage in _not_billed(connection, period, left_out).items():
        if customer in charges:
            charges[customer].not_billed = usage
    for charge in charges.values():
        for line in charge.lines:
            if line.service_period is not None:
                late = charge.late[line.service_period]
                late.lines.append(replace(line, kind="usage", service_period=None))
    if contracts:
        for customer, charge in charges.items():
            language = locale or _locale(registry, customer)
            _apply_contract(connection, customer, charge, period, language)
            for adjusted in sorted(charge.late):
                _adjust_contract(connection, customer, charge, adjusted, period, registry,
                                 language)
    return charges


def _locale(registry: Registry | None, customer: str) -> str:
    """The customer's locale: its invoice lines are written in its language (en_US without
    a registry)."""
    return "en_US" if registry is None else registry.customer(customer).locale


def _describe(words: Labels, row: Any, template: str, kind: str = "") -> str:
    """A usage line's description: model, tier and card version in the template's words,
    prefixed by the period it belongs to when it is late usage of a closed one."""
    text = template.format(model=row.model, tier=row.tier, card_version=row.card_version,
                           kind=kind)
    if row.adjusts_period:
        return words.late_usage.format(period=row.adjusts_period, description=text)
    return text


def _card(connection: Connection, cards: set[tuple[str, str]]) -> CardVersion:
    """The card version in force at the end of a period: the newest its usage was priced with."""
    versions = [stored_version(connection, card, version) for card, version in cards]
    return max(versions, key=lambda found: (found.effective_from, found.version))


def _billed(charge: CustomerCharges) -> Decimal:
    return sum((line.amount for line in charge.lines
                if line.kind in ("usage", "fee") and line.service_period is None), Decimal(0))


def _apply_contract(connection: Connection, customer: str, charge: CustomerCharges,
                    period: str, locale: str) -> None:
    """The contract of the period's card version, as lines after the usage."""
    if not charge.cards:
        return
    card = _card(connection, charge.cards)
    charge.commitment = card.commitments.get(customer)
    carried = Decimal(0)
    if charge.commitment is not None and charge.commitment.unused == "carry_over":
        carried = sum((grant.balance for grant in available(
            connection, customer, charge.currency, period, "carry_over")), Decimal(0))
    terms = contract_lines(card, customer, charge.tiers, _billed(charge), charge.currency,
                           carried, locale=locale)
    charge.lines.extend(terms.lines)
    charge.notes.extend(terms.notes)
    charge.notes.extend(expired_carry_over(connection, customer, charge.currency, period,
                                           locale))


def _adjust_contract(connection: Connection, customer: str, charge: CustomerCharges,
                     adjusted: str, period: str, registry: Registry | None, locale: str
                     ) -> None:
    """Late usage of a closed period changes that period's contract lines (a month trued up
    to its commitment absorbs late usage up to the minimum): the change is billed now, as
    lines of that period, so the customer pays what the period would have cost in full."""
    late = charge.late[adjusted]
    own = customer_charges(connection, adjusted, registry, contracts=False).get(customer)
    own = own or CustomerCharges(charge.currency)
    card = _card(connection, own.cards | late.cards)
    tiers = dict(own.tiers)
    for tier, usage in late.tiers.items():
        before = tiers.get(tier, TierUsage(0, Decimal(0)))
        tiers[tier] = TierUsage(before.tokens + usage.tokens, before.amount + usage.amount)
    was = contract_lines(card, customer, own.tiers, _billed(own), charge.currency,
                         locale=locale)
    now = contract_lines(card, customer, tiers, _billed(own) + _billed(late), charge.currency,
                         locale=locale)
    words = labels(locale)
    carried: list[str] = []
    for kind, name in (("discount", words.late_discounts), ("true_up", words.late_true_up)):
        before, after = (sum((line.amount for line in terms.lines if line.kind == kind),
                             Decimal(0)) for terms in (was, now))
        change = after - before
        if kind == "true_up" and change < 0:
            change, carried = _from_carry_over(connection, customer, charge, card, adjusted,
                                               period, (before, after), locale)
        if change:
            charge.lines.append(InvoiceLine(
                description=words.late_contract.format(period=adjusted, terms=name),
                quantity=Decimal(1), unit_price=change, amount=change, kind=kind, unit="",
                service_period=adjusted))
    if now.lines or was.lines:
        charge.notes.append(contract_labels(locale).late_note.format(
            period=adjusted, amount=format_money(_billed(late), charge.currency, locale),
            notes=" ".join(now.notes)))
    charge.notes.extend(carried)


def _from_carry_over(connection: Connection, customer: str, charge: CustomerCharges,
                     card: CardVersion, adjusted: str, period: str,
                     unused: tuple[Decimal, Decimal], locale: str
                     ) -> tuple[Decimal, list[str]]:
    """Late usage that lowers a closed period's true-up uses commitment that period left
    unused; when the card carried that over, it was granted to the customer at the close.
    The grant is never changed: the late usage is paid from what is left of it, as a
    carry-over line of that period (drawn at the close, `credits.settle`), and a true-up
    credit remains only for carried-over commitment that expired unused. Part of it used by
    later months meanwhile is not credited again: the late usage is billed for it.
    `unused` is the period's true-up (its unused commitment) before and with the late usage.
    Returns the true-up change still to credit, and the note that says so."""
    change = unused[1] - unused[0]
    commitment = card.commitments.get(customer)
    if commitment is None or commitment.unused != "carry_over":
        return change, []
    grant = carried_over_from(connection, customer, charge.currency, adjusted, period)
    if grant is None:
        return change, []
    current = -sum((line.amount for line in charge.lines
                    if line.kind == "carry_over" and line.service_period is None), Decimal(0))
    planned = {item.grant_id: part for item, part in draw(available(
        connection, customer, charge.currency, period, "carry_over"), current)}
    absorbed = -change
    used = min(grant.usable - planned.get(grant.grant_id, Decimal(0)), absorbed)
    rules = contract_labels(locale)
    notes = []
    if used > 0:
        charge.lines.append(InvoiceLine(
            description=rules.late_carry_over.format(period=adjusted), quantity=Decimal(1),
            unit_price=-used, amount=-used, kind="carry_over", unit="",
            service_period=adjusted))
        money = partial(format_money, currency=charge.currency, locale=locale)
        notes.append(rules.late_carry_over_note.format(
            period=adjusted, was=money(unused[0]), now=money(unused[1]), change=money(used)))
    return -min(grant.expired, absorbed - max(used, Decimal(0))), notes


def build_invoice(
    customer: str, charges: CustomerCharges, *, number: str, period: str, registry: Registry,
    issued_on: date, policy_versions: dict[str, str] | None = None,
) -> ChargebackInvoice:
    entry = registry.customer(customer)
    issuer = registry.issuer
    tax = treatment(issuer, entry)
    notes = list(charges.notes)
    if len(entry.tax_ids) > 1:  # the first is printed with the bill-to address
        notes.append("Customer tax ids: " + ", ".join(entry.tax_id_values))
    if tax.note:
        notes.append(tax.note)
    issuer_party = issuer.party
    if tax.issuer_tax_id:
        kind, value = split_tax_id(tax.issuer_tax_id)
        issuer_party = replace(issuer_party, tax_id=value, tax_id_type=kind)
    return ChargebackInvoice(
        invoice_number=number,
        issuer=issuer_party, bill_to=entry.party,
        period=period, issue_date=issued_on,
        due_date=issued_on + timedelta(days=entry.payment_terms_days),
        currency=charges.currency, locale=entry.locale, lines=charges.lines,
        tax_rate=tax.rate, tax_label=tax.label,
        card_versions=sorted(charges.card_versions), notes=notes,
        policy_versions=document_versions(policy_versions or {}, INVOICE_POLICIES),
        not_billed=charges.not_billed, payment=issuer.payment,
        purchase_order=entry.purchase_order, customer_reference=entry.reference,
    )
