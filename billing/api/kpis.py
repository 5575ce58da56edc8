"""GET /v1/kpis: the monthly KPI review, as `billing kpis`."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Query, Request

from billing.api import deps, problems
from billing.api.deps import AppSettings
from billing.api.names import Name
from billing.api.problems import PERIOD
from billing.close.kpi_review import kpi_review
from billing.policies.in_force import policies_for

router = APIRouter(prefix="/v1", tags=["kpis"],
                   dependencies=[Depends(deps.roles("finance", "team"))])


@router.get("/kpis", summary="The KPI review of a period, each KPI against its target",
            responses=problems.responses(401, 403, 404, 409, 422))
def get_kpis(request: Request, settings: AppSettings, period: str = Query(..., pattern=PERIOD),
             team: Name | None = None) -> dict:
    """A team key sees its own team's review (no organisation row)."""
    team = deps.team_filter(request, team)
    engine = request.app.state.engine
    policies = policies_for(engine, period)
    return kpi_review(engine, period, pools=policies.pools, use_cases=policies.use_cases,
                      zone=settings.zone, now=datetime.now(UTC), team=team)
