"""GET /v1/alerts: budget thresholds, hard caps, anomalies and unpriced usage, newest first."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response

from billing.api import deps, problems
from billing.api.names import Name
from billing.api.problems import MAX_CURSOR, PERIOD
from billing.budgets.alerts import list_alerts

router = APIRouter(prefix="/v1", tags=["alerts"],
                   dependencies=[Depends(deps.roles("finance", "team"))])


@router.get("/alerts", summary="Alerts raised, newest first",
            responses=problems.responses(401, 403, 404, 422))
def get_alerts(request: Request,
               period: str | None = Query(None, pattern=PERIOD),
               team: Name | None = None, kind: str | None = None,
               limit: int = Query(500, ge=1, le=5000),
               cursor: int | None = Query(None, ge=1, le=MAX_CURSOR,
                                          description="the X-Next-Cursor header "
                                          "of the previous page"),
               response: Response = None) -> list[dict]:
    team = deps.team_filter(request, team)
    rows = list_alerts(request.app.state.engine, period=period, team=team, kind=kind,
                       limit=limit, before_id=cursor)
    if len(rows) == limit and response is not None:
        response.headers["X-Next-Cursor"] = str(rows[-1]["id"])
    return [row | {"raised_at": row["raised_at"].isoformat()} for row in rows]
