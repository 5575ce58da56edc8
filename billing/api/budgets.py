"""Budgets over HTTP: finance sets them; the gateway asks allow, warn or block before a call."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from billing.api import deps, problems
from billing.api.deps import AppSettings
from billing.api.names import Name
from billing.api.problems import PERIOD, Problem
from billing.budgets import live_state
from billing.budgets import store as budget_store
from billing.budgets.budget import BudgetError, budget_from_mapping
from billing.close.budget_actuals import budget_variances
from billing.policies.in_force import policies_for
from billing.teams import UnknownTeam, check_team

router = APIRouter(prefix="/v1", tags=["budgets"], dependencies=[Depends(deps.authenticated)])
FINANCE = [Depends(deps.roles("finance"))]
READERS = [Depends(deps.roles("finance", "team"))]


class BudgetBody(BaseModel):
    amount: str = Field(description="decimal string in the card currency", examples=["5000.00"])
    currency: str | None = Field(default=None, description="default: the card's currency")
    hard_cap: bool = False
    thresholds: list[int | str] | None = Field(default=None, examples=[[50, 80, 100]],
                                               description="alert points, percent of amount")
    warn_percent: int | str = Field(default=80, description="status is warn from this percent")
    use_case: Name | None = Field(default=None, description="budget one use case of the team")
    customer: Name | None = Field(default=None, description="budget a customer instead")


@router.put("/budgets/{team}/{period}", summary="Set a team's (or use case's) budget",
            dependencies=FINANCE, responses=problems.responses(400, 401, 403, 404, 422))
def put_budget(team: Name, body: BudgetBody, request: Request, settings: AppSettings,
               period: str = Path(pattern=PERIOD, examples=["2026-10"])) -> dict:
    engine = request.app.state.engine
    defaults = budget_store.default_currencies(engine, settings.team_card, settings.customer_card)
    try:
        budget = budget_from_mapping({**body.model_dump(exclude_none=True), "team": team,
                                      "period": period}, "budget", defaults)
    except BudgetError as exc:
        field = str(exc).split(": ")[1] if str(exc).count(": ") >= 2 else None
        raise Problem(422, "Invalid budget", str(exc), field=field) from None
    if budget.scope.kind != "customer":
        try:
            check_team(engine, policies_for(engine, period).registry, team)
        except UnknownTeam as exc:
            raise Problem(404, "Not found", f"{exc}; {exc.hint}", field="team") from None
    _, created = budget_store.set_budget(engine, budget, set_by="api")
    return budget.to_dict() | {"created": created}


@router.get("/budgets", summary="Budgets of a period with spend, variance and projection",
            dependencies=READERS, responses=problems.responses(401, 403, 404, 409, 422))
def get_budgets(request: Request, settings: AppSettings, period: str = Query(..., pattern=PERIOD),
                team: Name | None = None) -> list[dict]:
    team = deps.team_filter(request, team)
    reports = budget_variances(request.app.state.engine, period,
                               pools=policies_for(request.app.state.engine, period).pools,
                               zone=settings.zone, now=datetime.now(UTC), team=team)
    # a customer's spend is every team's: a team key sees only its own team's scopes
    own_only = deps.require_key(request).role == "team"
    return [report.to_dict() for report in reports
            if not (own_only and report.budget.scope.kind == "customer")]


STATUS_ROLES = ("gateway", "finance", "team")


@router.get(
    "/budgets/{team}/status", summary="allow, warn or block: the gateway's pre-call check",
    dependencies=[Depends(deps.roles(*STATUS_ROLES)), Depends(deps.team_path)],
    responses=problems.responses(401, 403, 404, 422), response_model=dict[str, Any],
    description="Answers from the live budget state in memory (built from the running spend "
                "totals, renewed when usage lands, a rating run finishes or a budget changes), "
                "never a query per request once warm. `decision` is the strictest of the "
                "team's budget and, when given, the use case's and the customer's, counting "
                "the spend held by open reservations. No budget means allow.",
)
async def get_status(team: Name, request: Request,
                     period: str | None = Query(None, pattern=PERIOD),
                     use_case: Name | None = None, customer: Name | None = None) -> Response:
    if customer is not None and deps.customer_hidden(deps.require_key(request)):
        deps.deny_scope(request, "customer", customer)
    period = deps.period_or_current(period, deps.current_settings(request))
    # async, every dependency too, and serialised once: answered from memory once warm,
    # without a hop to the thread pool; a status to read first is read in a thread
    # (status_fast.py answers the warm requests before they reach FastAPI at all)
    engine = request.app.state.engine
    found = live_state.check_warm(engine, team, period, use_case=use_case, customer=customer)
    if found is None:
        found = await run_in_threadpool(live_state.check, engine, team, period,
                                        use_case=use_case, customer=customer)
    return Response(orjson.dumps(found), media_type="application/json")
