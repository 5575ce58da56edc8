"""Budgets: how much a team (or a use case, or a customer) may spend in a period, and where it
stands against that: allow, warn or block; variance; and a run-rate projection of the month.

All pure: the spend so far and "now" come in as arguments, so the gateway check, the close and
the tests compute the same answer. Amounts are Decimal in the card currency.

```yaml
budgets:
  - team: support
    period: "2026-11"
    amount: "5000.00"
    currency: USD                # default: the team card's currency
    hard_cap: true               # default false: soft budgets only warn
    thresholds: [50, 80, 100]    # percent; the default
    warn_percent: 80             # status turns from allow to warn here; the default
  - {team: support, use_case: copilot, period: "2026-11", amount: "1200.00"}
  - {team: sales, customer: acme, period: "2026-11", amount: "800.00"}
```
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from billing import identifiers
from billing.money import round_line
from billing.period import Period, PeriodError

DEFAULT_THRESHOLDS = (Decimal(50), Decimal(80), Decimal(100))
DEFAULT_WARN_PERCENT = Decimal(80)
ALLOW, WARN, BLOCK = "allow", "warn", "block"
_SEVERITY = {ALLOW: 0, WARN: 1, BLOCK: 2}
HUNDRED = Decimal(100)


class BudgetError(ValueError):
    """A budget cannot be used as written; the message says which field and why."""


@dataclass(frozen=True)
class Scope:
    """Whose spend a budget limits: a team, one of its use cases, or a customer.

    `key` is how spend totals name the scope: the team, `team/use case`, or the customer.
    """

    kind: str
    key: str
    team: str | None = None
    use_case: str | None = None
    customer: str | None = None

    @classmethod
    def of(cls, team: str | None, use_case: str | None = None,
           customer: str | None = None) -> Scope:
        if use_case and customer:
            raise BudgetError("a budget is for a team, a use case or a customer, not both a "
                              "use case and a customer")
        if customer:
            return cls("customer", customer, team, None, customer)
        if not team:
            raise BudgetError("team: a team or use-case budget needs the team")
        if use_case:
            return cls("use_case", use_case_key(team, use_case), team, use_case, None)
        return cls("team", team, team)


def use_case_key(team: str | None, use_case: str) -> str:
    """Use cases are named within their team, so the key carries both."""
    return f"{team or ''}/{use_case}"


@dataclass(frozen=True)
class Budget:
    scope: Scope
    period: str
    amount: Decimal
    currency: str
    thresholds: tuple[Decimal, ...] = DEFAULT_THRESHOLDS
    warn_percent: Decimal = DEFAULT_WARN_PERCENT
    hard_cap: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "team": self.scope.team, "use_case": self.scope.use_case,
            "customer": self.scope.customer, "scope": self.scope.kind,
            "scope_key": self.scope.key, "period": self.period, "amount": str(self.amount),
            "currency": self.currency, "thresholds": [str(t) for t in self.thresholds],
            "warn_percent": str(self.warn_percent), "hard_cap": self.hard_cap,
        }


@dataclass(frozen=True)
class Status:
    """The gateway's answer for one budget: allow, warn or block, and why."""

    decision: str
    budget: Budget | None
    spent: Decimal
    currency: str | None

    @property
    def remaining(self) -> Decimal | None:
        return None if self.budget is None else self.budget.amount - self.spent

    @property
    def percent_used(self) -> Decimal | None:
        return None if self.budget is None else percent_of(self.spent, self.budget.amount)

    def to_dict(self) -> dict[str, Any]:
        """Money rounded to the currency's minor unit for display; decisions use the exact."""
        budget = self.budget
        percent = self.percent_used

        def money(value: Decimal | None) -> str | None:
            if value is None:
                return None
            return str(round_line(value, self.currency) if self.currency else value)

        return {
            "decision": self.decision,
            "scope": budget.scope.kind if budget else None,
            "scope_key": budget.scope.key if budget else None,
            "currency": self.currency, "spent": money(self.spent),
            "budget": str(budget.amount) if budget else None,
            "remaining": money(self.remaining),
            "percent_used": None if percent is None else str(percent.quantize(Decimal("0.01"))),
            "hard_cap": bool(budget and budget.hard_cap),
            "thresholds_crossed": [str(t) for t in crossed(budget, self.spent)] if budget else [],
        }


def check_period(period: str) -> str:
    try:
        return str(Period.parse(period))
    except PeriodError as exc:
        raise BudgetError(str(exc)) from None


def parse_amount(value: Any, where: str = "amount") -> Decimal:
    """Money arrives as a decimal string; a float would already have lost cents."""
    if isinstance(value, float):
        raise BudgetError(f"{where}: write money as a decimal string like \"5000.00\"")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise BudgetError(f"{where}: {value!r} is not a decimal number") from None
    if not amount.is_finite() or amount < 0:
        raise BudgetError(f"{where}: must be a finite amount of zero or more, got {value!r}")
    return amount


def parse_thresholds(value: Any) -> tuple[Decimal, ...]:
    """Percents as a list or a comma-separated string: `50,80,100`."""
    if value is None or value == "":
        return DEFAULT_THRESHOLDS
    items = value.split(",") if isinstance(value, str) else list(value)
    parsed = sorted({parse_amount(item, "thresholds") for item in items})
    if not parsed or parsed[0] <= 0:
        raise BudgetError("thresholds: give percents above zero, such as 50,80,100")
    return tuple(parsed)


def percent_of(part: Decimal, whole: Decimal) -> Decimal | None:
    return None if whole == 0 else part * HUNDRED / whole


def crossed(budget: Budget, spent: Decimal) -> list[Decimal]:
    """The thresholds spend has reached (a threshold is crossed at exactly its percent)."""
    return [t for t in budget.thresholds if spent * HUNDRED >= t * budget.amount]


def cap_reached(budget: Budget, spent: Decimal) -> bool:
    return budget.hard_cap and spent >= budget.amount


def status(budget: Budget | None, spent: Decimal, currency: str | None = None) -> Status:
    """Allow below the warn percent; warn from it; block once a hard cap is reached.

    No budget is no limit: allow. Compared multiplied out, so no division and no rounding
    decide a boundary: 80.00% of the budget is warn, 79.99% is allow.
    """
    if budget is None:
        return Status(ALLOW, None, spent, currency)
    if cap_reached(budget, spent):
        decision = BLOCK
    elif spent * HUNDRED >= budget.warn_percent * budget.amount:
        decision = WARN
    else:
        decision = ALLOW
    return Status(decision, budget, spent, budget.currency)


def worst(decisions: list[str]) -> str:
    """Several budgets apply to one call (team and use case): the strictest answer wins."""
    return max(decisions, key=_SEVERITY.__getitem__, default=ALLOW)


@dataclass(frozen=True)
class Variance:
    """Actual against budget: positive is over budget."""

    actual: Decimal
    budget: Decimal
    absolute: Decimal
    percent: Decimal | None

    @property
    def standing(self) -> str:
        """The side of the budget the actual is on, in the words every surface prints."""
        if self.absolute > 0:
            return "over budget"
        return "under budget" if self.absolute < 0 else "on budget"

    def words(self) -> str:
        """'280.28 over budget': the size of the gap and its side, as statements print it."""
        return f"{abs(self.absolute)} {self.standing}"

    def to_dict(self) -> dict[str, Any]:
        return {"actual": str(self.actual), "budget": str(self.budget),
                "absolute": str(self.absolute),
                "percent": None if self.percent is None
                else str(self.percent.quantize(Decimal("0.01"))),
                "standing": self.standing, "words": self.words()}


def variance(actual: Decimal, budget: Decimal) -> Variance:
    """Absolute (actual - budget) and percent of the budget; no percent of a zero budget."""
    difference = actual - budget
    return Variance(actual, budget, difference, percent_of(difference, budget))


@dataclass(frozen=True)
class Projection:
    """Run-rate month-end spend: spend so far / elapsed share of the month."""

    spent: Decimal
    elapsed_share: Decimal
    projected: Decimal | None
    variance: Variance | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "spent": str(self.spent),
            "elapsed_share": str(self.elapsed_share.quantize(Decimal("0.0001"))),
            "projected": None if self.projected is None else str(self.projected),
            "variance": None if self.variance is None else self.variance.to_dict(),
        }


def run_rate(
    spent: Decimal, period: str, now: datetime, zone: ZoneInfo, budget: Decimal | None = None,
    *, places: int = 2,
) -> Projection:
    """Project month-end spend at the pace so far; nothing to project before the month starts.

    The projection is rounded to `places` (it is an estimate, and its digits are shown).
    """
    share = Period.parse(period).elapsed_fraction(now, zone)
    if share == 0:
        return Projection(spent, share, None, None)
    projected = (spent / share).quantize(Decimal(1).scaleb(-places))
    return Projection(spent, share, projected,
                      None if budget is None else variance(projected, budget))


def budget_from_mapping(entry: Any, where: str,
                        default_currency: Mapping[str, str | None] | None = None) -> Budget:
    """One budget from YAML or a JSON body; errors name the entry and the field.

    `default_currency` maps a scope kind to its card's currency, used when none is written.
    """
    if not isinstance(entry, dict):
        raise BudgetError(f"{where}: each budget is a mapping with team, period and amount")
    try:
        for name in ("team", "use_case", "customer"):
            given = entry.get(name)
            found = None if given is None else identifiers.problem(str(given), name)
            if found:
                raise BudgetError(f"{name}: {found}")
        scope = Scope.of(entry.get("team"), entry.get("use_case"), entry.get("customer"))
        period = check_period(str(entry.get("period", "")))
        amount = parse_amount(entry.get("amount"))
        currency = str(entry.get("currency") or (default_currency or {}).get(scope.kind) or "")
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise BudgetError(f"currency: {currency!r} is not an ISO 4217 code such as USD")
        warn_percent = parse_amount(entry.get("warn_percent", DEFAULT_WARN_PERCENT),
                                    "warn_percent")
        hard_cap = entry.get("hard_cap", False)
        if not isinstance(hard_cap, bool):
            raise BudgetError("hard_cap: write true or false")
        return Budget(scope, period, amount, currency, parse_thresholds(entry.get("thresholds")),
                      warn_percent, hard_cap)
    except BudgetError as exc:
        raise BudgetError(f"{where}: {exc}") from None


def load_budgets(text: str, source: str = "budgets",
                 default_currency: Mapping[str, str | None] | None = None) -> list[Budget]:
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise BudgetError(f"{source}: not valid YAML: {exc}") from None
    entries = document.get("budgets") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise BudgetError(f"{source}: expected a top-level 'budgets:' list")
    return [budget_from_mapping(entry, f"{source}: budget {n}", default_currency)
            for n, entry in enumerate(entries, start=1)]
