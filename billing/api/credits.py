"""Prepaid credit over HTTP: finance grants it and reads every grant's balance."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from billing.api import deps, problems
from billing.api.names import Name
from billing.api.problems import Problem
from billing.close.credits import CreditRefused, grant_credit, list_credits

router = APIRouter(prefix="/v1", tags=["credits"], dependencies=[Depends(deps.require_key)])
FINANCE = [Depends(deps.roles("finance"))]


class GrantBody(BaseModel):
    customer: Name
    amount: str = Field(description="decimal string", examples=["500.00"])
    currency: str = Field(examples=["EUR"])
    expires: str = Field(description="last day it may be used, YYYY-MM-DD",
                         examples=["2027-06-30"])
    reference: str | None = Field(default=None, max_length=200,
                                  description="e.g. the order or contract it was sold under")


@router.post("/credits", summary="Grant a customer prepaid credit", status_code=201,
             dependencies=FINANCE, responses=problems.responses(400, 401, 403, 422))
def post_credit(body: GrantBody, request: Request) -> dict:
    try:
        return grant_credit(request.app.state.engine, body.customer, body.amount, body.currency,
                            body.expires, reference=body.reference)
    except CreditRefused as exc:
        field = str(exc).split(" ", 1)[0]
        raise Problem(422, "Invalid credit grant", str(exc),
                      field=field if field in GrantBody.model_fields else None) from None


@router.get("/credits", summary="Credit grants with what invoices drew and their balance",
            dependencies=FINANCE, responses=problems.responses(401, 403, 422))
def get_credits(request: Request, customer: Name | None = None) -> dict:
    return {"data": list_credits(request.app.state.engine, customer=customer)}
