"""GET /v1/forecast/{team}: the month projected under scenarios, as `billing forecast`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from billing.api import deps, problems
from billing.api.deps import AppSettings
from billing.api.names import Name
from billing.api.problems import PERIOD, Problem
from billing.budgets.budget import BudgetError, parse_amount
from billing.budgets.forecast import (
    MAX_DRIVER,
    NoBaseUsage,
    ScenarioError,
    ledger_forecast,
    parse_scenario,
)
from billing.budgets.forecast_snapshots import forecast_curve, measured_growth, parse_growth

router = APIRouter(prefix="/v1", tags=["forecast"],
                   dependencies=[Depends(deps.roles("finance", "team"))])


@router.get("/forecast/{team}", summary="Projected month cost under named scenarios",
            dependencies=[Depends(deps.team_path)],
            responses=problems.responses(401, 403, 404, 422))
def get_forecast(
    team: Name, request: Request, settings: AppSettings,
    use_case: Name | None = None,
    period: str | None = Query(None, pattern=PERIOD,
                               description="where today's drivers come from; default last "
                               "month; the month in progress is projected from the days "
                               "elapsed"),
    scenario: Annotated[list[str] | None, Query(
        description="NAME=calls:+40%,tokens:9100,rate:0.0042; repeat for more")] = None,
    calls: str | None = None, tokens: str | None = None, rate: str | None = None,
    months: int | None = Query(None, ge=1, le=12, description="also carry each scenario this "
                               "many months ahead at steady adoption growth"),
    growth: str | None = Query(None, description="adoption growth a month, as a percent "
                               "(default: measured, within +-50%)"),
) -> dict:
    try:
        scenarios = [parse_scenario(text) for text in scenario or []]
    except ScenarioError as exc:
        raise Problem(422, "Invalid scenario", str(exc), field="scenario") from None
    overrides = {}
    for name, value in (("calls", calls), ("tokens", tokens), ("rate", rate)):
        try:
            overrides[name] = None if value is None else parse_amount(value, name)
            if value is not None and overrides[name] > MAX_DRIVER:
                raise BudgetError(f"{name}: {value} is beyond any plausible month; at most "
                                  f"{MAX_DRIVER:.0e}")
        except BudgetError as exc:
            raise Problem(422, "Invalid driver", str(exc), field=name) from None
    try:
        result = ledger_forecast(
            request.app.state.engine, team, period, scenarios, now=datetime.now(UTC),
            zone=settings.zone, use_case=use_case, team_card=settings.team_card, **overrides)
    except ScenarioError as exc:
        raise Problem(422, "Invalid scenario", str(exc), field="scenario") from None
    except NoBaseUsage as exc:
        raise Problem(404, "Not found", f"{exc}; {exc.hint}", field="team") from None
    ahead = {}
    if months:
        try:
            per_month = (measured_growth(request.app.state.engine, team, result.base_period,
                                         use_case)
                         if growth is None else parse_growth(growth))
        except ScenarioError as exc:
            raise Problem(422, "Invalid growth", str(exc), field="growth") from None
        ahead = {"ahead": forecast_curve(result, per_month, months)}
    return result.to_dict() | {"team": team, "use_case": use_case} | ahead
