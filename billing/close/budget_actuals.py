"""Budget variance as the documents show it: a scope's actual is its statement's or invoice's
lines, so `billing budgets list`, the API, the dashboard and the statement print one variance.

A team's usage is its statement's usage total; its total adds the charged overhead. A use case's
usage is the sum of its statement lines, its total adds its share of overhead (as cost per
accepted outcome counts it). A customer's usage is its invoice's usage lines, its total adds
the contract's discounts and true-up (no overhead: that is the company's cost, not the
customer's). The gateway's allow/warn/block check stays on the exact running totals, answered
in one indexed read.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from billing.budgets.budget import use_case_key
from billing.budgets.store import Actual, BudgetReport, budget_reports
from billing.close.chargeback import CONTRACT_KINDS, customer_charges
from billing.close.lines import period_lines, use_case_overhead
from billing.rating.overhead import Pool


def document_actuals(engine: Engine, period: str, *, pools: list[Pool] | None,
                     now: datetime | None = None, zone: ZoneInfo | None = None
                     ) -> dict[tuple[str, str], Actual]:
    """(scope kind, scope key) -> the scope's usage and total on its documents."""
    actuals: dict[tuple[str, str], Actual] = {}
    for team, lines in period_lines(engine, period, pools=pools, now=now, zone=zone).items():
        actuals[("team", team)] = Actual(lines.usage_total, lines.total, lines.currency)
        overhead = use_case_overhead(lines)
        for use_case, usage in lines.by("use_case").items():
            if use_case:
                actuals[("use_case", use_case_key(team, use_case))] = Actual(
                    usage, usage + overhead.get(use_case, Decimal(0)), lines.currency)
    with engine.connect() as connection:
        for customer, charges in customer_charges(connection, period).items():
            total = sum((line.amount for line in charges.lines), Decimal(0))
            usage = sum((line.amount for line in charges.lines
                         if line.kind not in CONTRACT_KINDS), Decimal(0))
            actuals[("customer", customer)] = Actual(usage, total, charges.currency)
    return actuals


def budget_variances(engine: Engine, period: str, *, pools: list[Pool] | None, zone: ZoneInfo,
                     now: datetime | None = None, team: str | None = None
                     ) -> list[BudgetReport]:
    """Every budget of a period (or a team's) against what its documents show."""
    return budget_reports(engine, period, zone=zone, now=now, team=team,
                          actuals=document_actuals(engine, period, pools=pools, now=now,
                                                   zone=zone))
