"""Rate cards and quotes over HTTP: any valid key may read prices."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, BeforeValidator, Field

from billing.api import deps, problems
from billing.api.deps import AppSettings
from billing.api.problems import Problem
from billing.rating.card_registry import (
    UnknownCard,
    card_dict,
    get_version,
    publication,
    published_versions,
)
from billing.rating.quote import AT_EXAMPLE, in_billing_zone, quote_at, read_at
from ratecards import NoVersionInForce, UnpricedModel

router = APIRouter(prefix="/v1", tags=["rate cards"], dependencies=[Depends(deps.require_key)])


def _written_at(value: object) -> datetime | None:
    """`at` read as `billing quote --at` reads it (the billing zone is attached later)."""
    return None if value is None else read_at(value)


WrittenAt = Annotated[datetime | None, BeforeValidator(_written_at)]


class QuoteRequest(BaseModel):
    model: str = Field(examples=["gpt-4o-mini"])
    input_tokens: int = Field(ge=0, examples=[1200])
    output_tokens: int = Field(ge=0, examples=[300])
    cached_input_tokens: int = Field(default=0, ge=0)
    cache_write_input_tokens: int = Field(default=0, ge=0)
    requests: int = Field(default=1, ge=1)
    card: str | None = Field(default=None, description="default: the team card")
    tier: str | None = None
    tokens: Literal["total", "per_call"] = Field(
        default="total", description="total: the token counts are over all the requests; "
        "per_call: they describe one call, made `requests` times")
    at: WrittenAt = Field(
        default=None, examples=["2026-11-01T00:30:00+02:00"],
        description=f"price as of ({AT_EXAMPLE}); an explicit offset is kept, a date or a time "
        "without one is in the billing time zone; default now")


@router.get("/ratecards", summary="Published rate card versions",
            responses=problems.responses(401))
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


@router.get("/ratecards/{card}/{version}", summary="One card version with all its prices",
            responses=problems.responses(401, 404))
def get_card(card: str, version: str, request: Request) -> dict:
    try:
        return card_dict(get_version(request.app.state.engine, card, version))
    except UnknownCard as exc:
        raise Problem(404, "Not found", str(exc)) from None


@router.post("/quote", summary="Price hypothetical usage, as `billing quote`",
             responses=problems.responses(400, 401, 404, 422))
def post_quote(body: QuoteRequest, request: Request, settings: AppSettings) -> dict:
    at = datetime.now(UTC) if body.at is None else in_billing_zone(body.at, settings.zone)
    try:
        result = quote_at(
            request.app.state.engine, body.card or settings.team_card, body.model, at=at,
            timezone=settings.timezone, tier=body.tier, input_tokens=body.input_tokens,
            output_tokens=body.output_tokens, cached_input_tokens=body.cached_input_tokens,
            cache_write_input_tokens=body.cache_write_input_tokens, requests=body.requests,
            tokens=body.tokens)
    except UnknownCard as exc:
        raise Problem(404, "Not found", str(exc), field="card") from None
    except NoVersionInForce as exc:
        raise Problem(422, "No price", str(exc), field="at") from None
    except UnpricedModel as exc:
        raise Problem(422, "Unpriced model", str(exc), field="model") from None
    return result.to_dict()
