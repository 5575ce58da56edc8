"""Trends: a team's spend and unit economics over the last months, period by period.

A month on its own says little; the same figures for the months before say whether spend
or the cost of an accepted outcome is rising. Each point is a sum of the period's statement
lines (`billing.close.lines`), so a month's total on the chart is its statement's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from billing.close.lines import TeamLines, period_lines
from billing.close.outcome_report import unit_economics_for_period
from billing.period import FIRST_YEAR, Period
from billing.rating.overhead import Pool
from billing.use_cases import UseCase

T = TypeVar("T")

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


PerPeriod = Callable[[str], T]
"""A policy as of each period (the versions in force), or one value for every period."""


def _at(value: T | PerPeriod[T], period: str) -> T:
    return value(period) if callable(value) else value


def spend_series(engine: Engine, team: str, periods: list[str], *,
                 pools: list[Pool] | PerPeriod[list[Pool]],
                 now: datetime | None = None, zone: ZoneInfo | None = None,
                 ) -> tuple[str, dict[str, list[Series]], dict[str, TeamLines]]:
    """The team's statement lines per period summed by use case and by model, with the
    currency; series sorted by their total, largest first, so charts stack the big ones low.
    A point is the sum of rounded statement lines, so the months add up as the statements do."""
    found: dict[str, TeamLines] = {}
    for period in periods:
        lines = period_lines(engine, period, pools=_at(pools, period), teams=[team], now=now,
                             zone=zone)
        if team in lines:
            found[period] = lines[team]
    currency = next(iter(found.values())).currency if found else "USD"
    grouped = {}
    for by in TREND_KEYS:
        sums: dict[str | None, dict[str, Decimal]] = defaultdict(dict)
        for period, lines in found.items():
            for name, amount in lines.by(by).items():
                sums[name][period] = amount
        series = [Series(name, [by_period.get(period) for period in periods])
                  for name, by_period in sums.items()]
        series.sort(key=lambda item: (-sum(v for v in item.values if v is not None),
                                      item.name or ""))
        grouped[by] = series
    return currency, grouped, found


def outcome_series(engine: Engine, team: str, periods: list[str], *, found: dict[str, TeamLines],
                   use_cases: dict[str, UseCase] | PerPeriod[dict[str, UseCase]],
                   ) -> list[dict[str, Any]]:
    """Cost per accepted outcome and pass rate of each of the team's use cases per period."""
    result: dict[str, dict[str, Any]] = {}
    for index, period in enumerate(periods):
        if period not in found:
            continue
        for item in unit_economics_for_period(engine, period, use_cases=_at(use_cases, period),
                                              team=team,
                                              lines={team: found[period]}):
            entry = result.setdefault(item.use_case, {
                "use_case": item.use_case, "currency": item.currency,
                "cost_per_accepted_outcome": [None] * len(periods),
                "pass_rate": [None] * len(periods), "accepted": [0] * len(periods)})
            row = item.to_dict()
            entry["cost_per_accepted_outcome"][index] = row["cost_per_accepted_outcome"]
            entry["pass_rate"][index] = row["pass_rate"]
            entry["accepted"][index] = item.accepted
    return [result[name] for name in sorted(result)]


def team_trends(engine: Engine, team: str, until: str, months: int, *,
                pools: list[Pool] | PerPeriod[list[Pool]],
                use_cases: dict[str, UseCase] | PerPeriod[dict[str, UseCase]],
                now: datetime | None = None,
                zone: ZoneInfo | None = None) -> dict[str, Any]:
    """Everything the dashboard charts for a team: spend by use case and by model, the usage
    total and the total with charged overhead, and cost per accepted outcome, for the `months`
    periods ending with `until`, each from that period's statement lines."""
    last = Period.parse(until)
    back = min(months - 1, last - Period(FIRST_YEAR, 1))  # no month before the first year
    periods = [str(period) for period in Period.range(last - back, last)]
    currency, grouped, found = spend_series(engine, team, periods, pools=pools, now=now,
                                            zone=zone)
    by_use_case, by_model = grouped["use_case"], grouped["model"]
    return {"team": team, "currency": currency, "periods": periods,
            "total": [str(found[p].usage_total if p in found else Decimal(0))
                      for p in periods],
            "charged_overhead": [str(found[p].charged_overhead if p in found else Decimal(0))
                                 for p in periods],
            "total_with_overhead": [str(found[p].total if p in found else Decimal(0))
                                    for p in periods],
            "by_use_case": [s.to_dict("use_case") for s in by_use_case],
            "by_model": [s.to_dict("model") for s in by_model],
            "unit_economics": outcome_series(engine, team, periods, found=found,
                                             use_cases=use_cases)}
