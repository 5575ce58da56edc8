"""The gateway's budget calls: status for several scopes at once, and reservations that hold a
call's estimated cost from the pre-call check until the call is settled or released."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from billing.api import deps, problems
from billing.api.deps import AppSettings
from billing.api.names import Name
from billing.api.problems import PERIOD, Problem
from billing.budgets import live_state, pre_call
from billing.budgets.reservations import DEFAULT_TTL, MAX_TTL

router = APIRouter(prefix="/v1", tags=["budgets"], dependencies=[Depends(deps.authenticated)])
GATEWAY = [Depends(deps.roles("gateway", "ingest"))]
BATCH_ROLES = ("gateway", "finance")
MAX_SCOPES = 1000
PERIOD_FIELD = Field(default=None, pattern=PERIOD,
                     description="YYYY-MM; default: the current period")


class ScopeBody(BaseModel):
    team: Name
    use_case: Name | None = None
    customer: Name | None = None


class StatusBatch(BaseModel):
    period: str | None = PERIOD_FIELD
    scopes: list[ScopeBody] = Field(min_length=1, max_length=MAX_SCOPES)


class ReserveBody(BaseModel):
    model: str = Field(min_length=1, max_length=200, examples=["gpt-4o-mini"])
    input_tokens: int = Field(ge=0, description="the request's prompt tokens")
    max_tokens: int = Field(ge=0, description="the most output the call may produce")
    use_case: Name | None = None
    customer: Name | None = None
    period: str | None = PERIOD_FIELD
    ttl_seconds: float = Field(default=DEFAULT_TTL, gt=0, le=MAX_TTL,
                               description="the hold ends by itself after this long")


class SettleBody(BaseModel):
    input_tokens: int = Field(ge=0, description="input not served from cache")
    output_tokens: int = Field(ge=0)
    cached_input_tokens: int = Field(default=0, ge=0)
    cache_write_input_tokens: int = Field(default=0, ge=0)




@router.post("/budgets/status", summary="allow, warn or block for several scopes at once",
             dependencies=[Depends(deps.roles(*BATCH_ROLES))],
             responses=problems.responses(400, 401, 403, 422),
             response_model=list[dict[str, Any]])
def post_status_batch(body: StatusBatch, request: Request, settings: AppSettings) -> Response:
    period = deps.period_or_current(body.period, settings)
    # serialised as the single check is (status_fast.py answers the same bytes when warm)
    return Response(orjson.dumps([
        live_state.check(request.app.state.engine, scope.team, period,
                         use_case=scope.use_case, customer=scope.customer)
        for scope in body.scopes]), media_type="application/json")


@router.post(
    "/budgets/{team}/reservations", summary="Decide a call and hold its estimated cost",
    dependencies=GATEWAY, responses=problems.responses(400, 401, 403, 422),
    description="The pre-call check with a hold: `decision` block (with `message`) when a hard "
                "cap is reached or this call's estimate (input tokens + max_tokens at card "
                "prices) would pass it; otherwise allow or warn with a `reservation_id` to "
                "settle with the actual usage or release when the call fails. A hold not "
                "settled expires after `ttl_seconds`.",
)
async def post_reservation(team: Name, body: ReserveBody, request: Request,
                           settings: AppSettings) -> dict:
    decision = await run_in_threadpool(
        pre_call.reserve, request.app.state.engine, settings, team,
        deps.period_or_current(body.period, settings), model=body.model,
        input_tokens=body.input_tokens, max_tokens=body.max_tokens, use_case=body.use_case,
        customer=body.customer, ttl=body.ttl_seconds)
    return decision.to_dict()


def _gone(reservation_id: str) -> Problem:
    return Problem(404, "Not found", f"reservation {reservation_id!r} is not open: it expired, "
                   "was settled or released, or never existed; its usage still counts once "
                   "it is ingested and rated", field="reservation_id")


@router.post("/reservations/{reservation_id}/settle", summary="Hold the call's actual cost",
             dependencies=GATEWAY, responses=problems.responses(400, 401, 403, 404, 422))
async def post_settle(reservation_id: str, body: SettleBody, request: Request,
                      settings: AppSettings) -> dict:
    tokens = pre_call.Tokens(body.input_tokens, body.output_tokens, body.cached_input_tokens,
                             body.cache_write_input_tokens)
    try:
        actual = await run_in_threadpool(pre_call.settle, request.app.state.engine, settings,
                                         reservation_id, tokens)
    except pre_call.UnknownReservation:
        raise _gone(reservation_id) from None
    return {"reservation_id": reservation_id, "settled": actual}


@router.post("/reservations/{reservation_id}/release", summary="Release a failed call's hold",
             dependencies=GATEWAY, responses=problems.responses(401, 403, 404))
def post_release(reservation_id: str, request: Request) -> dict:
    try:
        pre_call.release(request.app.state.engine, reservation_id)
    except pre_call.UnknownReservation:
        raise _gone(reservation_id) from None
    return {"reservation_id": reservation_id, "released": True}
