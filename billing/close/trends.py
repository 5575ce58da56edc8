"""Trends: a team's spend and unit economics over the last months, period by period.

A month on its own says little; the same figures for the months before say whether spend
or the cost of an accepted outcome is rising. Each (period, group) amount is rounded once,
exactly as a showback grouped by that key rounds it, so a trend point equals the showback
line it stands for.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select

from billing.close.outcome_report import unit_economics_for_period
from billing.models import RatedLine
from billing.money import round_line
from billing.period import Period
from billing.rating.overhead import Pool
from billing.use_cases import UseCase

rated = RatedLine.__table__
TREND_KEYS = ("use_case", "model")
MAX_MONTHS = 24


@dataclass(frozen=True)
class Series:
    """One group's values, one per period (None where it had nothing that period)."""

    name: str | None
    values: list[Decimal | None]

    def to_dict(self, key: str) -> dict[str, Any]:
        return {key: self.name,
                "values": [None if value is None else str(value) for value in self.values]}


def spend_series(engine: Engine, team: str, periods: list[str]
                 ) -> tuple[str, dict[str, list[Series]]]:
    """The team's rated showback spend per period grouped by use case and by model (one read
    of its lines), with the currency; series sorted by their total, largest first, so charts
    stack the big ones low."""
    query = select(rated.c.period, rated.c.use_case, rated.c.model, rated.c.currency,
                   rated.c.amount).where(
        rated.c.view == "showback", rated.c.team == team, rated.c.period.in_(periods),
        rated.c.amount.is_not(None))
    sums: dict[str, dict[str | None, dict[str, Decimal]]] = {
        by: defaultdict(lambda: defaultdict(Decimal)) for by in TREND_KEYS}
    currency = "USD"
    with engine.connect() as connection:
        for period, use_case, model, line_currency, amount in connection.execute(query):
            currency = line_currency or currency
            sums["use_case"][use_case][period] += amount
            sums["model"][model][period] += amount
    grouped = {}
    for by, totals in sums.items():
        series = [Series(name, [round_line(by_period[period], currency)
                                if period in by_period else None for period in periods])
                  for name, by_period in totals.items()]
        series.sort(key=lambda item: (-sum(v for v in item.values if v is not None),
                                      item.name or ""))
        grouped[by] = series
    return currency, grouped


def outcome_series(engine: Engine, team: str, periods: list[str], *, pools: list[Pool],
                   use_cases: dict[str, UseCase]) -> list[dict[str, Any]]:
    """Cost per accepted outcome and pass rate of each of the team's use cases per period."""
    found: dict[str, dict[str, Any]] = {}
    for index, period in enumerate(periods):
        for item in unit_economics_for_period(engine, period, pools=pools, use_cases=use_cases,
                                              team=team):
            entry = found.setdefault(item.use_case, {
                "use_case": item.use_case, "currency": item.currency,
                "cost_per_accepted_outcome": [None] * len(periods),
                "pass_rate": [None] * len(periods), "accepted": [0] * len(periods)})
            row = item.to_dict()
            entry["cost_per_accepted_outcome"][index] = row["cost_per_accepted_outcome"]
            entry["pass_rate"][index] = row["pass_rate"]
            entry["accepted"][index] = item.accepted
    return [found[name] for name in sorted(found)]


def team_trends(engine: Engine, team: str, until: str, months: int, *, pools: list[Pool],
                use_cases: dict[str, UseCase]) -> dict[str, Any]:
    """Everything the dashboard charts for a team: spend by use case and by model, the total,
    and cost per accepted outcome, for the `months` periods ending with `until`."""
    last = Period.parse(until)
    periods = [str(period) for period in Period.range(last - (months - 1), last)]
    currency, grouped = spend_series(engine, team, periods)
    by_use_case, by_model = grouped["use_case"], grouped["model"]
    totals = [sum((s.values[i] or Decimal(0) for s in by_use_case), Decimal(0))
              for i in range(len(periods))]
    return {"team": team, "currency": currency, "periods": periods,
            "total": [str(value) for value in totals],
            "by_use_case": [s.to_dict("use_case") for s in by_use_case],
            "by_model": [s.to_dict("model") for s in by_model],
            "unit_economics": outcome_series(engine, team, periods, pools=pools,
                                             use_cases=use_cases)}
