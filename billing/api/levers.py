"""Levers over HTTP: what-if pricing, candidates, evaluation results and the gate, as
`billing levers` (the same functions)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import Engine, select
from starlette.concurrency import run_in_threadpool

from billing.api import deps, problems
from billing.api.deps import AppSettings
from billing.api.names import Name
from billing.api.problems import PERIOD, Problem
from billing.budgets.levers.realised import realised
from billing.budgets.levers.spec import LeverError
from billing.budgets.levers.store import (
    LeverStoreError,
    ingest_evaluations,
    list_candidates,
    propose,
    run_gate,
)
from billing.budgets.levers.usage import NoUsage
from billing.budgets.levers.what_if import what_if
from billing.models import RatedLine

router = APIRouter(prefix="/v1", tags=["levers"], dependencies=[Depends(deps.require_key)])
MAX_EVALUATIONS = 10_000
rated = RatedLine.__table__


def _team_owns(engine: Engine, team: str, use_case: str) -> bool:
    query = select(rated.c.id).where(rated.c.team == team, rated.c.use_case == use_case).limit(1)
    with engine.connect() as connection:
        return connection.execute(query).first() is not None


def _readable(request: Request, use_case: str) -> None:
    """A team key sees only the use cases its team has usage of; another's is 404, as if it
    did not exist."""
    principal = deps.require_key(request)
    if principal.role == "team" and not _team_owns(request.app.state.engine, principal.team,
                                                   use_case):
        raise Problem(404, "Not found", f"your team has no use case {use_case!r}")


@router.get("/levers/simulate", summary="What a use case's month would cost under levers",
            dependencies=[Depends(deps.roles("finance", "team"))],
            responses=problems.responses(401, 403, 404, 422))
def get_simulation(
    request: Request, use_case: Name,
    period: Annotated[str, Query(pattern=PERIOD)],
    lever: Annotated[list[str], Query(
        description="routing:best->better:40%, compression:input-35%, caching:hit-rate+20pp, "
                    "batch:30%, policy:max-input=8000; repeat for several")],
    team: Name | None = None,
) -> dict[str, Any]:
    team = deps.team_filter(request, team)
    try:
        return what_if(request.app.state.engine, use_case, period, lever, team)
    except LeverError as exc:
        raise Problem(422, "Invalid lever", str(exc), field="lever") from None
    except NoUsage as exc:
        raise Problem(404, "No usage", str(exc)) from None
    except ValueError as exc:
        raise Problem(422, "Cannot simulate", str(exc), field="team") from None


@router.post(
    "/evaluations", summary="Ingest evaluation results of lever candidates",
    dependencies=[Depends(deps.roles("ingest"))],
    responses=problems.responses(400, 401, 403, 413),
    description="Body: a JSON array of `{evaluation_id, use_case, candidate, calls, passes, "
                "cost, currency, evaluated_at?}`. Idempotent on `evaluation_id`; bad rows are "
                "listed with the field at fault, good rows are kept. The candidate must have "
                "been proposed.",
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"type": "array", "items": {"type": "object"}},
        "example": [{"evaluation_id": "ev-1", "use_case": "support-copilot",
                     "candidate": "baseline", "calls": 1000, "passes": 950, "cost": "33.60",
                     "currency": "USD"}]}}}},
)
async def post_evaluations(request: Request) -> dict:
    try:
        rows = await request.json()
    except (ValueError, RecursionError):
        raise Problem(400, "Malformed JSON", "the body is not valid JSON (or nested too "
                                             "deeply); send a JSON array of evaluations") from None
    if not isinstance(rows, list):
        raise Problem(400, "Not a batch", "send a JSON array of evaluations: [ {...} ]")
    if len(rows) > MAX_EVALUATIONS:
        raise Problem(413, "Batch too large", f"the batch holds {len(rows)} evaluations; send "
                                              f"at most {MAX_EVALUATIONS:,}")
    result = await run_in_threadpool(ingest_evaluations, request.app.state.engine, rows,
                                     source="api")
    return result.to_dict()


@router.post("/levers/candidates", summary="Propose a lever candidate (or the baseline)",
             dependencies=[Depends(deps.roles("admin"))],
             responses=problems.responses(401, 403, 409, 422))
def post_candidate(request: Request, use_case: Name, name: Name, baseline: bool = False,
                   model: str | None = Query(None, max_length=200),
                   prompt_version: str | None = Query(None, max_length=200),
                   routing: str | None = Query(None, max_length=500),
                   note: str = Query("", max_length=2000)) -> dict:
    config = {key: value for key, value in (("model", model), ("prompt_version", prompt_version),
                                            ("routing", routing)) if value}
    principal = deps.require_key(request)
    try:
        return propose(request.app.state.engine, use_case, name, config, baseline=baseline,
                       note=note, by=f"api key {principal.key_id}")
    except LeverStoreError as exc:
        raise Problem(409, "Conflict", str(exc)) from None


@router.get("/levers/candidates", summary="Lever candidates and the gate's decisions",
            dependencies=[Depends(deps.roles("finance", "team"))],
            responses=problems.responses(401, 403, 404, 422))
def get_candidates(request: Request, use_case: Name) -> list[dict]:
    _readable(request, use_case)
    return list_candidates(request.app.state.engine, use_case)


@router.get("/levers/gate", summary="Promote or reject each candidate against the baseline",
            dependencies=[Depends(deps.roles("finance", "team"))],
            responses=problems.responses(401, 403, 404, 409, 422))
def get_gate(request: Request, use_case: Name,
             tolerance: Annotated[Decimal, Query(
                 ge=0, le=100, description="pass-rate points a candidate may lose")] = Decimal(0),
             ) -> dict:
    _readable(request, use_case)
    try:
        return run_gate(request.app.state.engine, use_case, tolerance_pp=tolerance).to_dict()
    except LeverStoreError as exc:
        raise Problem(409, "Cannot decide yet", str(exc)) from None


@router.get("/levers/realised", summary="What a promoted candidate did once shipped",
            dependencies=[Depends(deps.roles("finance", "team"))],
            responses=problems.responses(401, 403, 404, 409, 422))
def get_realised(request: Request, settings: AppSettings, use_case: Name, name: Name,
                 until: date | None = None) -> dict:
    _readable(request, use_case)
    last = until or datetime.now(UTC).astimezone(settings.zone).date()
    try:
        return realised(request.app.state.engine, use_case, name, until=last,
                        zone=settings.zone)
    except LeverStoreError as exc:
        raise Problem(409, "Cannot measure", str(exc)) from None
