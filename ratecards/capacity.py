"""Capacity pricing: a self-hosted model's monthly cost turned into a price per million tokens.

A self-hosted model has no provider price list: its cost is the capacity behind it (GPU hours
at a rate, or a fixed amount a month), whether it serves a token or not. A card's `capacity`
section declares that cost and how many tokens the capacity serves in a month at full use; the
period's throughput (the tokens it actually served) turns it into a price. The part of the
capacity left idle is either charged to the users pro rata (`idle: charged`: the users pay
the whole cost) or held centrally (`idle: central`: the users pay the full-use price, and the
idle remainder is an overhead of the platform). The price is only final once the period's
throughput is: while a period is open it is provisional.

```yaml
capacity:
  llama-3-70b-selfhosted:
    provider: internal
    tier: better
    gpu_hours: 1440            # 2 GPUs for the month ...
    gpu_hour_rate: "2.10"      # ... at this rate; or fixed_amount: "3024.00"
    capacity_tokens: 400000000 # tokens served a month at full use
    idle: central              # or charged
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from ratecards.schema import Capacity, CardVersion, ModelPrice

MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class CapacityPrice:
    """A capacity's price for one period's throughput and where its cost lands."""

    price_per_million: Decimal
    served_tokens: int
    charged: Decimal
    """The cost the users' tokens carry at that price (before the tier's markup and fees)."""
    idle_cost: Decimal
    """The cost of idle capacity held centrally; 0 when idle capacity is charged."""


def capacity_price(capacity: Capacity, served_tokens: int) -> CapacityPrice:
    """The price per million tokens for a period that served `served_tokens`.

    Charged: the whole cost over the tokens served. Central: the cost over the capacity's
    tokens, the idle share staying central. Above capacity no share is idle, so both charge
    the whole cost. With nothing served nothing is charged: the whole cost is idle."""
    if served_tokens < 0:
        raise ValueError(f"served tokens must be >= 0, not {served_tokens}")
    cost, full = capacity.monthly_cost, Decimal(capacity.capacity_tokens)
    if served_tokens == 0:
        return CapacityPrice(cost * MILLION / full, 0, Decimal(0), cost)
    if capacity.idle == "charged" or served_tokens >= capacity.capacity_tokens:
        return CapacityPrice(cost * MILLION / Decimal(served_tokens), served_tokens, cost,
                             Decimal(0))
    price = cost * MILLION / full
    charged = price * Decimal(served_tokens) / MILLION
    return CapacityPrice(price, served_tokens, charged, cost - charged)


def priced_for_period(card: CardVersion, served: Mapping[str, int]) -> CardVersion:
    """The card with each capacity model placed in its tier at the price its throughput gives
    (`served`: tokens per model in the period), so rating prices it like any other model.
    Input, output and cached tokens cost the same: capacity is spent on each alike."""
    if not card.capacity:
        return card
    tiers = dict(card.tiers)
    for model, capacity in card.capacity.items():
        price = capacity_price(capacity, served.get(model, 0)).price_per_million
        tier = tiers[capacity.tier]
        models = {**tier.models, model: ModelPrice(capacity.provider, price, price, price,
                                                   price)}
        tiers[capacity.tier] = replace(tier, models=models)
    return replace(card, tiers=tiers)
