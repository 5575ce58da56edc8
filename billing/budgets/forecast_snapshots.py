"""Forecasts held to account: each close records what it expects of the next months, and the
next close scores it.

At the close of P, for every team with spend in P: today's drivers are P's (calls, tokens per
call, blended rate, as `billing forecast` reads them), and adoption grows the calls by the
month-on-month change from P-1 to P (held within +-50 % a month: one odd month must not run
away with a year). Month P+k expects calls x (1 + growth)^k at P's tokens per call and rate.
The rows are written in the close's own transaction, so a period has exactly one forecast,
taken when it closed. Accuracy is (actual - forecast) / forecast of the month the previous
close forecast one month ahead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from billing.budgets.budget import use_case_key
from billing.budgets.forecast import (
    Drivers,
    Forecast,
    ScenarioError,
    drivers_from_usage,
    plain,
)
from billing.budgets.spend_totals import scope_total
from billing.models import ForecastSnapshot, SpendTotal
from billing.money import round_line
from billing.period import Period

snapshots = ForecastSnapshot.__table__
totals = SpendTotal.__table__
MAX_GROWTH = Decimal("0.5")
DEFAULT_MONTHS = 3
HUNDRED = Decimal(100)


def adoption_growth(calls: Decimal, previous_calls: Decimal | None) -> Decimal:
    """Month-on-month change in calls, within +-50 %; 0 with no previous month."""
    if not previous_calls:
        return Decimal(0)
    growth = calls / previous_calls - 1
    return max(-MAX_GROWTH, min(MAX_GROWTH, growth))


@dataclass(frozen=True)
class MonthAhead:
    period: str
    months_ahead: int
    drivers: Drivers
    amount: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period, "months_ahead": self.months_ahead,
                **self.drivers.to_dict(), "amount": str(self.amount)}


def curve(today: Drivers, growth: Decimal, base_period: str, months: int,
          currency: str) -> list[MonthAhead]:
    """Pure: the months after `base_period` under steady adoption growth; calls whole,
    amounts rounded once each, to the currency's minor unit."""
    if not 1 <= months <= 12:
        raise ValueError("months: forecast 1 to 12 months ahead")
    rows, period = [], Period.parse(base_period)
    for k in range(1, months + 1):
        try:
            period = period.next()
        except ValueError:  # past the last month a period can name
            break
        calls = (today.calls * (1 + growth) ** k).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        drivers = Drivers(calls, today.tokens_per_call, today.rate_per_1k)
        rows.append(MonthAhead(str(period), k, drivers, round_line(drivers.cost, currency)))
    return rows


def _team_totals(connection: Connection, period: str) -> dict[str, tuple[str, Decimal, int,
                                                                         int]]:
    found: dict[str, tuple[str, Decimal, int, int]] = {}
    for row in connection.execute(select(totals).where(
            totals.c.period == period, totals.c.scope_kind == "team")):
        best = found.get(row.scope_key)
        if best is None or row.amount > best[1]:
            found[row.scope_key] = (row.currency, Decimal(row.amount), int(row.requests),
                                    int(row.tokens))
    return found


def _previous(connection: Connection, period: str) -> dict[str, tuple[str, Decimal, int, int]]:
    try:
        return _team_totals(connection, str(Period.parse(period).previous()))
    except ValueError:  # the first month a period can name has none before it
        return {}


def store_forecasts(connection: Connection, closed: str, now: datetime,
                    months: int = DEFAULT_MONTHS) -> int:
    """Record the close's forecast of the next `months` months per team; rows already taken
    for this close are kept as they were."""
    if connection.execute(select(snapshots.c.id).where(
            snapshots.c.closed_period == closed).limit(1)).first():
        return 0
    previous = _previous(connection, closed)
    rows = []
    for team, (currency, spend, calls, tokens) in sorted(
            _team_totals(connection, closed).items()):
        today = drivers_from_usage(spend, calls, tokens)
        before = previous.get(team)
        growth = adoption_growth(Decimal(calls), Decimal(before[2]) if before else None)
        for month in curve(today, growth, closed, months, currency):
            rows.append({"closed_period": closed, "period": month.period, "team": team,
                         "months_ahead": month.months_ahead, "currency": currency,
                         "calls": plain(month.drivers.calls),
                         "tokens_per_call": plain(month.drivers.tokens_per_call),
                         "rate_per_1k": plain(month.drivers.rate_per_1k),
                         "growth": plain(growth), "amount": month.amount, "taken_at": now})
    if rows:
        connection.execute(insert(snapshots), rows)
    return len(rows)


def forecast_accuracy(engine: Engine, period: str) -> dict[str, dict[str, Any]]:
    """Per team: the forecast the previous close made of `period` (one month ahead) against
    the period's actual spend. Error in percent of the forecast; None where there is no
    forecast on record or it was zero."""
    with engine.connect() as connection:
        forecasts = {row.team: row for row in connection.execute(select(snapshots).where(
            snapshots.c.period == period, snapshots.c.months_ahead == 1))}
        actual = _team_totals(connection, period)
    result: dict[str, dict[str, Any]] = {}
    for team in sorted({*forecasts, *actual}):
        row = forecasts.get(team)
        spent = actual.get(team)
        currency = (spent[0] if spent else row.currency)
        amount = round_line(spent[1], currency) if spent else Decimal(0)
        expected = Decimal(row.amount) if row is not None else None
        error = ((amount - expected) / expected * HUNDRED).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP) if expected else None
        result[team] = {"team": team, "currency": currency, "actual": str(amount),
                        "forecast": None if expected is None else str(expected),
                        "forecast_taken_at_close_of": row.closed_period if row else None,
                        "error_percent": None if error is None else str(error)}
    return result


def stored_curve(engine: Engine, closed: str, team: str) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [{"period": row.period, "months_ahead": row.months_ahead,
                 "calls": row.calls, "tokens_per_call": row.tokens_per_call,
                 "rate_per_1k": row.rate_per_1k, "growth": row.growth,
                 "amount": str(row.amount)}
                for row in connection.execute(select(snapshots).where(
                    snapshots.c.closed_period == closed, snapshots.c.team == team)
                    .order_by(snapshots.c.months_ahead))]


def forecast_curve(forecast: Forecast, growth: Decimal, months: int) -> dict[str, Any]:
    """Each scenario of a month's forecast carried `months` ahead at steady adoption growth:
    the curve `billing forecast --months` prints and the API returns."""
    base = forecast.base_period or ""
    by_scenario = {row.name: curve(row.drivers, growth, base, months, forecast.currency)
                   for row in forecast.projections}
    periods = [month.period for month in next(iter(by_scenario.values()))]
    return {"growth_per_month": plain(growth), "months": periods,
            "curves": {name: [month.to_dict() for month in rows]
                       for name, rows in by_scenario.items()}}


def measured_growth(engine: Engine, team: str, base_period: str,
                    use_case: str | None = None) -> Decimal:
    """Adoption as the base month's calls against the month before's, held within +-50 %."""
    kind, key = ("use_case", use_case_key(team, use_case)) if use_case else ("team", team)
    now = scope_total(engine, base_period, kind, key)
    try:
        before = scope_total(engine, str(Period.parse(base_period).previous()), kind, key)
    except ValueError:  # no month before the first one
        before = None
    if now is None:
        return Decimal(0)
    return adoption_growth(Decimal(now[2]), Decimal(before[2]) if before else None)


def parse_growth(text: str) -> Decimal:
    """--growth 5% or -3.5 (percent a month), within +-50%."""
    try:
        value = Decimal(text.strip().rstrip("%")) / 100
    except ArithmeticError:
        raise ScenarioError(f"--growth {text!r} is not a percent, e.g. 5% or -3.5") from None
    if not value.is_finite() or abs(value) > MAX_GROWTH:
        raise ScenarioError(f"--growth {text!r}: give a percent a month from -50% to 50%")
    return value
