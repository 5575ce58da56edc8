"""`billing overview`: the organisation's period for finance, as GET /v1/overview and the
dashboard's organisation page show it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import typer
from rich.table import Table

from billing.cli.console import (
    JSON_OPTION,
    PERIOD_OPTION,
    emit_json,
    fail,
    out,
    print_table,
    ready_engine,
    settings,
)
from billing.close.finance_overview import finance_overview
from billing.money import CurrencyMismatch, round_line
from billing.policies.in_force import policies_for
from billing.rating.overhead import PoolError
from billing.use_cases import UseCaseError


def register(app: typer.Typer) -> None:
    app.command("overview")(overview_command)


def overview_command(period: str = PERIOD_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Every team's spend against its budget and the forecast the last close made, unpriced
    and unattributed spend, KPI status, anomalies and the period's documents: the figures of
    the statements, `billing budgets list`, `billing coverage` and `billing kpis`, side by side.
    Exit 2 if it cannot run."""
    config = settings()
    engine = ready_engine(config)
    try:
        policies = policies_for(engine, period)
        found = finance_overview(engine, period, pools=policies.pools,
                                 use_cases=policies.use_cases, zone=config.zone,
                                 now=datetime.now(UTC))
    except (UseCaseError, PoolError, CurrencyMismatch) as exc:
        fail(str(exc), code=2)
    if as_json:
        emit_json(found | {"documents": [{k: v for k, v in row.items() if k != "pdf_path"}
                                         for row in found["documents"]]})
        return
    table = Table(title=f"{period}, {'closed' if found['closed'] else 'open, to date'}",
                  title_justify="left")
    for name in ("team", "usage", "budget", "against budget", "total", "forecast",
                 "forecast error", "statement"):
        table.add_column(name, justify="left" if name in ("team", "against budget",
                                                           "statement") else "right")
    for row in found["teams"]:
        budget, forecast = row["budget"], row["forecast"] or {}
        table.add_row(row["team"], row["usage_total"], budget["amount"] if budget else "-",
                      budget["variance"]["words"] if budget else "no budget", row["total"],
                      forecast.get("forecast") or "-",
                      f"{forecast['error_percent']}%" if forecast.get("error_percent") else "-",
                      row["statement"]["number"] if row["statement"] else "period open")
    for total in found["totals"]:
        table.add_row(f"all teams ({total['currency']})", total["usage_total"], "", "",
                      total["total"], "", "", "")
    print_table(table, wrap=("against budget",))
    coverage = found["coverage"]
    if coverage:
        share = Decimal(coverage["unattributed_share"]) * 100
        spend = round_line(Decimal(coverage["spend"]), coverage["currency"])
        out.print(f"Unattributed spend: {coverage['unattributed']} {coverage['currency']} "
                  f"({share:.1f}% of {spend} rated); unpriced requests: "
                  f"{coverage['unpriced_requests']}", highlight=False)
    statuses = [kpi["status"] for row in found["kpis"]["use_cases"]
                for kpi in row["kpis"].values()]
    out.print("KPIs: " + ", ".join(f"{statuses.count(s)} {s}" for s in ("green", "amber", "red"))
              + " (`billing kpis` for each)", highlight=False)
    out.print(f"Anomalies: {len(found['anomalies'])}; documents: {len(found['documents'])} "
              "(`billing invoices list`)", highlight=False)
