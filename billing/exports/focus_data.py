"""The database side of the FOCUS export: rated lines summed by the database, overhead shares.

The database groups the period's rated lines by everything a FOCUS row names (day, team, use
case, customer, environment, model, tier, card version and its prices) and sums their counts,
so a re-rated or incrementally rated day is one group, and no raw line passes through Python.
`ListCost` and `ContractedCost` follow from the summed quantities and the card's prices,
exactly. `BilledCost` and `EffectiveCost` are what the documents bill: each statement (or
invoice) line's rounded amount spread over its rows by largest remainder, so a team's rows add
up to its statement, and a customer's to its invoice, to the cent.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, select

from billing.close.chargeback import CONTRACT_KINDS, customer_charges
from billing.close.credits import prepaid_drawn
from billing.close.lines import period_lines
from billing.config import Settings
from billing.exports.focus import (
    COLUMNS,
    DECIMAL_COLUMNS,
    TIMESTAMP_COLUMNS,
    ContractCharge,
    FocusContext,
    OverheadCharge,
    UsageGroup,
    focus_rows,
)
from billing.exports.tables import TableSchema
from billing.models import Document, RatedLine
from billing.money import apportion
from billing.policies.in_force import policies_for

rated = RatedLine.__table__
documents = Document.__table__
KEYS = ("usage_date", "team", "use_case", "customer", "environment", "provider", "model", "tier",
        "card", "card_version", "currency", "adjusts_period", "attributed_by", "input_price",
        "output_price", "cached_input_price", "cache_write_input_price", "markup",
        "per_request_fee", "web_search_price")
FOCUS_SCHEMA = TableSchema(COLUMNS, decimals=DECIMAL_COLUMNS, timestamps=TIMESTAMP_COLUMNS,
                           trim_zeros=True)
COUNTS = ("requests", "input_tokens", "output_tokens", "cached_input_tokens",
          "cache_write_input_tokens", "reported_cost_nanos", "web_search_requests")


class NoRatedUsage(LookupError):
    """The period has no priced usage in the view asked for: nothing to export."""


@dataclass(frozen=True)
class FocusDataset:
    """An export's rows, and what was left out and why (unpriced lines have no cost to show)."""

    period: str
    view: str
    rows: list[dict[str, Any]]
    unpriced_lines: int

    def summary(self) -> dict[str, Any]:
        """Rows and cost totals per currency: what a person checks against the statements."""
        totals: dict[str, dict[str, Decimal]] = defaultdict(
            lambda: {"billed_cost": Decimal(0), "effective_cost": Decimal(0),
                     "list_cost": Decimal(0), "overhead": Decimal(0)})
        for row in self.rows:
            total = totals[row["BillingCurrency"]]
            total["billed_cost"] += row["BilledCost"]
            total["effective_cost"] += row["EffectiveCost"]
            total["list_cost"] += row["ListCost"]
            if row["x_OverheadPool"]:
                total["overhead"] += row["BilledCost"]
        return {"period": self.period, "view": self.view, "rows": len(self.rows),
                "overhead_rows": sum(1 for row in self.rows if row["x_OverheadPool"]),
                "unpriced_lines_left_out": self.unpriced_lines,
                "totals": {currency: {name: str(value) for name, value in total.items()}
                           for currency, total in sorted(totals.items())}}


def usage_groups(engine: Engine, period: str, view: str) -> tuple[list[UsageGroup], int]:
    """Priced usage of a period in one view, summed per FOCUS key; and how many lines were
    unpriced (kept out: a model no card prices has no cost yet)."""
    keys = [rated.c[name] for name in KEYS]
    sums = [func.sum(rated.c[name]).label(name) for name in COUNTS]
    where = (rated.c.view == view, rated.c.period == period)
    query = (select(*keys, *sums).where(*where, rated.c.amount.is_not(None))
             .group_by(*keys).order_by(*keys[:9], rated.c.card_version))
    unpriced = select(func.count()).select_from(rated).where(*where, rated.c.amount.is_(None))
    with engine.connect() as connection:
        invoices = document_numbers(connection, period, view)
        groups = [
            UsageGroup(view=view, period=period,
                       **{name: row._mapping[name] for name in KEYS},
                       **{name: int(row._mapping[name] or 0) for name in COUNTS},
                       invoice_id=invoices.get(row.customer if view == "chargeback"
                                               else row.team))
            for row in connection.execute(query)
        ]
        return groups, int(connection.execute(unpriced).scalar_one())


def document_numbers(connection: Any, period: str, view: str) -> dict[str, str]:
    """Each team's statement (showback) or customer's invoice number, once the period is
    closed: the document a FOCUS row's charge is on."""
    kind = "invoice" if view == "chargeback" else "statement"
    query = select(documents.c.subject, documents.c.number).where(
        documents.c.kind == kind, documents.c.period == period)
    return {subject: number for subject, number in connection.execute(query)}


def charged_overhead(engine: Engine, settings: Settings, period: str,
                     now: datetime | None = None) -> list[OverheadCharge]:
    """Each team's share of the charged pools, as on its statement: central pools are not
    billed to teams."""
    pools = [pool for pool in policies_for(engine, period).pools
             if pool.applies_to(period) and pool.treatment == "charged"]
    if not pools:
        return []
    lines = period_lines(engine, period, pools=pools, now=now, zone=settings.zone)
    with engine.connect() as connection:
        statements = document_numbers(connection, period, "showback")
    return [OverheadCharge(team, share.pool, share.driver, share.amount, share.pool_currency,
                           statements.get(team))
            for team, team_lines in sorted(lines.items()) for share in team_lines.overhead]


def contract_charges(engine: Engine, period: str) -> list[ContractCharge]:
    """The discount and true-up lines of the period's invoices, built as the close builds
    them, and the prepaid credit they drew, so a customer's FOCUS rows add up to its
    invoice's subtotal."""
    registry = policies_for(engine, period).registry
    with engine.connect() as connection:
        # FOCUS strings are ASCII (StringHandling): contract lines in English, whatever the
        # language of the customer's invoice
        charges = customer_charges(connection, period, registry, locale="en_US")
        invoices = document_numbers(connection, period, "chargeback")
        credits = prepaid_drawn(connection, period)
    return [ContractCharge(customer, line.kind, line.description, line.amount, charge.currency,
                           invoices.get(customer))
            for customer, charge in sorted(charges.items())
            for line in charge.lines if line.kind in CONTRACT_KINDS] + [
        ContractCharge(customer, line.kind, line.description, line.amount, currency,
                       invoices.get(customer)) for customer, line, currency in credits]


SHOWBACK_LINE = ("x_Team", "x_AdjustsPeriod", "x_UseCase", "x_Model", "x_Tier",
                 "x_Environment")
INVOICE_LINE = ("x_Customer", "x_AdjustsPeriod", "x_Model", "SkuPriceId", "ContractedUnitPrice")


def bill_as_documents(rows: list[dict[str, Any]], view: str) -> None:
    """Set each usage row's BilledCost and EffectiveCost to its part of the document line it
    is on (the line's rounded amount by largest remainder of the rows' exact costs)."""
    key_names = INVOICE_LINE if view == "chargeback" else SHOWBACK_LINE
    by_line: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if not row["x_OverheadPool"] and row["ChargeCategory"] == "Usage":
            by_line[(row["BillingCurrency"], *(row[name] for name in key_names))].append(row)
    for (currency, *_), members in by_line.items():
        parts = apportion([row["ContractedCost"] for row in members], currency)
        for row, part in zip(members, parts, strict=True):
            row["BilledCost"] = row["EffectiveCost"] = row["PricingCurrencyEffectiveCost"] = part


def focus_dataset(engine: Engine, settings: Settings, period: str,
                  view: str = "showback") -> FocusDataset:
    """A period's FOCUS rows: usage of the view, and in showback the charged overhead shares.

    Overhead is the teams' cost, not the customers', so the chargeback view has none.
    """
    groups, unpriced = usage_groups(engine, period, view)
    now = datetime.now(UTC)
    overhead = charged_overhead(engine, settings, period, now) if view == "showback" else []
    if not groups and not overhead:
        raise NoRatedUsage(f"no rated usage in {period} ({view} view); ingest usage and run "
                           "`billing rate`, or check the period with `billing coverage`")
    issuer = policies_for(engine, period).registry.issuer.name
    context = FocusContext(period=period, zone=settings.zone, issuer=issuer, view=view)
    contracts = contract_charges(engine, period) if view == "chargeback" else []
    rows = focus_rows(groups, overhead, context, contracts)
    bill_as_documents(rows, view)
    return FocusDataset(period, view, rows, unpriced)
