"""Differences between two card versions: prices added, removed and changed."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ratecards.schema import SERVICE_TIERS, TIER_NAMES, CardVersion, ModelPrice

PRICE_FIELDS = ("input", "output", "cached_input", "cache_write_input")
SERVICE_PRICE_FIELDS = tuple(f"{tier}.{field}" for tier in SERVICE_TIERS
                             for field in PRICE_FIELDS)


def _price(model: ModelPrice | None, field: str) -> Decimal | None:
    """A standard price (`input`) or a service tier's (`batch.input`), None where not set."""
    if model is None:
        return None
    tier, _, name = field.rpartition(".")
    if not tier:
        return getattr(model, name)
    prices = model.service_tiers.get(tier)
    return getattr(prices, name) if prices is not None else None


@dataclass(frozen=True)
class PriceChange:
    kind: str  # added | removed | changed
    tier: str
    model: str | None
    field: str
    old: Decimal | None
    new: Decimal | None

    @property
    def pct_change(self) -> Decimal | None:
        if self.old is None or self.new is None or self.old == 0:
            return None
        return ((self.new - self.old) / self.old * 100).quantize(Decimal("0.01"))


def diff_versions(a: CardVersion, b: CardVersion) -> list[PriceChange]:
    changes: list[PriceChange] = []
    for tier in TIER_NAMES:
        old, new = a.tiers.get(tier), b.tiers.get(tier)
        if old is None or new is None:
            continue
        for name in ("markup", "per_request_fee"):
            if getattr(old, name) != getattr(new, name):
                changes.append(PriceChange("changed", tier, None, name, getattr(old, name),
                                           getattr(new, name)))
        for model in sorted(set(old.models) | set(new.models)):
            before, after = old.models.get(model), new.models.get(model)
            for field in PRICE_FIELDS + SERVICE_PRICE_FIELDS:
                was, now = _price(before, field), _price(after, field)
                if was == now:
                    continue
                kind = "added" if was is None else "removed" if now is None else "changed"
                changes.append(PriceChange(kind, tier, model, field, was, now))
    return changes
