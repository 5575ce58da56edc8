"""GET /v1/coverage: how much of a period's usage and spend has a team and a use case."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from billing.api import deps
from billing.coverage import coverage, spend_coverage

router = APIRouter(prefix="/v1", tags=["coverage"],
                   dependencies=[Depends(deps.roles("finance"))])


@router.get("/coverage", summary="Attribution coverage of a period, and its largest "
            "unattributed sources")
def get_coverage(request: Request,
                 period: str = Query(..., pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                                     examples=["2026-10"])) -> dict:
    engine = request.app.state.engine
    spend = spend_coverage(engine, period)
    return {"usage": coverage(engine, period).to_dict(),
            "spend": spend.to_dict() if spend else None}
