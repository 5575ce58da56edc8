"""`billing kpis`: the monthly KPI review, each number against its target."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.table import Table
from rich.text import Text

from billing.cli.console import (
    JSON_OPTION,
    PERIOD_OPTION,
    check_name,
    emit_json,
    fail,
    out,
    print_table,
    ready_engine,
    settings,
)
from billing.close.kpi_review import kpi_review
from billing.money import CurrencyMismatch
from billing.policies.in_force import policies_for
from billing.rating.overhead import PoolError
from billing.use_cases import UseCaseError

COLOURS = {"green": "green", "amber": "yellow", "red": "red"}


def register(app: typer.Typer) -> None:
    app.command("kpis")(kpis_command)


def _cell(kpi: dict, suffix: str = "%") -> Text:
    if kpi["value"] is None:
        return Text(kpi["status"], style="dim")
    return Text(f"{kpi['value']}{suffix} {kpi['status']}",
                style=COLOURS.get(kpi["status"], ""))


def kpis_command(
    period: str = PERIOD_OPTION,
    team: str = typer.Option(None, "--team", "-t", help="Only this team.", callback=check_name),
    as_json: bool = JSON_OPTION,
) -> None:
    """The KPI review of a period: per use case, team and the organisation, each KPI against
    its target (the use_cases policy's kpi_targets, else the defaults) as green, amber or red,
    with its owner. Exit 2 if it cannot run."""
    config = settings()
    engine = ready_engine(config)
    try:
        policies = policies_for(engine, period)
        review = kpi_review(engine, period, pools=policies.pools, use_cases=policies.use_cases,
                            zone=config.zone, now=datetime.now(UTC), team=team)
    except (UseCaseError, PoolError, CurrencyMismatch) as exc:
        fail(str(exc), code=2)
    if as_json:
        emit_json(review)
        return
    print_review(review)


def print_review(review: dict) -> None:
    """The review as tables; `make demo` prints it too."""
    organisation = review["organisation"]
    if organisation:
        kpi = organisation["attribution_coverage"]
        out.print(Text.assemble(f"KPI review, {review['period']}: attribution coverage ",
                                _cell(kpi), f" (target >= {kpi['target']}%)"))
    table = Table(title="Per use case (owner)", title_justify="left")
    for name in ("use case", "owner", "per accepted outcome", "vs last month", "input share",
                 "cache hit rate", "pass rate at promotion"):
        table.add_column(name)
    for row in review["use_cases"]:
        kpis = row["kpis"]
        cost = kpis["cost_per_outcome"]
        table.add_row(f"{row['team']}/{row['use_case']}", row["owner"],
                      cost["cost_per_accepted_outcome"] or "none accepted",
                      _cell(cost), _cell(kpis["input_share"]), _cell(kpis["cache_hit_rate"]),
                      _cell(kpis["eval_pass_rate_at_promotion"]))
    print_table(table, wrap=("use case",), optional=("owner", "pass rate at promotion",
                                                      "vs last month"))
    teams = Table(title="Per team", title_justify="left")
    for name in ("team", "forecast error", "forecast", "budget variance", "budget"):
        teams.add_column(name)
    for row in review["teams"]:
        forecast, budget = row["forecast_accuracy"], row["budget_variance"]
        teams.add_row(row["team"], _cell(forecast), forecast["note"], _cell(budget),
                      budget["note"])
    print_table(teams, wrap=("forecast", "budget"))
    out.print("Targets: cost per accepted outcome not rising, input share <= 80%, cache hit rate "
              ">= 20%, forecast error <= 10%, budget variance <= 5%, unless a use case's "
              "kpi_targets say otherwise; amber is just past the target, red beyond.",
              highlight=False)
