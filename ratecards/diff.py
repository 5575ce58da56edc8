"""Differences between two card versions: prices added, removed and changed."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ratecards.schema import TIER_NAMES, CardVersion

PRICE_FIELDS = ("input", "output", "cached_input", "cache_write_input")


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
            for field in PRICE_FIELDS:
                was = getattr(before, field) if before else None
                now = getattr(after, field) if after else None
                if was == now:
                    continue
                kind = "added" if before is None else "removed" if after is None else "changed"
                changes.append(PriceChange(kind, tier, model, field, was, now))
    return changes
