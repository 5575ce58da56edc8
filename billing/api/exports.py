"""GET /v1/export/focus: a period's rated usage as a FOCUS 1.2 CSV, streamed (finance)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from billing.api import deps, problems
from billing.api.deps import AppSettings
from billing.api.problems import PERIOD, Problem
from billing.exports.focus_data import FOCUS_SCHEMA, NoRatedUsage, focus_dataset
from billing.exports.tables import csv_chunks

router = APIRouter(prefix="/v1", tags=["exports"],
                   dependencies=[Depends(deps.roles("finance"))])
CSV_RESPONSE = {200: {"description": "FOCUS 1.2 cost and usage rows, one per rated-line group "
                                     "and price component, plus charged overhead shares",
                      "content": {"text/csv": {"schema": {"type": "string"}}}}}


@router.get("/export/focus", summary="A period's rated usage as a FOCUS 1.2 CSV",
            response_class=StreamingResponse,
            responses=CSV_RESPONSE | problems.responses(401, 403, 404, 409, 422))
def export_focus(
    request: Request, settings: AppSettings,
    period: str = Query(..., pattern=PERIOD, examples=["2026-10"]),
    fmt: Literal["csv"] = Query("csv", alias="format",
                                description="csv (for Parquet: `billing export focus`)"),
    view: Literal["showback", "chargeback"] = Query(
        "showback", description="showback: teams' usage and charged overhead; "
                                "chargeback: customers' usage"),
) -> StreamingResponse:
    try:
        dataset = focus_dataset(request.app.state.engine, settings, period, view)
    except NoRatedUsage as exc:
        raise Problem(404, "Not found", str(exc)) from None
    filename = f"focus-1.2-{period}-{view}.{fmt}"
    return StreamingResponse(csv_chunks(dataset.rows, FOCUS_SCHEMA), media_type="text/csv",
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'})
