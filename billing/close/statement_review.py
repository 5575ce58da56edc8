"""What a team's statement carries of the KPI review and of the promoted changes.

The KPIs are the review's own (`billing.close.kpi_review`), taken once for every team and cut
per team, so the statement page, `billing kpis` and GET /v1/kpis print one set of figures. The
changes are the evaluation gate's promoted candidates for the team's use cases that shipped in
the period or the one before, each measured by `billing.budgets.levers.realised` up to the
period's last day: a change shipped late in a month is still shown, with a fuller measure, on
the next month's statement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from billing.budgets.levers.realised import realised
from billing.budgets.levers.store import LeverStoreError, list_candidates
from billing.close.kpi_review import kpi_review
from billing.period import Period
from billing.policies.kpi_targets import TARGETS
from billing.rating.overhead import Pool
from billing.use_cases import UseCase
from invoices.review import KpiLine, PromotedChange

# the review's KPI -> the target it is held to
TARGET_OF = {"cost_per_outcome": "cost_per_outcome_rise", "input_share": "input_share",
             "cache_hit_rate": "cache_hit_rate", "forecast_accuracy": "forecast_error",
             "budget_variance": "budget_variance",
             "attribution_coverage": "attribution_coverage"}


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _line(subject: str | None, name: str, kpi: Mapping[str, Any],
          owner: str | None) -> KpiLine:
    target = kpi.get("target")
    if name == "eval_pass_rate_at_promotion":  # the floor is written ">= 94.5"
        sense = "min"
        number = None if target is None else Decimal(str(target).removeprefix(">=").strip())
    else:
        sense = TARGETS[TARGET_OF[name]][2]
        number = _decimal(target)
    return KpiLine(subject=subject, kpi=name, status=kpi["status"],
                   value=_decimal(kpi.get("value")), target=number, sense=sense, owner=owner,
                   cost_per_accepted=_decimal(kpi.get("cost_per_accepted_outcome")),
                   candidate=kpi.get("candidate"), baseline=kpi.get("baseline"))


def kpi_lines(review: Mapping[str, Any]) -> dict[str, tuple[KpiLine, ...]]:
    """team -> its KPI lines: the team's own first, then each use case's."""
    found: dict[str, list[KpiLine]] = defaultdict(list)
    for row in review["teams"]:
        for name in ("forecast_accuracy", "budget_variance"):
            found[row["team"]].append(_line(None, name, row[name], None))
    for row in review["use_cases"]:
        for name, kpi in row["kpis"].items():
            found[row["team"]].append(_line(row["use_case"], name, kpi, row["owner"]))
    return {team: tuple(lines) for team, lines in found.items()}


def team_reviews(engine: Engine, period: str, *, pools: list[Pool] | None,
                 use_cases: Mapping[str, UseCase], zone: ZoneInfo,
                 now: datetime) -> dict[str, tuple[KpiLine, ...]]:
    """Every team's KPI lines of the period, from one run of the review."""
    return kpi_lines(kpi_review(engine, period, pools=pools, use_cases=use_cases, zone=zone,
                                now=now))


def _change(measured: Mapping[str, Any]) -> PromotedChange:
    before, after, change = measured["before"], measured["after"], measured["change"]
    return PromotedChange(
        use_case=measured["use_case"], candidate=measured["candidate"],
        shipped_on=measured["shipped_on"], before_from=before["from"], measured_to=after["to"],
        cost_per_call_before=_decimal(before["cost_per_call"]),
        cost_per_call_after=_decimal(after["cost_per_call"]),
        cost_per_call_change=_decimal(change["cost_per_call_percent"]),
        pass_rate_before=_decimal(before["pass_rate"]),
        pass_rate_after=_decimal(after["pass_rate"]),
        pass_rate_points=_decimal(change["pass_rate_points"]),
        cost_per_accepted_before=_decimal(before["cost_per_accepted_outcome"]),
        cost_per_accepted_after=_decimal(after["cost_per_accepted_outcome"]),
        cost_per_accepted_change=_decimal(change["cost_per_accepted_outcome_percent"]))


def promoted_changes(engine: Engine, period: str, use_cases: Iterable[str | None], *,
                     zone: ZoneInfo) -> tuple[PromotedChange, ...]:
    """The measured promoted changes of these use cases shipped in `period` or the month
    before, in use case and candidate order."""
    month = Period.parse(period)
    try:
        first = month.previous().bounds(zone)[0].astimezone(zone).date()
    except ValueError:  # the first month a period can name has none before it
        first = month.bounds(zone)[0].astimezone(zone).date()
    last = month.bounds(zone)[1].astimezone(zone).date() - timedelta(days=1)
    changes = []
    for use_case in sorted({name for name in use_cases if name}):
        for candidate in list_candidates(engine, use_case):
            if candidate["decision"] != "promote":
                continue
            try:
                measured = realised(engine, use_case, candidate["name"], until=last, zone=zone)
            except LeverStoreError:  # names neither model nor prompt: it cannot be seen ship
                continue
            if measured["status"] == "measured" and \
                    first.isoformat() <= measured["shipped_on"] <= last.isoformat():
                changes.append(_change(measured))
    return tuple(changes)
