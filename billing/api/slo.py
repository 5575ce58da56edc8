"""Service levels over HTTP: GET /v1/slo (as `billing sla attainment`) and the SLA credit
proposals finance approves (as `billing sla proposals` / `billing sla approve`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query, Request

from billing.api import deps, problems
from billing.api.deps import AppSettings
from billing.api.names import Name
from billing.api.problems import PERIOD, Problem
from billing.close.credit_notes import CreditRefused
from billing.close.sla_credits import ProposalNotFound, approve, list_proposals, propose
from billing.close.slo_report import slo_report

router = APIRouter(prefix="/v1", tags=["slo"], dependencies=[Depends(deps.require_key)])
FINANCE = [Depends(deps.roles("finance"))]


@router.get("/slo", summary="p50/p95 latency, error and 429 rates per tier against its SLO",
            dependencies=[Depends(deps.roles("finance", "team"))],
            responses=problems.responses(401, 403, 404, 422))
def get_slo(request: Request, period: str = Query(..., pattern=PERIOD),
            team: Name | None = None, customer: Name | None = None) -> dict:
    """A team key sees its own team's calls; a customer's view is finance's."""
    if team is not None and customer is not None:
        raise Problem(422, "Invalid query", "give team or customer, not both", field="customer")
    principal = deps.require_key(request)
    if customer is not None and principal.role == "team":
        deps.deny_scope(request, "customer", customer)
    if customer is None:
        team = deps.team_filter(request, team)
    return slo_report(request.app.state.engine, period, team=team, customer=customer)


@router.get("/sla/proposals", summary="Propose the period's SLA credits and list them",
            dependencies=FINANCE, responses=problems.responses(401, 403, 422))
def get_proposals(request: Request, period: str = Query(..., pattern=PERIOD)) -> dict:
    engine = request.app.state.engine
    result = propose(engine, period)
    return {**result.to_dict(), "data": list_proposals(engine, period)}


@router.post("/sla/proposals/{proposal_id}/approve", summary="Approve an SLA credit proposal: "
             "its credit note is issued", dependencies=FINANCE,
             responses=problems.responses(401, 403, 404, 409, 422))
def post_approve(request: Request, settings: AppSettings,
                 proposal_id: int = Path(ge=1, le=2**31 - 1)) -> dict:
    try:
        return approve(request.app.state.engine, settings, proposal_id)
    except ProposalNotFound as exc:
        raise Problem(404, "Not found", str(exc)) from None
    except CreditRefused as exc:
        raise Problem(409, "Cannot credit yet", str(exc)) from None
