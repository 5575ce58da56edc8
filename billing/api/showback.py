"""GET /v1/showback/{team}: a team's spend for a period."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Query, Request

from billing.api import deps, problems
from billing.api.deps import AppSettings
from billing.api.names import Name
from billing.api.problems import DAY, PERIOD, Problem, checked_day
from billing.close.showback import (
    BadGrouping,
    NoUsage,
    showback,
    showback_grouped,
)
from billing.policies.in_force import policies_for

router = APIRouter(prefix="/v1", tags=["showback"],
                   dependencies=[Depends(deps.roles("finance", "team"))])


@router.get("/showback/{team}", summary="A team's showback for a period",
            dependencies=[Depends(deps.team_path)],
            responses=problems.responses(401, 403, 404, 409, 422))
def get_showback(
    team: Name, request: Request, settings: AppSettings,
    period: str = Query(..., pattern=PERIOD, examples=["2026-10"]),
    group_by: str | None = Query(
        None, examples=["use_case,model"],
        description="comma-separated: use_case, model, tier, customer, environment, day. "
                    "Without it: lines by use case, model, tier and environment (as on "
                    "the statement), with overhead and total"),
    use_case: Name | None = None, model: str | None = None, tier: str | None = None,
    customer: Name | None = None, environment: Name | None = None,
    day: str | None = Query(None, pattern=DAY),
) -> dict:
    day = checked_day("day", day)
    filters = {name: value for name, value in (
        ("use_case", use_case), ("model", model), ("tier", tier), ("customer", customer),
        ("environment", environment), ("day", day)) if value is not None}
    if group_by or filters:
        try:
            return showback_grouped(request.app.state.engine, team, period,
                                    group_by=[part.strip() for part in
                                              (group_by or "use_case,model,tier").split(",")
                                              if part.strip()],
                                    filters=filters)
        except BadGrouping as exc:
            raise Problem(422, "Invalid request", str(exc), field="group_by") from None
        except (NoUsage, ValueError):
            raise Problem(404, "Not found",
                          f"no showback for team {team!r} in {period}") from None
    try:
        report = showback(request.app.state.engine, team, period,
                          pools=policies_for(request.app.state.engine, period).pools,
                          now=datetime.now(UTC), zone=settings.zone)
    except NoUsage:
        raise Problem(404, "Not found", f"no showback for team {team!r} in {period}") from None
    return report.to_dict()
