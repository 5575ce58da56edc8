"""GET /v1/overview: the organisation's month for finance, as the dashboard's finance page
shows it."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Query, Request

from billing.api import deps, problems
from billing.api.deps import AppSettings
from billing.api.documents import _public as public_document
from billing.api.problems import PERIOD
from billing.close.finance_overview import finance_overview
from billing.policies.in_force import policies_for

router = APIRouter(prefix="/v1", tags=["dashboard"],
                   dependencies=[Depends(deps.roles("finance"))])


@router.get("/overview", summary="The organisation's period: spend by team against budget and "
            "forecast, unpriced and unattributed spend, KPIs, anomalies, documents",
            responses=problems.responses(401, 403, 409, 422))
def get_overview(request: Request, settings: AppSettings,
                 period: str = Query(..., pattern=PERIOD, examples=["2026-10"])) -> dict:
    """Finance and admin keys only: it spans every team, so a team key gets 403."""
    engine = request.app.state.engine
    policies = policies_for(engine, period)
    found = finance_overview(engine, period, pools=policies.pools,
                             use_cases=policies.use_cases, zone=settings.zone,
                             now=datetime.now(UTC))
    found["documents"] = [public_document(row) for row in found["documents"]]
    return found
