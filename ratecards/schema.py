"""The rate-card model: an immutable card version with good/better/best tiers.

Plain frozen dataclasses with Decimal fields; prices are per million tokens.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

TIER_NAMES = ("good", "better", "best")


SERVICE_TIERS = ("batch", "flex", "priority")


@dataclass(frozen=True)
class TokenPrices:
    """A model's prices in one provider service tier (batch, flex, priority)."""

    input: Decimal
    output: Decimal
    cached_input: Decimal
    cache_write_input: Decimal


@dataclass(frozen=True)
class ModelPrice:
    provider: str
    input: Decimal
    output: Decimal
    cached_input: Decimal
    cache_write_input: Decimal
    service_tiers: Mapping[str, TokenPrices] = field(default_factory=dict)
    """Prices in the provider's other service tiers; a tier not named here is priced as
    standard usage."""
    aliases: tuple[str, ...] = ()
    """Other names sources report this model by (a dated snapshot, a Bedrock model id)."""
    cache_write_1h_input: Decimal | None = None
    """The price of cache writes kept for 1 hour (Anthropic), where it differs from
    `cache_write_input`; None prices them as any cache write."""
    web_search_per_1k: Decimal | None = None
    """The price of 1,000 web-search tool requests (Anthropic's server tool, priced per
    search, not per token); None: the card does not price web searches."""

    def in_tier(self, service_tier: str) -> tuple[str, TokenPrices]:
        """The service tier whose prices apply, and those prices."""
        if service_tier in self.service_tiers:
            return service_tier, self.service_tiers[service_tier]
        return "standard", TokenPrices(self.input, self.output, self.cached_input,
                                       self.cache_write_input)


@dataclass(frozen=True)
class Tier:
    name: str
    description: str
    slo: Mapping[str, str]
    markup: Decimal
    per_request_fee: Decimal
    models: Mapping[str, ModelPrice]


@dataclass(frozen=True)
class VolumeBand:
    """Tokens above `above_tokens` in a month are discounted by `discount` (0.05 = 5%)."""

    above_tokens: int
    discount: Decimal


UNUSED_COMMITMENT = ("expire", "carry_over")


@dataclass(frozen=True)
class Commitment:
    """A monthly minimum at a discount. A month's shortfall (its true-up) is prepaid: with
    `unused: carry_over` it is a credit for the next `carry_over_months` months' usage above
    the commitment; with `expire` (the default) it is gone."""

    monthly_amount: Decimal
    discount: Decimal
    unused: str = "expire"
    carry_over_months: int = 0


IDLE_POLICIES = ("charged", "central")


@dataclass(frozen=True)
class Capacity:
    """One model's (or cluster's) capacity for a month on a card."""

    provider: str
    tier: str
    monthly_cost: Decimal
    capacity_tokens: int
    idle: str
    gpu_hours: Decimal | None = None
    gpu_hour_rate: Decimal | None = None

    def basis(self) -> str:
        """How the monthly cost is made, as `billing ratecards show` prints it."""
        if self.gpu_hours is not None and self.gpu_hour_rate is not None:
            return f"{self.gpu_hours} GPU hours x {self.gpu_hour_rate}"
        return "fixed amount"


@dataclass(frozen=True)
class CardVersion:
    card: str
    version: str
    effective_from: date
    currency: str
    tiers: Mapping[str, Tier]
    volume_discounts: Mapping[str, tuple[VolumeBand, ...]] = field(default_factory=dict)
    commitments: Mapping[str, Commitment] = field(default_factory=dict)
    content_hash: str = ""
    capacity: Mapping[str, Capacity] = field(default_factory=dict)
    """Self-hosted models priced by their capacity (ratecards.capacity), not in a tier's
    price list until a period's throughput gives their price."""

    def tier_of(self, model: str) -> str | None:
        priced = self.resolve(model)
        for name, tier in self.tiers.items():
            if priced in tier.models:
                return name
        return None

    def resolve(self, model: str) -> str | None:
        """The card's model a reported name prices as: the name itself, a model's alias, or
        either once a provider prefix (`openai/`), an ARN's path or a Bedrock cross-region
        prefix (`us.`) is taken off; None when the card prices no such model."""
        for name in _candidates(model):
            for tier in self.tiers.values():
                if name in tier.models:
                    return name
            for tier in self.tiers.values():
                for priced, price in tier.models.items():
                    if name in price.aliases:
                        return priced
        return None


GEO_PREFIXES = ("us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au.", "ca.")


def candidates(model: str) -> list[str]:
    """A reported name, then the same without a provider prefix, an ARN's path or a Bedrock
    geography prefix: the names a card or an alias table may know it by."""
    return _candidates(model)


def _candidates(model: str) -> list[str]:
    names = [model]
    bare = model.rsplit("/", 1)[1] if "/" in model else model
    if bare != model:
        names.append(bare)
    for prefix in GEO_PREFIXES:
        if bare.startswith(prefix) and "." in bare[len(prefix):]:
            names.append(bare[len(prefix):])
            break
    return names


def canonical(value: Any) -> Any:
    """A JSON-ready form where decimals are normalised strings, for hashing."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        # empty service_tiers, aliases and 1h prices are left out: older cards keep their hash
        return {name: canonical(getattr(value, name)) for name in value.__dataclass_fields__
                if name != "content_hash"
                and not (name in ("service_tiers", "aliases", "capacity")
                         and not getattr(value, name))
                and not (name == "unused" and getattr(value, name) == "expire")
                and not (name == "carry_over_months" and not getattr(value, name))
                and not (name in ("cache_write_1h_input", "web_search_per_1k")
                         and getattr(value, name) is None)}
    return value


def content_hash(card: CardVersion) -> str:
    """sha256 of the card's meaning: comments and layout do not change it; any price does."""
    text = json.dumps(canonical(card), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
