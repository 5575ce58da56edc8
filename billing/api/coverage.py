"""GET /v1/coverage: how much of a period's usage and spend has a team and a use case."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from billing.api import deps, problems
from billing.api.names import Name
from billing.api.problems import PERIOD, Problem
from billing.rating.coverage import coverage, spend_coverage

router = APIRouter(prefix="/v1", tags=["coverage"], dependencies=[Depends(deps.require_key)])


@router.get("/coverage", dependencies=[Depends(deps.roles("finance"))],
            summary="Attribution coverage of a period, and its largest unattributed sources",
            responses=problems.responses(401, 403, 422))
def get_coverage(request: Request,
                 period: str = Query(..., pattern=PERIOD, examples=["2026-10"])) -> dict:
    engine = request.app.state.engine
    spend = spend_coverage(engine, period)
    return {"usage": coverage(engine, period).to_dict(),
            "spend": spend.to_dict() if spend else None}


@router.get("/coverage/{team}", summary="A team's own attribution coverage: the share of its "
            "spend that names a use case",
            dependencies=[Depends(deps.roles("finance", "team")), Depends(deps.team_path)],
            responses=problems.responses(401, 403, 404, 422))
def get_team_coverage(team: Name, request: Request,
                      period: str = Query(..., pattern=PERIOD, examples=["2026-10"])) -> dict:
    found = spend_coverage(request.app.state.engine, period, team=team)
    if found is None:
        raise Problem(404, "Not found", f"no rated usage for team {team!r} in {period}")
    return {"team": team, "spend": found.to_dict()}
