"""The monthly KPI review: the seven numbers a use case's owner answers for, each against its
target, green, amber or red.

Per use case: cost per accepted outcome and its change from the month before, input share of
token spend, cache hit rate, the evaluation pass rate of the candidate promoted for it. Per
team: forecast accuracy (against the forecast the previous close made) and budget variance.
For the organisation: attribution coverage. Every figure comes from the function that owns it
(unit economics, coverage, budgets, forecast snapshots, the gate), so the review never
disagrees with the statement or the API that shows the same number.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from billing.budgets.forecast_snapshots import forecast_accuracy
from billing.budgets.levers.store import list_candidates, newest_evaluations
from billing.close.budget_actuals import budget_variances
from billing.close.lines import period_lines
from billing.close.outcome_report import unit_economics_for_period
from billing.models import RatedLine
from billing.period import Period
from billing.policies.kpi_targets import NONE, Targets
from billing.rating.coverage import spend_coverage
from billing.rating.overhead import Pool
from billing.use_cases import UseCase

rated = RatedLine.__table__
ONE_PLACE = Decimal("0.1")
HUNDRED = Decimal(100)


def _pct(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(ONE_PLACE, rounding=ROUND_HALF_UP))


def _kpi(targets: Targets, name: str, value: Decimal | None, note: str = "") -> dict[str, Any]:
    return {"value": _pct(value), "target": str(targets.target(name)),
            "status": targets.status(name, None if value is None else
                                     value.quantize(ONE_PLACE, rounding=ROUND_HALF_UP)),
            "note": note}


def token_mix(engine: Engine, period: str) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    """(team, use case) -> (input share of token cost, cache hit rate), both in percent.

    Token cost is tokens x unit price before markup, the part a prompt change moves; the hit
    rate is cached / (uncached + cached) input tokens.
    """
    group = (rated.c.team, rated.c.use_case, rated.c.input_price, rated.c.output_price,
             rated.c.cached_input_price, rated.c.cache_write_input_price)
    names = ("input_tokens", "output_tokens", "cached_input_tokens", "cache_write_input_tokens")
    query = (select(*group, *[func.sum(rated.c[name]).label(name) for name in names])
             .where(rated.c.view == "showback", rated.c.period == period,
                    rated.c.amount.is_not(None), rated.c.use_case.is_not(None))
             .group_by(*group))
    sums: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 4)
    with engine.connect() as connection:
        for row in connection.execute(query):
            tokens = [int(getattr(row, name) or 0) for name in names]
            prices = [Decimal(p or 0) for p in (row.input_price, row.output_price,
                                                row.cached_input_price,
                                                row.cache_write_input_price)]
            inputs = tokens[0] * prices[0] + tokens[2] * prices[2] + tokens[3] * prices[3]
            entry = sums[(row.team, row.use_case)]
            entry[0] += inputs
            entry[1] += inputs + tokens[1] * prices[1]
            entry[2] += tokens[2]
            entry[3] += tokens[0] + tokens[2]
    return {key: (value[0] / value[1] * HUNDRED if value[1] else None,
                  value[2] / value[3] * HUNDRED if value[3] else None)
            for key, value in sums.items()}


def _promotion(engine: Engine, use_case: str, targets: Targets) -> dict[str, Any]:
    candidates = list_candidates(engine, use_case)
    promoted = [c["name"] for c in candidates if c["decision"] == "promote"]
    base = [c["name"] for c in candidates if c["baseline"]]
    if not promoted or not base:
        return {"value": None, "target": None, "status": NONE,
                "note": "no candidate promoted"}
    newest = newest_evaluations(engine, use_case)
    shipped = newest.get(promoted[-1])
    baseline = newest.get(base[0])
    if shipped is None or baseline is None:
        return {"value": None, "target": None, "status": NONE, "note": "no evaluation"}
    drop = (baseline.pass_rate - shipped.pass_rate) * HUNDRED
    floor = baseline.pass_rate * HUNDRED - targets.target("pass_rate_tolerance")
    status = "green" if drop <= targets.target("pass_rate_tolerance") else "red"
    return {"value": _pct(shipped.pass_rate * HUNDRED), "target": f">= {_pct(floor)}",
            "status": status, "note": f"{promoted[-1]} against baseline {base[0]}",
            "candidate": promoted[-1], "baseline": base[0]}


def kpi_review(engine: Engine, period: str, *, pools: list[Pool] | None,
               use_cases: Mapping[str, UseCase], zone: ZoneInfo, now: datetime,
               team: str | None = None) -> dict[str, Any]:
    lines = period_lines(engine, period, pools=pools, now=now, zone=zone)
    economics = unit_economics_for_period(engine, period, use_cases=use_cases, team=team,
                                          now=now, zone=zone, lines=lines)
    try:
        previous: str | None = str(Period.parse(period).previous())
    except ValueError:  # the first month a period can name has none before it
        previous = None
    before = {(u.team, u.use_case): u for u in unit_economics_for_period(
        engine, previous, pools=pools, use_cases=use_cases, team=team, now=now, zone=zone)
    } if previous else {}
    mix = token_mix(engine, period)
    org_targets = Targets()
    rows = []
    for unit in economics:
        if unit.requests == 0:
            continue
        declared = use_cases.get(unit.use_case)
        targets = declared.kpi_targets if declared else Targets()
        now_cost = unit.cost_per_accepted_outcome
        old = before.get((unit.team, unit.use_case))
        old_cost = old.cost_per_accepted_outcome if old else None
        rise = ((now_cost - old_cost) / old_cost * HUNDRED
                if now_cost is not None and old_cost else None)
        cost_kpi = _kpi(targets, "cost_per_outcome_rise", rise,
                        f"{now_cost} per accepted outcome" + (f", {old_cost} in {previous}"
                                                              if old_cost else "")
                        if now_cost is not None else "no accepted outcomes")
        cost_kpi["cost_per_accepted_outcome"] = None if now_cost is None else str(now_cost)
        share, hit = mix.get((unit.team, unit.use_case), (None, None))
        rows.append({
            "team": unit.team, "use_case": unit.use_case,
            "owner": (declared.accountable if declared else None) or f"team {unit.team}",
            "kpis": {
                "cost_per_outcome": cost_kpi,
                "input_share": _kpi(targets, "input_share", share),
                "cache_hit_rate": _kpi(targets, "cache_hit_rate", hit),
                "eval_pass_rate_at_promotion": _promotion(engine, unit.use_case, targets),
            }})
    accuracy = forecast_accuracy(engine, period)
    variances = {(report.budget.scope.kind, report.budget.scope.key): report
                 for report in budget_variances(engine, period, pools=pools, zone=zone,
                                                now=now, team=team)}
    teams = []
    for name in sorted(lines):
        if team is not None and name != team:
            continue
        scored = accuracy.get(name, {})
        error = scored.get("error_percent")
        report = variances.get(("team", name))
        percent = report.variance.percent if report and report.variance.percent is not None \
            else None
        teams.append({
            "team": name,
            "forecast_accuracy": _kpi(org_targets, "forecast_error",
                                      abs(Decimal(error)) if error is not None else None,
                                      f"forecast {scored['forecast']}, actual "
                                      f"{scored['actual']}" if scored.get("forecast")
                                      else "no forecast on record")
                                 | {"error_percent": error},
            "budget_variance": _kpi(org_targets, "budget_variance",
                                    abs(percent) if percent is not None else None,
                                    report.variance.words() if report else "no budget")
                               | {"variance_percent": _pct(percent)},
        })
    coverage = None if team is not None else spend_coverage(engine, period)
    organisation = None
    if coverage is not None:
        share = coverage.share(coverage.team_after_rules) * HUNDRED
        organisation = {"attribution_coverage": _kpi(org_targets, "attribution_coverage",
                                                     share, "share of spend with a team and a "
                                                     "use case, after the rules")}
    return {"period": period, "team": team, "organisation": organisation, "teams": teams,
            "use_cases": rows}
