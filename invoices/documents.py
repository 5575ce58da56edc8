"""The documents of a close as plain data: showback statements, chargeback invoices, credit notes.

This is the contract between the engine and the documents. `billing/close/` fills these
frozen dataclasses; `invoices.pdf` renders them and `invoices.json_twin` writes the JSON
stored beside each PDF. Money is Decimal, already rounded half-up to the currency's minor
unit at each line (a document checks that and refuses anything else). Totals are never
stored: they are properties that sum the lines, so a document cannot disagree with itself.
Lists may be passed as lists; they are kept as tuples so a finished document cannot change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from invoices.money import require_rounded, round_half_up
from invoices.review import KpiLine, PromotedChange
from ratecards import currency_exponent

ENVIRONMENTS = ("production", "staging", "development", "test")
TREATMENTS = ("charged", "central")
ACTIONS = ("approve", "adjust", "stop")
LINE_KINDS = ("usage", "fee", "discount", "true_up", "carry_over", "credit",
              "prior_period_adjustment")
UNIT_COST = Decimal("0.0001")
# A billing month as billing.period.PATTERN writes it; this package imports nothing of billing,
# so it checks the form of its own data (ASCII digits, nothing before or after).
_PERIOD = re.compile(r"[1-9][0-9]{3}-(0[1-9]|1[0-2])")


def _freeze(document: Any, *names: str) -> None:
    for name in names:
        object.__setattr__(document, name, tuple(getattr(document, name)))


def _check_period(period: str, where: str) -> None:
    if not isinstance(period, str) or not _PERIOD.fullmatch(period):
        raise ValueError(f"{where}: period {period!r} is not a month written YYYY-MM, "
                         "such as 2026-10")


def _check_count(value: int, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{where}: {value!r} is not a whole count >= 0")


def _canonical_money(document: Any, currency: str, where: str, *names: str) -> None:
    """Check each money field is rounded to the minor unit and store its canonical form."""
    for name in names:
        value = getattr(document, name)
        if value is not None:
            object.__setattr__(document, name, require_rounded(value, currency, f"{where}.{name}"))


def _sum(amounts: Any) -> Decimal:
    return sum(amounts, Decimal(0))


@dataclass(frozen=True)
class Party:
    """Who issues or receives a document, as printed in its address block."""

    name: str
    address: tuple[str, ...] = ()
    email: str | None = None
    tax_id: str | None = None
    locale: str = "en_US"
    tax_id_type: str | None = None
    """Stripe's type of `tax_id` (`eu_vat`, `us_ein`): it names the id on the document."""

    def __post_init__(self) -> None:
        _freeze(self, "address")


@dataclass(frozen=True)
class PaymentDetails:
    """How to pay the issuer: printed under an invoice's lines."""

    bank: str | None = None
    account_name: str | None = None
    iban: str | None = None
    bic: str | None = None
    account_number: str | None = None
    routing_number: str | None = None
    instructions: str | None = None


# ---------------------------------------------------------------------------------------------
# Showback statement


@dataclass(frozen=True)
class StatementLine:
    """One priced group of a team's usage: use case x model x tier x environment.

    `use_case` None is usage no use case was attributed to (printed "unattributed"). Whether
    the environment is production is the statement's to say (`production_environments`).
    """

    use_case: str | None
    model: str
    tier: str | None
    environment: str
    requests: int
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int
    amount: Decimal


@dataclass(frozen=True)
class Ownership:
    """Who is Responsible, Accountable, Consulted and Informed: people or functions."""

    responsible: tuple[str, ...] = ()
    accountable: tuple[str, ...] = ()
    consulted: tuple[str, ...] = ()
    informed: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _freeze(self, "responsible", "accountable", "consulted", "informed")


@dataclass(frozen=True)
class UseCaseNote:
    """What a use case on a statement is: its owner, what counts as an outcome, the rule that
    accepts one and the guardrail that must hold. None is printed "not defined"."""

    use_case: str
    owner: str | None = None
    outcome: str | None = None
    acceptance_rule: str | None = None
    guardrail: str | None = None
    ownership: Ownership | None = None


@dataclass(frozen=True)
class OverheadShare:
    """A team's share of one overhead pool; `charged` adds to its total, `central` does not."""

    pool: str
    driver: str
    treatment: str
    amount: Decimal
    explanation: str | None = None
    """How the share was derived (pool amount, driver, the team's quantity), as printed."""
    fx_rate: Decimal | None = None
    """The recorded rate a pool in another currency was converted at (None: not converted)."""
    source_amount: Decimal | None = None
    """The pool's amount in its own currency, before conversion."""
    source_currency: str | None = None


@dataclass(frozen=True)
class OutcomeSummary:
    """Outcomes of one use case in the period, and the spend they are measured against.

    `cost` is the use case's spend the caller divides by accepted outcomes (usually its
    production lines); cost per accepted outcome is derived, rounded half-up once.
    """

    use_case: str
    accepted: int
    total: int
    cost: Decimal
    unit_cost: Decimal | None = None
    """Cost per accepted outcome as the engine defines it; derived here only when not given."""

    @property
    def pass_rate(self) -> Decimal | None:
        """Accepted / total as a fraction, or None when there were no outcomes at all."""
        return Decimal(self.accepted) / Decimal(self.total) if self.total else None

    def cost_per_accepted(self, currency: str) -> Decimal | None:
        """Cost / accepted outcomes (the engine's figure when given, else half-up to four
        places, the precision unit costs are shown at); None with no accepted outcome."""
        if not self.accepted:
            return None
        if self.unit_cost is not None:
            return self.unit_cost
        return (self.cost / Decimal(self.accepted)).quantize(UNIT_COST, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Recommendation:
    """What the statement suggests the budget holder does, and the rule that said so."""

    action: Literal["approve", "adjust", "stop"]
    rule: str


@dataclass(frozen=True)
class ServiceLevel:
    """How one tier served the team in the period against the SLO its card promises; rates
    are fractions as decimal strings ("0.012500"), latencies milliseconds (None: none
    reported). `slo` holds the card's items as "name:target" ("p95_latency_ms:2000"),
    `breached` the names of those missed."""

    tier: str
    calls: int
    p50_latency_ms: int | None
    p95_latency_ms: int | None
    error_rate: str | None
    rate_limited_rate: str | None
    availability: str | None
    slo: tuple[str, ...] = ()
    breached: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShowbackStatement:
    """Per team per period: what it spent, on what, against its budget; no money moves.

    `volume_effect` and `price_effect` split the change against last month into more or less
    usage and higher or lower unit cost; both come from the caller. Whatever the two do not
    explain (overhead, mix) is `other_effect`, so the bridge always adds up.
    """

    statement_number: str
    team: str
    period: str
    issuer: Party
    locale: str
    currency: str
    generated_at: datetime
    card_versions: tuple[str, ...]
    lines: tuple[StatementLine, ...]
    policy_versions: tuple[str, ...] = ()
    overhead: tuple[OverheadShare, ...] = ()
    outcomes: tuple[OutcomeSummary, ...] = ()
    changes: tuple[str, ...] = ()
    budget: Decimal | None = None
    last_month_total: Decimal | None = None
    volume_effect: Decimal | None = None
    price_effect: Decimal | None = None
    recommendation: Recommendation | None = None
    owner: str | None = None
    """Who is accountable for the team's spend, as the parties policy names them."""
    ownership: Ownership | None = None
    use_cases: tuple[UseCaseNote, ...] = ()
    production_environments: tuple[str, ...] = ("production",)
    """The environments of the lines that are production; every other one is not."""
    contract: tuple[InvoiceLine, ...] = ()
    """Discounts and true-up the team's card declares for it, each with its rule in
    `contract_notes`; part of the total."""
    contract_notes: tuple[str, ...] = ()
    kpis: tuple[KpiLine, ...] = ()
    """The team's KPI review of the period (`invoices.review`), printed on a page of its own."""
    promoted_changes: tuple[PromotedChange, ...] = ()
    """Gated changes shipped for the team's use cases, with their measured effect."""
    service_levels: tuple[ServiceLevel, ...] = ()
    """Each tier's latency, error and 429 rates against its SLO; printed on the statement
    (an internal document), never on an invoice."""

    def __post_init__(self) -> None:
        where = f"statement {self.statement_number}"
        _freeze(self, "card_versions", "policy_versions", "lines", "overhead", "outcomes",
                "changes", "use_cases", "production_environments", "contract",
                "contract_notes", "kpis", "promoted_changes")
        _check_invoice_lines(self.contract, self.currency, f"{where}: contract")
        _check_period(self.period, where)
        currency_exponent(self.currency)
        if self.generated_at.tzinfo is None:
            raise ValueError(f"{where}: generated_at needs a time zone (e.g. UTC)")
        _canonical_money(self, self.currency, where, "budget", "last_month_total",
                         "volume_effect", "price_effect")
        for n, line in enumerate(self.lines, start=1):
            if not isinstance(line.environment, str) or not line.environment.strip():
                raise ValueError(f"{where}: line {n}: environment {line.environment!r} is not "
                                 "an environment name")
            for name in ("requests", "input_tokens", "output_tokens", "cached_input_tokens"):
                _check_count(getattr(line, name), f"{where}: line {n}: {name}")
            _canonical_money(line, self.currency, f"{where}: line {n}", "amount")
        for share in self.overhead:
            if share.treatment not in TREATMENTS:
                raise ValueError(f"{where}: overhead {share.pool!r}: treatment "
                                 f"{share.treatment!r} is not charged or central")
            _canonical_money(share, self.currency, f"{where}: overhead {share.pool}", "amount")
            if share.source_currency is not None:
                currency_exponent(share.source_currency)
                _canonical_money(share, share.source_currency,
                                 f"{where}: overhead {share.pool}", "source_amount")
        for outcome in self.outcomes:
            _check_count(outcome.accepted, f"{where}: outcomes {outcome.use_case}: accepted")
            _check_count(outcome.total, f"{where}: outcomes {outcome.use_case}: total")
            if outcome.accepted > outcome.total:
                raise ValueError(f"{where}: outcomes {outcome.use_case}: accepted "
                                 f"{outcome.accepted} exceeds total {outcome.total}")
            _canonical_money(outcome, self.currency, f"{where}: outcomes {outcome.use_case}",
                             "cost")
        if self.recommendation and self.recommendation.action not in ACTIONS:
            raise ValueError(f"{where}: recommendation {self.recommendation.action!r} is not "
                             f"one of {', '.join(ACTIONS)}")

    @property
    def production_lines(self) -> tuple[StatementLine, ...]:
        return tuple(line for line in self.lines if self.is_production(line))

    @property
    def non_production_lines(self) -> tuple[StatementLine, ...]:
        return tuple(line for line in self.lines if not self.is_production(line))

    def is_production(self, line: StatementLine) -> bool:
        return line.environment in self.production_environments

    @property
    def production_total(self) -> Decimal:
        return _sum(line.amount for line in self.production_lines)

    @property
    def non_production_total(self) -> Decimal:
        return _sum(line.amount for line in self.non_production_lines)

    @property
    def usage_total(self) -> Decimal:
        return _sum(line.amount for line in self.lines)

    @property
    def charged_overhead_total(self) -> Decimal:
        return _sum(s.amount for s in self.overhead if s.treatment == "charged")

    @property
    def central_overhead_total(self) -> Decimal:
        return _sum(s.amount for s in self.overhead if s.treatment == "central")

    @property
    def contract_total(self) -> Decimal:
        return _sum(line.amount for line in self.contract)

    @property
    def total(self) -> Decimal:
        return self.usage_total + self.contract_total + self.charged_overhead_total

    @property
    def variance(self) -> Decimal | None:
        """Usage minus budget: positive is over budget. None without a budget.

        A budget governs usage, the spend the gateway checks against it during the month;
        overhead is allocated only at the close, so it is shown apart and not held against it.
        """
        return None if self.budget is None else self.usage_total - self.budget

    @property
    def total_variance(self) -> Decimal | None:
        """Total (usage plus charged overhead) minus budget: what the team costs against it."""
        return None if self.budget is None else self.total - self.budget

    @property
    def total_variance_percent(self) -> Decimal | None:
        if self.budget is None or self.budget == 0:
            return None
        return (self.total - self.budget) / self.budget

    @property
    def variance_percent(self) -> Decimal | None:
        """Variance as a fraction of budget (0.125 is 12.5 % over); None without a budget."""
        if self.budget is None or self.budget == 0:
            return None
        return (self.usage_total - self.budget) / self.budget

    @property
    def change_vs_last_month(self) -> Decimal | None:
        return None if self.last_month_total is None else self.total - self.last_month_total

    @property
    def other_effect(self) -> Decimal | None:
        """The part of the change that volume and price do not explain (overhead, mix)."""
        change = self.change_vs_last_month
        if change is None or self.volume_effect is None or self.price_effect is None:
            return None
        return change - self.volume_effect - self.price_effect


# ---------------------------------------------------------------------------------------------
# Chargeback invoice and credit note


@dataclass(frozen=True)
class InvoiceLine:
    """One billed line: quantity (million tokens, by default) x unit price = amount.

    `amount` is the engine's rounded line amount; it is printed as given and is what the
    document sums. `kind` is usage, fee, discount, true_up, carry_over (unused commitment of
    earlier months used), credit (prepaid credit drawn) or prior_period_adjustment (late usage
    of a closed period, with `service_period` naming that period).
    """

    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    kind: str = "usage"
    unit: str = "M tokens"
    service_period: str | None = None


@dataclass(frozen=True)
class NotBilledUsage:
    """Usage of the customer the contract does not bill: shown apart, never in the total.

    `amount` is what it would have cost on the customer's card, rounded like a line."""

    use_case: str | None
    environment: str
    requests: int
    tokens: int
    amount: Decimal
    reason: str
    project: str | None = None


def _check_invoice_lines(lines: tuple[InvoiceLine, ...], currency: str, where: str) -> None:
    for n, line in enumerate(lines, start=1):
        at = f"{where}: line {n}"
        if line.kind not in LINE_KINDS:
            raise ValueError(f"{at}: kind {line.kind!r} is not one of {', '.join(LINE_KINDS)}")
        for name in ("quantity", "unit_price"):
            if not isinstance(getattr(line, name), Decimal):
                raise TypeError(f"{at}: {name} must be a Decimal")
        if line.service_period is not None:
            _check_period(line.service_period, at)
        _canonical_money(line, currency, at, "amount")


def _check_tax_rate(rate: Decimal, where: str) -> None:
    if not isinstance(rate, Decimal) or not Decimal(0) <= rate < Decimal(1):
        raise ValueError(f"{where}: tax_rate {rate!r} must be a Decimal fraction like 0.19")


class _TaxedLines:
    """Subtotal, tax and total of a billed document: tax on the subtotal, rounded once."""

    lines: tuple[InvoiceLine, ...]
    tax_rate: Decimal
    currency: str

    @property
    def subtotal(self) -> Decimal:
        return _sum(line.amount for line in self.lines)

    @property
    def tax(self) -> Decimal:
        return round_half_up(self.subtotal * self.tax_rate, self.currency)

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax


@dataclass(frozen=True)
class ChargebackInvoice(_TaxedLines):
    """Per customer per period: what the customer owes. Tax is on the subtotal, rounded once."""

    invoice_number: str
    issuer: Party
    bill_to: Party
    period: str
    issue_date: date
    due_date: date
    currency: str
    locale: str
    lines: tuple[InvoiceLine, ...]
    tax_rate: Decimal = Decimal(0)
    tax_label: str = "Tax"
    card_versions: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    policy_versions: tuple[str, ...] = ()
    not_billed: tuple[NotBilledUsage, ...] = ()
    payment: PaymentDetails | None = None
    purchase_order: str | None = None
    customer_reference: str | None = None
    payment_url: str | None = None
    """Stripe's hosted-invoice page, where the customer can pay, when known at issue."""
    prepaid: tuple[InvoiceLine, ...] = ()
    """Prepaid credit applied to the total after tax (negative `credit` lines)."""

    def __post_init__(self) -> None:
        where = f"invoice {self.invoice_number}"
        _freeze(self, "lines", "card_versions", "notes", "policy_versions", "not_billed",
                "prepaid")
        _check_invoice_lines(self.prepaid, self.currency, f"{where}: prepaid")
        for n, line in enumerate(self.prepaid, start=1):
            if line.kind != "credit" or line.amount >= 0:
                raise ValueError(f"{where}: prepaid {n}: a prepaid credit line is a negative "
                                 "amount of kind credit")
        if self.prepaid and self.prepaid_applied > self.total:
            raise ValueError(f"{where}: prepaid credit {self.prepaid_applied} exceeds the total "
                             f"{self.total}; apply at most what the invoice totals")
        _check_period(self.period, where)
        currency_exponent(self.currency)
        _check_tax_rate(self.tax_rate, where)
        if self.due_date < self.issue_date:
            raise ValueError(f"{where}: due date {self.due_date} is before issue date "
                             f"{self.issue_date}")
        _check_invoice_lines(self.lines, self.currency, where)
        for n, usage in enumerate(self.not_billed, start=1):
            at = f"{where}: not billed {n}"
            _check_count(usage.requests, f"{at}: requests")
            _check_count(usage.tokens, f"{at}: tokens")
            _canonical_money(usage, self.currency, at, "amount")

    @property
    def prepaid_applied(self) -> Decimal:
        """Prepaid credit paying this invoice: an advance payment, so it is applied to the
        total after tax (like Stripe's customer credit balance) and never lowers the taxable
        subtotal, as discounts and commitments, which are lines, do."""
        return -_sum(line.amount for line in self.prepaid)

    @property
    def amount_due(self) -> Decimal:
        """What the customer still pays: the total less prepaid credit applied."""
        return self.total - self.prepaid_applied

    @property
    def not_billed_amount(self) -> Decimal:
        """What the usage not billed would have cost: shown, never added to the total."""
        return _sum(usage.amount for usage in self.not_billed)


@dataclass(frozen=True)
class CreditNote(_TaxedLines):
    """A correction to a finalised invoice: new document, own number, positive credit amounts."""

    credit_note_number: str
    invoice_number: str
    issuer: Party
    bill_to: Party
    period: str
    issue_date: date
    currency: str
    locale: str
    reason: str
    lines: tuple[InvoiceLine, ...]
    tax_rate: Decimal = Decimal(0)
    tax_label: str = "Tax"

    def __post_init__(self) -> None:
        where = f"credit note {self.credit_note_number}"
        _freeze(self, "lines")
        _check_period(self.period, where)
        currency_exponent(self.currency)
        _check_tax_rate(self.tax_rate, where)
        if not self.reason.strip():
            raise ValueError(f"{where}: say why the credit is given (reason)")
        _check_invoice_lines(self.lines, self.currency, where)
        for n, line in enumerate(self.lines, start=1):
            if line.amount < 0:
                raise ValueError(f"{where}: line {n}: credit amounts are positive; the document "
                                 "itself says it is a credit")



Document = ShowbackStatement | ChargebackInvoice | CreditNote


__all__ = [
    "ACTIONS", "ENVIRONMENTS", "LINE_KINDS", "TREATMENTS", "ChargebackInvoice", "CreditNote",
    "Document", "InvoiceLine", "NotBilledUsage", "OutcomeSummary", "OverheadShare",
    "Ownership", "Party", "PaymentDetails", "Recommendation", "ShowbackStatement", "StatementLine",
    "UseCaseNote",
]
