"""Rate cards and quotes over HTTP: any valid key may read prices."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from billing.api import deps
from billing.api.problems import Problem
from billing.rating.card_registry import (
    UnknownCard,
    card_dict,
    get_version,
    publication,
    published_versions,
    quote_dict,
)
from ratecards import NoVersionInForce, UnpricedModel, quote, version_in_force

router = APIRouter(prefix="/v1", tags=["rate cards"], dependencies=[Depends(deps.require_key)])


class QuoteRequest(BaseModel):
    model: str = Field(examples=["gpt-4o-mini"])
    input_tokens: int = Field(ge=0, examples=[1200])
    output_tokens: int = Field(ge=0, examples=[300])
    cached_input_tokens: int = Field(default=0, ge=0)
    cache_write_input_tokens: int = Field(default=0, ge=0)
    requests: int = Field(default=1, ge=1)
    card: str | None = Field(default=None, description="default: the team card")
    tier: str | None = None
    at: datetime | None = Field(default=None, description="price as of; default now")


@router.get("/ratecards", summary="Published rate card versions")
def list_cards(request: Request) -> list[dict]:
    engine = request.app.state.engine
    result = []
    for card in published_versions(engine):
        meta = publication(engine, card.card, card.version)
        result.append({"card": card.card, "version": card.version,
                       "effective_from": card.effective_from.isoformat(),
                       "currency": card.currency, "content_hash": card.content_hash,
                       "published_by": meta["published_by"],
                       "published_at": meta["published_at"].isoformat(),
                       "change_note": meta["change_note"]})
    return result


@router.get("/ratecards/{card}/{version}", summary="One card version with all its prices")
def get_card(card: str, version: str, request: Request) -> dict:
    try:
        return card_dict(get_version(request.app.state.engine, card, version))
    except UnknownCard as exc:
        raise Problem(404, "Not found", str(exc)) from None


@router.post("/quote", summary="Price one hypothetical call")
def post_quote(body: QuoteRequest, request: Request) -> dict:
    settings = request.app.state.settings
    name = body.card or settings.team_card
    versions = published_versions(request.app.state.engine, name)
    if not versions:
        raise Problem(404, "Not found", f"no rate card named {name!r} is published",
                      field="card")
    at = body.at or datetime.now(UTC)
    if at.tzinfo is None:
        at = at.replace(tzinfo=settings.zone)
    try:
        version = version_in_force(versions, at, settings.timezone)
        result = quote(version, body.model, tier=body.tier, input_tokens=body.input_tokens,
                       output_tokens=body.output_tokens,
                       cached_input_tokens=body.cached_input_tokens,
                       cache_write_input_tokens=body.cache_write_input_tokens,
                       requests=body.requests)
    except NoVersionInForce as exc:
        raise Problem(422, "No price", str(exc), field="at") from None
    except UnpricedModel as exc:
        raise Problem(422, "Unpriced model", str(exc), field="model") from None
    return quote_dict(result, version.currency)
