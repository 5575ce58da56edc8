"""Policies over HTTP: finance and admin read published versions; only admin publishes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from billing.api import deps, problems
from billing.api.problems import Problem
from billing.api_keys import Principal
from billing.policies.document import PolicyValidationError
from billing.policies.registry import (
    PublishRefused,
    UnknownPolicy,
    diff,
    get_version,
    listing,
    policy_dict,
    publish,
)

router = APIRouter(prefix="/v1/policies", tags=["policies"])
Engine_ = Annotated[Engine, Depends(deps.engine)]
Reader = Annotated[Principal, Depends(deps.roles("finance"))]
Admin = Annotated[Principal, Depends(deps.roles("admin"))]


class PublishRequest(BaseModel):
    source: str = Field(description="the policy YAML, as `billing policy publish FILE` reads it",
                        max_length=1_000_000)
    filename: str = Field(default="policy.yaml", max_length=500)
    change_note: str = Field(default="", max_length=10_000, description="why this version")


@router.get("", summary="Published policy versions, as `billing policy list`",
            responses=problems.responses(401, 403))
def list_policies(engine: Engine_, _: Reader) -> list[dict]:
    return listing(engine)


@router.get("/{kind}/{version}", summary="One policy version, as `billing policy show`",
            responses=problems.responses(401, 403, 404))
def get_policy(kind: str, version: str, engine: Engine_, _: Reader) -> dict:
    try:
        return policy_dict(get_version(engine, kind, version))
    except UnknownPolicy as exc:
        raise Problem(404, "Not found", str(exc)) from None


@router.get("/{kind}/{old}/diff/{new}", summary="What changed, as `billing policy diff`",
            responses=problems.responses(401, 403, 404))
def diff_policies(kind: str, old: str, new: str, engine: Engine_, _: Reader) -> list[dict]:
    try:
        return diff(get_version(engine, kind, old), get_version(engine, kind, new))
    except UnknownPolicy as exc:
        raise Problem(404, "Not found", str(exc)) from None


@router.post("", summary="Publish a policy version (admin), as `billing policy publish`",
             responses=problems.responses(400, 401, 403, 409, 422, said={
                 409: "That version is published with other content: publish a new "
                      "version"}))
def publish_policy(body: PublishRequest, engine: Engine_, caller: Admin) -> dict:
    try:
        result = publish(engine, body.source, body.filename,
                         published_by=f"api key {caller.key_id}", change_note=body.change_note)
    except PolicyValidationError as exc:
        first = exc.problems[0]
        raise Problem(422, "Invalid policy", str(exc), field=first.field) from None
    except PublishRefused as exc:
        raise Problem(409, "Conflict", str(exc), field="version") from None
    return result.to_dict()
