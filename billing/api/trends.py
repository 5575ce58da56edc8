"""Who is calling, and a team's trends: what the dashboard needs beyond the other endpoints.

GET /v1/me tells a page which teams and periods its key can read; GET /v1/trends/{team}
gives spend by use case and by model and cost per accepted outcome over the last months.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Query, Request

from billing.api import deps, problems
from billing.api.deps import AppSettings
from billing.api.names import Name
from billing.api.problems import PERIOD
from billing.api_keys import Principal
from billing.budgets import store as budget_store
from billing.close.showback import periods_with_spend, teams_with_spend
from billing.close.trends import MAX_MONTHS, team_trends
from billing.period import Period
from billing.policies.in_force import policies_for

router = APIRouter(prefix="/v1", tags=["dashboard"], dependencies=[Depends(deps.require_key)])
READERS = ("finance", "team")


@router.get("/me", summary="The calling key: its role, the teams and periods it can read",
            responses=problems.responses(401))
def get_me(request: Request, settings: AppSettings) -> dict:
    principal: Principal = deps.require_key(request)
    engine = request.app.state.engine
    if principal.role == "team":
        teams = [principal.team] if principal.team else []
    elif principal.role in ("admin", *READERS):
        teams = teams_with_spend(engine)
    else:
        teams = []
    periods = (periods_with_spend(engine, teams[0]) if principal.role == "team" and teams
               else periods_with_spend(engine) if teams else [])
    return {"role": principal.role, "team": principal.team, "teams": teams,
            "periods": periods,
            "current_period": str(Period.of(datetime.now(UTC), settings.zone)),
            "currency": budget_store.card_currency(engine, settings.team_card) or "USD"}


@router.get("/trends/{team}", summary="A team's spend by use case and model, and cost per "
            "accepted outcome, over the last months",
            dependencies=[Depends(deps.roles(*READERS)), Depends(deps.team_path)],
            responses=problems.responses(401, 403, 404, 409, 422))
def get_trends(
    team: Name, request: Request, settings: AppSettings,
    until: str | None = Query(None, pattern=PERIOD, examples=["2026-10"],
                              description="the last period shown; default the current one"),
    months: int = Query(6, ge=1, le=MAX_MONTHS),
) -> dict:
    until = until or str(Period.of(datetime.now(UTC), settings.zone))
    engine = request.app.state.engine
    return team_trends(engine, team, until, months,
                       pools=lambda period: policies_for(engine, period).pools,
                       use_cases=lambda period: policies_for(engine, period).use_cases,
                       now=datetime.now(UTC), zone=settings.zone)
