"""Outcomes over HTTP: POST a JSON array of outcomes; GET the unit economics of a period."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from billing.api import deps, problems
from billing.api.deps import AppSettings
from billing.api.names import Name
from billing.api.problems import PERIOD, Problem
from billing.close.outcome_report import unit_economics_for_period
from billing.ledger.outcomes import ingest_outcomes
from billing.period import Period
from billing.policies.in_force import policies_for

router = APIRouter(prefix="/v1", tags=["outcomes"], dependencies=[Depends(deps.require_key)])
MAX_OUTCOMES = 50_000


@router.post(
    "/outcomes", summary="Ingest outcomes of use cases",
    dependencies=[Depends(deps.roles("ingest"))],
    responses=problems.responses(400, 401, 403, 413),
    description="Body: a JSON array of `{outcome_id, use_case, occurred_at, accepted, team?, "
                "quality_score?}`. Idempotent on `outcome_id`; bad rows are listed with the "
                "field at fault, good rows are kept. A use case must be declared "
                "(the use_cases policy in force) or have usage (of the row's team, when it "
                "names one).",
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"type": "array", "items": {"type": "object"}},
        "example": [{"outcome_id": "t-1001", "use_case": "support-copilot",
                     "occurred_at": "2026-11-05T10:00:00Z", "accepted": True}]}}}},
)
async def post_outcomes(request: Request, settings: AppSettings) -> dict:
    try:
        rows = await request.json()
    except (ValueError, RecursionError):
        raise Problem(400, "Malformed JSON", "the body is not valid JSON (or nested too deeply); "
                                             "send a JSON array of outcomes") from None
    if not isinstance(rows, list):
        raise Problem(400, "Not a batch", "send a JSON array of outcomes: [ {...} ]")
    if len(rows) > MAX_OUTCOMES:
        raise Problem(413, "Batch too large",
                      f"the batch holds {len(rows)} outcomes; send at most {MAX_OUTCOMES:,}")
    engine = request.app.state.engine
    current = str(Period.of(datetime.now(UTC), settings.zone))
    declared = await run_in_threadpool(lambda: policies_for(engine, current).use_cases)
    result = await run_in_threadpool(ingest_outcomes, engine, rows, zone=settings.zone,
                                     source="api", use_cases=declared)
    return result.to_dict()


@router.get("/outcomes/unit-economics", summary="Cost per accepted outcome per use case",
            dependencies=[Depends(deps.roles("finance", "team"))],
            responses=problems.responses(401, 403, 404, 409, 422))
def get_unit_economics(request: Request, settings: AppSettings,
                       period: str = Query(..., pattern=PERIOD),
                       team: Name | None = None) -> list[dict]:
    team = deps.team_filter(request, team)
    policies = policies_for(request.app.state.engine, period)
    declared = policies.use_cases
    report = unit_economics_for_period(request.app.state.engine, period,
                                       pools=policies.pools,
                                       use_cases=declared, team=team,
                                       now=datetime.now(UTC), zone=settings.zone)
    return [item.to_dict() | {"definition": declared[item.use_case].to_dict()
                              if item.use_case in declared else None} for item in report]
