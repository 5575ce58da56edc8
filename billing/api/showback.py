"""GET /v1/showback/{team}: a team's spend for a period."""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Query, Request

from billing.api import deps
from billing.api.problems import Problem
from billing.overhead import load_pools_file
from billing.showback import NoUsage, showback

router = APIRouter(prefix="/v1", tags=["showback"],
                   dependencies=[Depends(deps.roles("finance", "team"))])


@router.get("/showback/{team}", summary="A team's showback for a period",
            dependencies=[Depends(deps.team_path)])
def get_showback(
    team: str, request: Request,
    period: str = Query(..., pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-10"]),
) -> dict:
    settings = request.app.state.settings
    if not re.fullmatch(r"[\w .\-]{1,200}", team):
        raise Problem(404, "Not found", f"no showback for team {team!r} in {period}")
    try:
        report = showback(request.app.state.engine, team, period,
                          pools=load_pools_file(settings.overhead_pools))
    except NoUsage:
        raise Problem(404, "Not found", f"no showback for team {team!r} in {period}") from None
    return report.to_dict()
