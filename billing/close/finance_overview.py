"""The organisation's month for finance: every team's spend against its budget and forecast,
unpriced and unattributed spend, the KPI review, anomalies and the period's documents.

Nothing is computed here that another module owns: each figure is the owning function's own
(document lines, budget variances, forecast accuracy, spend coverage, the KPI review, alerts,
the document store), put side by side, so the finance page agrees with the statements, `billing
budgets list`, `billing coverage`, `billing kpis` and the API to the cent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from billing.budgets.alerts import list_alerts
from billing.budgets.forecast_snapshots import forecast_accuracy
from billing.close.budget_actuals import budget_variances
from billing.close.document_store import list_documents
from billing.close.kpi_review import kpi_review
from billing.close.lines import is_closed, period_lines
from billing.money import round_line
from billing.rating.coverage import coverage, spend_coverage
from billing.rating.overhead import Pool
from billing.use_cases import UseCase

MAX_ANOMALIES = 200
DOCUMENT_KINDS = "statement,invoice,credit_note"


def _totals(teams: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sum of the teams' rounded amounts, one entry per currency (never added across)."""
    sums: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)
    for team in teams:
        entry = sums[team["currency"]]
        for n, name in enumerate(("usage_total", "charged_overhead", "total")):
            entry[n] += Decimal(team[name])
    return [{"currency": currency, "usage_total": str(usage), "charged_overhead": str(overhead),
             "total": str(total), "teams": sum(t["currency"] == currency for t in teams)}
            for currency, (usage, overhead, total) in sorted(sums.items())]


def _unattributed(engine: Engine, period: str) -> dict[str, Any] | None:
    spend = spend_coverage(engine, period)
    if spend is None:
        return None
    missing = round_line(spend.spend - spend.team_after_rules, spend.currency)
    sources = [row for row in coverage(engine, period).to_dict()["by_team_and_use_case"]
               if row["team"] is None or row["use_case"] is None]
    return spend.to_dict() | {"unattributed": str(missing),
                              "unattributed_share": str(1 - spend.share(spend.team_after_rules)),
                              "sources": sources}


def finance_overview(engine: Engine, period: str, *, pools: list[Pool] | None,
                     use_cases: Mapping[str, UseCase], zone: ZoneInfo,
                     now: datetime) -> dict[str, Any]:
    """The period for finance and admin keys (GET /v1/overview)."""
    lines = period_lines(engine, period, pools=pools, now=now, zone=zone)
    budgets = {report.budget.scope.key: report.to_dict()
               for report in budget_variances(engine, period, pools=pools, zone=zone, now=now)
               if report.budget.scope.kind == "team"}
    forecasts = forecast_accuracy(engine, period)
    statements = {row["subject"]: row for row in list_documents(engine, kinds="statement",
                                                                 period=period)}
    teams = []
    for name, team in lines.items():
        budget = budgets.get(name)
        statement = statements.get(name)
        teams.append({
            "team": name, "currency": team.currency, "usage_total": str(team.usage_total),
            "charged_overhead": str(team.charged_overhead), "total": str(team.total),
            "budget": None if budget is None else {
                "amount": budget["amount"], "currency": budget["currency"],
                "variance": budget["variance"], "status": budget["status"],
                "projection": budget["projection"]},
            "forecast": forecasts.get(name),
            "unpriced": team.unpriced_by_model(),
            "statement": None if statement is None else {
                "number": statement["number"], "total": statement["total"],
                "currency": statement["currency"]},
        })
    with engine.connect() as connection:
        closed = is_closed(connection, period)
    return {
        "period": period, "closed": closed, "teams": teams, "totals": _totals(teams),
        "coverage": _unattributed(engine, period),
        "kpis": kpi_review(engine, period, pools=pools, use_cases=use_cases, zone=zone,
                           now=now),
        "anomalies": [row | {"raised_at": row["raised_at"].isoformat()} for row in list_alerts(
            engine, period=period, kind="anomaly", limit=MAX_ANOMALIES)],
        "documents": list_documents(engine, kinds=DOCUMENT_KINDS, period=period),
    }
