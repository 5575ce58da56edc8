"""Price maths: the internal price of a call, exact in Decimal, never rounded here.

internal = ((input x input price + output x output price + cached x cached price
            + cache write x cache-write price) / 1,000,000
            + web searches x web-search price / 1,000) x (1 + tier markup)
           + requests x per-request fee
A call in a provider service tier (batch, flex, priority) is priced with the model's prices for
that tier where the card lists them, else at its standard prices.
Token counts are totals over all the requests unless `tokens="per_call"` says they describe
one call, then each is multiplied by the requests before pricing. Rounding happens once, at
the document line, outside this package.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from ratecards.schema import CardVersion

MILLION = Decimal(1_000_000)
THOUSAND = Decimal(1_000)
TYPICAL_REQUEST = (1_000, 500)  # input, output tokens: the request a price band describes
TOTAL, PER_CALL = "total", "per_call"  # how a quote reads its token counts
TOKEN_BASES = (TOTAL, PER_CALL)


class UnpricedModel(LookupError):
    def __init__(self, card: str, version: str, model: str, tier: str | None, message: str):
        super().__init__(message)
        self.card, self.version, self.model, self.tier = card, version, model, tier


@dataclass(frozen=True)
class Quote:
    """A price and what it priced: the token counts as given, `tokens` saying whether they are
    per call (x `requests`) or totals, the unit prices used and the exact amounts."""

    card: str
    version: str
    currency: str
    tier: str
    model: str
    provider: str
    service_tier: str
    """The provider service tier whose prices were used (standard unless the card prices the
    call's own tier)."""
    tokens: str
    requests: int
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int
    cache_write_input_tokens: int
    input_price: Decimal
    output_price: Decimal
    cached_input_price: Decimal
    cache_write_input_price: Decimal
    markup: Decimal
    per_request_fee: Decimal
    provider_cost: Decimal
    markup_amount: Decimal
    request_fees: Decimal
    internal_price: Decimal
    priced_model: str = ""
    """The card's model whose prices were used: `model` itself, or the model it is an alias
    of (a dated snapshot, a Bedrock id)."""
    web_search_requests: int = 0
    web_search_price: Decimal | None = None
    """per 1,000 web searches, as the card's `web_search_per_1k`"""
    web_search_fees: Decimal = Decimal(0)
    """web searches x their price / 1,000, a part of provider_cost"""


def tier_of(card: CardVersion, model: str) -> str:
    tier = card.tier_of(model)
    if tier is None and model in card.capacity:
        raise UnpricedModel(card.card, card.version, model, None,
                            f"model {model!r} is priced by its capacity on {card.card}@"
                            f"{card.version}: its price per million tokens is set by a "
                            "period's throughput when usage is rated (`billing ratecards "
                            "show` prints its full-use price)")
    if tier is None:
        raise UnpricedModel(card.card, card.version, model, None,
                            f"model {model!r} is not priced by {card.card}@{card.version}")
    return tier


def quote(
    card: CardVersion,
    model: str,
    *,
    tier: str | None = None,
    input_tokens: int,
    output_tokens: int,
    cached_input_tokens: int = 0,
    cache_write_input_tokens: int = 0,
    requests: int = 1,
    tokens: str = TOTAL,
    service_tier: str = "standard",
    cache_ttl: str = "5m",
    web_search_requests: int = 0,
) -> Quote:
    """Price usage of one model on one card version (in the model's tier unless given).

    `tokens` is TOTAL (the counts are over all `requests`, as in a usage event) or PER_CALL
    (the counts describe one call, made `requests` times). `cache_ttl` "1h" prices the cache
    writes at the model's 1-hour cache-write price, where the card gives one. Web searches
    (always a total) need the model's `web_search_per_1k`: a card without it cannot price them.
    """
    if tokens not in TOKEN_BASES:
        raise ValueError(f"tokens: {tokens!r} should be {TOTAL!r} or {PER_CALL!r}")
    home = tier_of(card, model)
    if tier is not None and tier != home:
        raise UnpricedModel(
            card.card, card.version, model, tier,
            f"model {model!r} is in tier {home} of {card.card}@{card.version}, not {tier}",
        )
    band = card.tiers[home]
    priced_model = card.resolve(model) or model
    model_price = band.models[priced_model]
    priced_tier, price = model_price.in_tier(service_tier)
    if cache_ttl == "1h" and model_price.cache_write_1h_input is not None:
        price = replace(price, cache_write_input=model_price.cache_write_1h_input)
    times = Decimal(requests if tokens == PER_CALL else 1)
    provider_cost = (
        Decimal(input_tokens) * price.input
        + Decimal(output_tokens) * price.output
        + Decimal(cached_input_tokens) * price.cached_input
        + Decimal(cache_write_input_tokens) * price.cache_write_input
    ) * times / MILLION
    search_price = model_price.web_search_per_1k
    if web_search_requests and search_price is None:
        raise UnpricedModel(
            card.card, card.version, model, home,
            f"{card.card}@{card.version} prices no web searches for {priced_model}; give the "
            "model a web_search_per_1k price (per 1,000 searches) on the card")
    search_fees = Decimal(web_search_requests) * (search_price or 0) / THOUSAND
    provider_cost += search_fees
    markup_amount = provider_cost * band.markup
    request_fees = Decimal(requests) * band.per_request_fee
    return Quote(
        card=card.card, version=card.version, currency=card.currency, tier=home, model=model,
        provider=model_price.provider, service_tier=priced_tier, tokens=tokens,
        requests=requests, input_tokens=input_tokens,
        output_tokens=output_tokens, cached_input_tokens=cached_input_tokens,
        cache_write_input_tokens=cache_write_input_tokens,
        input_price=price.input, output_price=price.output,
        cached_input_price=price.cached_input, cache_write_input_price=price.cache_write_input,
        markup=band.markup, per_request_fee=band.per_request_fee,
        provider_cost=provider_cost, markup_amount=markup_amount, request_fees=request_fees,
        internal_price=provider_cost + markup_amount + request_fees,
        priced_model=priced_model, web_search_requests=web_search_requests,
        web_search_price=search_price, web_search_fees=search_fees,
    )


def price_band(card: CardVersion, tier: str) -> tuple[Decimal, Decimal]:
    """Cheapest and dearest internal price of a typical request in a tier (0, 0 if empty)."""
    inputs, outputs = TYPICAL_REQUEST
    prices = [quote(card, model, input_tokens=inputs, output_tokens=outputs).internal_price
              for model in card.tiers[tier].models]
    if not prices:
        return Decimal(0), Decimal(0)
    return min(prices), max(prices)
