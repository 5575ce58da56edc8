"""Budgets in the database: set and list them, answer the gateway's status check, report
variance for a period, and raise threshold and hard-cap alerts.

The status check reads only the budget rows of the asked scopes, each joined to its running
spend total (`billing.budgets.spend_totals`) on the unique index, so its cost does not grow with the
ledger. The decisions themselves are `billing.budgets.budget`, pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, and_, insert, or_, select, update

from billing.budgets import budget as budgets
from billing.budgets.alerts import Alert, dedupe_key, raise_alerts
from billing.budgets.budget import Budget, Scope, Status
from billing.budgets.freshness import invalidate
from billing.db import write_transaction
from billing.models import BudgetEntry, SpendTotal
from billing.rating.card_registry import published_versions

table = BudgetEntry.__table__
totals = SpendTotal.__table__


def _budget(row: Any) -> Budget:
    scope = Scope(row.scope_kind, row.scope_key, row.team, row.use_case, row.customer)
    return Budget(scope, row.period, row.amount, row.currency,
                  budgets.parse_thresholds(row.thresholds), row.warn_percent, row.hard_cap)


def _percent_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def set_budget(engine: Engine, budget: Budget, *, set_by: str = "",
               now: datetime | None = None) -> tuple[Budget, bool]:
    """Create or replace the budget of a scope and period; returns it and whether it is new.

    Thresholds already crossed by the spend so far alert at once (and only once).
    """
    now = now or datetime.now(UTC)
    values = {
        "period": budget.period, "scope_kind": budget.scope.kind, "scope_key": budget.scope.key,
        "team": budget.scope.team, "use_case": budget.scope.use_case,
        "customer": budget.scope.customer, "currency": budget.currency,
        "amount": budget.amount,
        "thresholds": ",".join(_percent_text(t) for t in budget.thresholds),
        "warn_percent": budget.warn_percent, "hard_cap": budget.hard_cap, "set_by": set_by,
        "updated_at": now,
    }
    with write_transaction(engine) as connection:
        found = connection.execute(select(table.c.id).where(*_scope_filter(
            budget.period, budget.scope.kind, budget.scope.key))).scalar()
        if found is None:
            connection.execute(insert(table).values(values))
        else:
            connection.execute(update(table).where(table.c.id == found).values(values))
        evaluate_thresholds(connection, [(budget.period, budget.scope.kind, budget.scope.key)],
                            now=now)
    invalidate()
    return budget, found is None


def _scope_filter(period: str, kind: str, key: str) -> list:
    return [table.c.period == period, table.c.scope_kind == kind, table.c.scope_key == key]


def get_budget(engine: Engine, team: str | None, period: str, *, use_case: str | None = None,
               customer: str | None = None) -> Budget | None:
    """The budget of a team (or its use case, or a customer) for a period, if one is set."""
    scope = Scope.of(team, use_case, customer)
    with engine.connect() as connection:
        row = connection.execute(
            select(table).where(*_scope_filter(period, scope.kind, scope.key))).first()
    return None if row is None else _budget(row)


def list_budgets(engine: Engine, *, period: str | None = None,
                 team: str | None = None) -> list[Budget]:
    query = select(table).order_by(table.c.period, table.c.scope_kind, table.c.scope_key)
    if period:
        query = query.where(table.c.period == period)
    if team:
        query = query.where(table.c.team == team)
    with engine.connect() as connection:
        return [_budget(row) for row in connection.execute(query)]


def _spent_column():  # noqa: ANN202
    return (select(totals.c.amount).where(
        totals.c.period == table.c.period, totals.c.scope_kind == table.c.scope_kind,
        totals.c.scope_key == table.c.scope_key, totals.c.currency == table.c.currency,
    ).scalar_subquery().label("spent"))


def _budgets_with_spend(connection: Connection, period: str,
                        scopes: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple]:
    wanted = [and_(table.c.scope_kind == kind, table.c.scope_key == key)
              for kind, key in scopes]
    if not wanted:
        return {}
    rows = connection.execute(
        select(table, _spent_column()).where(table.c.period == period, or_(*wanted)))
    return {(row.scope_kind, row.scope_key): (_budget(row), row.spent or Decimal(0))
            for row in rows}


@dataclass(frozen=True)
class GatewayStatus:
    """What the gateway asked for: one decision over every budget that applies to the call."""

    team: str
    period: str
    decision: str
    team_status: Status
    checks: list[Status] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        head = self.team_status.to_dict()
        return {"team": self.team, "period": self.period, "decision": self.decision,
                **{k: head[k] for k in ("currency", "spent", "budget", "remaining",
                                        "percent_used", "hard_cap")},
                "checks": [status.to_dict() for status in self.checks]}


def gateway_status(engine: Engine, team: str, period: str, *, use_case: str | None = None,
                   customer: str | None = None) -> GatewayStatus:
    """allow, warn or block for a call by `team` (and its use case, and customer).

    One indexed query for the budgets and their totals; one more for the team's spend only
    when the team has no budget. Never a scan of the ledger.
    """
    scopes = [Scope.of(team)]
    if use_case:
        scopes.append(Scope.of(team, use_case))
    if customer:
        scopes.append(Scope.of(team, customer=customer))
    with engine.connect() as connection:
        found = _budgets_with_spend(connection, period, [(s.kind, s.key) for s in scopes])
        checks = [budgets.status(*found[(s.kind, s.key)])
                  for s in scopes if (s.kind, s.key) in found]
        if ("team", team) in found:
            team_status = budgets.status(*found[("team", team)])
        else:
            amount, currency = _spent_with_currency(connection, period, "team", team)
            team_status = budgets.status(None, amount, currency)
    return GatewayStatus(team, period, budgets.worst([c.decision for c in checks]),
                         team_status, checks)


def _spent(connection: Connection, period: str, kind: str, key: str,
           currency: str | None = None) -> Decimal:
    query = select(totals.c.amount).where(
        totals.c.period == period, totals.c.scope_kind == kind, totals.c.scope_key == key)
    if currency:
        query = query.where(totals.c.currency == currency)
    return sum(connection.execute(query).scalars(), Decimal(0))


def _spent_with_currency(connection: Connection, period: str, kind: str,
                         key: str) -> tuple[Decimal, str | None]:
    row = connection.execute(select(totals.c.amount, totals.c.currency).where(
        totals.c.period == period, totals.c.scope_kind == kind, totals.c.scope_key == key,
    ).order_by(totals.c.currency).limit(1)).first()
    return (Decimal(0), None) if row is None else (row.amount, row.currency)


def spent(engine: Engine, period: str, kind: str, key: str,
          currency: str | None = None) -> Decimal:
    """A scope's running spend total for a period (rated, unrounded)."""
    with engine.connect() as connection:
        return _spent(connection, period, kind, key, currency)


def threshold_alerts(budget: Budget, spent_so_far: Decimal) -> list[Alert]:
    """Pure: the alerts a budget's spend so far calls for (deduplicated on raising)."""
    scope = budget.scope
    where = f"{scope.kind} {scope.key}"
    percent = budgets.percent_of(spent_so_far, budget.amount)
    shown = "" if percent is None else f" ({percent.quantize(Decimal('0.1'))}%)"
    details = {"budget": str(budget.amount), "spent": str(spent_so_far),
               "currency": budget.currency, "hard_cap": budget.hard_cap}
    alerts = [
        Alert(kind="threshold",
              dedupe_key=dedupe_key("threshold", budget.period, scope.kind, scope.key,
                                    _percent_text(t)),
              severity="warning" if t >= budgets.HUNDRED else "info",
              message=(f"{where} has spent {spent_so_far.quantize(Decimal('0.01'))} "
                       f"{budget.currency} of its {budget.amount} budget for {budget.period}"
                       f"{shown}: past the {_percent_text(t)}% threshold"),
              period=budget.period, team=scope.team, scope_kind=scope.kind,
              scope_key=scope.key, details={**details, "threshold": _percent_text(t)})
        for t in budgets.crossed(budget, spent_so_far)
    ]
    if budgets.cap_reached(budget, spent_so_far):
        alerts.append(Alert(
            kind="hard_cap", dedupe_key=dedupe_key("hard_cap", budget.period, scope.kind,
                                                   scope.key),
            severity="critical",
            message=(f"{where} reached its hard cap of {budget.amount} {budget.currency} for "
                     f"{budget.period}: the gateway status now answers block"),
            period=budget.period, team=scope.team, scope_kind=scope.kind, scope_key=scope.key,
            details=details))
    return alerts


def evaluate_thresholds(connection: Connection, scopes: Iterable[tuple[str, str, str]],
                        *, now: datetime | None = None) -> list[Alert]:
    """Raise the threshold and hard-cap alerts of the given (period, kind, key) scopes."""
    by_period: dict[str, list[tuple[str, str]]] = {}
    for period, kind, key in scopes:
        by_period.setdefault(period, []).append((kind, key))
    alerts: list[Alert] = []
    for period, wanted in by_period.items():
        for budget, spent_so_far in _budgets_with_spend(connection, period, wanted).values():
            alerts.extend(threshold_alerts(budget, spent_so_far))
    return raise_alerts(connection, alerts, now) if alerts else []


@dataclass(frozen=True)
class BudgetReport:
    """A budget at a moment: status, variance to date, and the run-rate month-end projection."""

    budget: Budget
    status: Status
    variance: budgets.Variance
    projection: budgets.Projection
    total_variance: budgets.Variance | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**self.budget.to_dict(), "status": self.status.to_dict(),
                "variance": self.variance.to_dict(), "projection": self.projection.to_dict(),
                "total_variance": None if self.total_variance is None
                else self.total_variance.to_dict()}


@dataclass(frozen=True)
class Actual:
    """What a scope's documents show for a period: usage, and usage plus charged overhead."""

    usage: Decimal
    total: Decimal
    currency: str


def budget_report(engine: Engine, team: str | None, period: str, *, zone: ZoneInfo,
                  now: datetime | None = None, use_case: str | None = None,
                  customer: str | None = None) -> BudgetReport | None:
    """One scope's budget report for a statement; None when no budget is set."""
    scope = Scope.of(team, use_case, customer)
    with engine.connect() as connection:
        found = _budgets_with_spend(connection, period, [(scope.kind, scope.key)])
    if not found:
        return None
    budget, actual = found[(scope.kind, scope.key)]
    return BudgetReport(budget, budgets.status(budget, actual),
                        budgets.variance(actual, budget.amount),
                        budgets.run_rate(actual, period, now or datetime.now(UTC), zone,
                                         budget.amount))


def budget_reports(engine: Engine, period: str, *, zone: ZoneInfo, now: datetime | None = None,
                   team: str | None = None,
                   actuals: Mapping[tuple[str, str], Actual] | None = None
                   ) -> list[BudgetReport]:
    """Every budget of a period (or a team's) with actual vs budget and the projection.

    `actuals` are the scopes' amounts as their documents show them (`billing.close.
    budget_actuals`); without them, the running totals (exact, unrounded) are the actual.
    For the close, pass `now` at or after the period's end: the projection is then the actual.
    """
    now = now or datetime.now(UTC)
    query = select(table, _spent_column()).where(table.c.period == period).order_by(
        table.c.scope_kind, table.c.scope_key)
    if team:
        query = query.where(table.c.team == team)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    reports = []
    for row in rows:
        budget, actual = _budget(row), row.spent or Decimal(0)
        total = None
        if actuals is not None:
            shown = actuals.get((budget.scope.kind, budget.scope.key))
            if shown is None or shown.currency != budget.currency:
                actual = total = Decimal(0)
            else:
                actual, total = shown.usage, shown.total
        reports.append(BudgetReport(
            budget, budgets.status(budget, actual), budgets.variance(actual, budget.amount),
            budgets.run_rate(actual, period, now, zone, budget.amount),
            None if total is None else budgets.variance(total, budget.amount)))
    return reports


def card_currency(engine: Engine, card: str) -> str | None:
    """The currency of a card's newest version: budgets are in the card currency."""
    versions = published_versions(engine, card)
    return versions[-1].currency if versions else None


def default_currencies(engine: Engine, team_card: str, customer_card: str) -> dict[str, str | None]:
    """Scope kind -> the currency its budgets default to: the team card's or the customer's."""
    team = card_currency(engine, team_card)
    return {"team": team, "use_case": team, "customer": card_currency(engine, customer_card)}


def load_budgets_into(engine: Engine, text: str, source: str, *, team_card: str,
                      customer_card: str, set_by: str = "",
                      check_team: Callable[[str], None] | None = None
                      ) -> list[tuple[Budget, bool]]:
    """Set every budget of a YAML document (all checked first, so a bad entry sets none).

    `check_team` raises for a team nobody knows, so a typo in the file sets no budget.
    """
    parsed = budgets.load_budgets(text, source,
                                  default_currencies(engine, team_card, customer_card))
    for budget in parsed:
        if check_team is not None and budget.scope.team:
            check_team(budget.scope.team)
    return [set_budget(engine, budget, set_by=set_by) for budget in parsed]
