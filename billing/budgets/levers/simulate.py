"""What a use case's month would have cost under some levers, at the card prices in force.

The period's actual usage (the rated lines' aggregates, one slice per day, model and service
tier) is transformed by each lever and priced again with the same `quote` rating uses, so
"before" is the ledger's own amount. Levers apply in a fixed order, tokens first and prices
last: the input cap, compression, caching, then routing and batch. Combined is therefore
computed, not the sum of the parts: routing prices the tokens compression has already
removed. Pure: the slices and card versions come from `billing.budgets.levers.usage`.

Token counts are kept as exact fractions (35% of 1,001 tokens is 350.35 tokens): a what-if is
an estimate of money, and rounding tokens would move it by more than the card's precision.
The input cap works on each slice's average call (the ledger keeps totals, not each call),
so it understates the cut when a few calls are far above the cap.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from billing.budgets.levers.spec import Lever
from ratecards.pricing import TYPICAL_REQUEST, UnpricedModel, quote
from ratecards.schema import CardVersion

BATCH = "batch"


@dataclass(frozen=True)
class Slice:
    """Usage of one model on one day in one provider service tier, as rated."""

    usage_date: date
    model: str
    service_tier: str
    requests: Decimal
    input_tokens: Decimal
    output_tokens: Decimal
    cached_input_tokens: Decimal
    cache_write_input_tokens: Decimal
    card: CardVersion

    @property
    def prompt(self) -> Decimal:
        return self.input_tokens + self.cached_input_tokens + self.cache_write_input_tokens

    def scaled(self, factor: Decimal) -> Slice:
        return replace(self, requests=self.requests * factor,
                       input_tokens=self.input_tokens * factor,
                       output_tokens=self.output_tokens * factor,
                       cached_input_tokens=self.cached_input_tokens * factor,
                       cache_write_input_tokens=self.cache_write_input_tokens * factor)


@dataclass(frozen=True)
class Outcome:
    """Spend and calls under a set of levers, with what could not be applied and why."""

    name: str
    spend: Decimal
    requests: Decimal
    notes: tuple[str, ...] = ()

    @property
    def cost_per_call(self) -> Decimal | None:
        return self.spend / self.requests if self.requests else None


@dataclass(frozen=True)
class Simulation:
    baseline: Outcome
    levers: tuple[Outcome, ...]
    """Each lever alone, in the order given."""
    combined: Outcome


ORDER = ("policy", "compression", "caching", "routing", "batch")


def simulate(slices: list[Slice], levers: list[Lever]) -> Simulation:
    baseline = _price("actual", slices, ())
    alone = tuple(_price(lever.text, *_apply(slices, [lever])) for lever in levers)
    ordered = sorted(levers, key=lambda lever: ORDER.index(lever.kind))
    combined = _price(" + ".join(lever.text for lever in levers), *_apply(slices, ordered))
    return Simulation(baseline, alone, combined)


def _apply(slices: list[Slice], levers: list[Lever]) -> tuple[list[Slice], tuple[str, ...]]:
    notes: list[str] = []
    for lever in levers:
        slices = _LEVERS[lever.kind](slices, lever, notes)
    return slices, tuple(dict.fromkeys(notes))


def _price(name: str, slices: list[Slice], notes: tuple[str, ...]) -> Outcome:
    """A model the card prices by capacity (or not at all) has no price per token to redo:
    its usage stays at the ledger's amount on every side, and a note says so."""
    spend = Decimal(0)
    left_out: dict[str, str] = {}
    for part in slices:
        try:
            spend += quote(part.card, part.model, input_tokens=part.input_tokens,
                           output_tokens=part.output_tokens,
                           cached_input_tokens=part.cached_input_tokens,
                           cache_write_input_tokens=part.cache_write_input_tokens,
                           requests=part.requests, service_tier=part.service_tier
                           ).internal_price
        except UnpricedModel as exc:
            left_out.setdefault(part.model, str(exc))
    notes += tuple(f"{model} kept at its rated amount, not simulated: {why}"
                   for model, why in sorted(left_out.items()))
    return Outcome(name, spend, sum((part.requests for part in slices), Decimal(0)), notes)


def _cap_input(slices: list[Slice], lever: Lever, notes: list[str]) -> list[Slice]:
    out = []
    for part in slices:
        cap = Decimal(lever.max_input) * part.requests
        if part.prompt > cap > 0:
            factor = cap / part.prompt
            part = replace(part, input_tokens=part.input_tokens * factor,
                           cached_input_tokens=part.cached_input_tokens * factor,
                           cache_write_input_tokens=part.cache_write_input_tokens * factor)
        out.append(part)
    return out


def _compress(slices: list[Slice], lever: Lever, notes: list[str]) -> list[Slice]:
    keep = 1 - lever.share
    return [replace(part, input_tokens=part.input_tokens * keep,
                    cached_input_tokens=part.cached_input_tokens * keep,
                    cache_write_input_tokens=part.cache_write_input_tokens * keep)
            for part in slices]


def _cache(slices: list[Slice], lever: Lever, notes: list[str]) -> list[Slice]:
    """The hit rate is cached / (uncached + cached) input; more hits move input to the
    cache-read price, the prompt itself unchanged."""
    out = []
    for part in slices:
        read = part.input_tokens + part.cached_input_tokens
        if read:
            hit = min(Decimal(1), part.cached_input_tokens / read + lever.share)
            part = replace(part, cached_input_tokens=read * hit,
                           input_tokens=read - read * hit)
        out.append(part)
    return out


def _route(slices: list[Slice], lever: Lever, notes: list[str]) -> list[Slice]:
    out = []
    for part in slices:
        card = part.card
        if not _matches(card, part.model, lever.source):
            out.append(part)
            continue
        target = _target_model(card, lever.target, part.model, slices)
        if target is None:
            notes.append(f"{card.card}@{card.version} has no model {lever.target!r} to route "
                         f"to (neither a tier nor a model of the card); {part.model} kept")
            out.append(part)
            continue
        out.append(part.scaled(1 - lever.share))
        out.append(replace(part.scaled(lever.share), model=target))
    return out


def _batch(slices: list[Slice], lever: Lever, notes: list[str]) -> list[Slice]:
    out = []
    for part in slices:
        if part.service_tier == BATCH:
            out.append(part)
            continue
        price = part.card.tiers[part.card.tier_of(part.model)].models[
            part.card.resolve(part.model) or part.model]
        if BATCH not in price.service_tiers:
            notes.append(f"{part.card.card}@{part.card.version} lists no batch price for "
                         f"{part.model}: its calls stay at standard prices")
            out.append(part)
            continue
        out.append(part.scaled(1 - lever.share))
        out.append(replace(part.scaled(lever.share), service_tier=BATCH))
    return out


def _matches(card: CardVersion, model: str, source: str) -> bool:
    return source == model or (source in card.tiers and card.tier_of(model) == source)


def _target_model(card: CardVersion, target: str, model: str, slices: list[Slice]) -> str | None:
    """A model named is used as is. A tier named is the tier's model the use case already
    uses most; else the tier's model from the same provider, else its cheapest for a typical
    request: the choice a platform team would make first."""
    if card.tier_of(target) is not None:
        return target
    if target not in card.tiers:
        return None
    models = card.tiers[target].models
    used: dict[str, Decimal] = defaultdict(Decimal)
    for part in slices:
        if part.card is card and (card.resolve(part.model) or part.model) in models:
            used[part.model] += part.requests
    if used:
        return max(sorted(used), key=lambda name: used[name])
    if not models:
        return None
    provider = card.tiers[card.tier_of(model)].models[card.resolve(model) or model].provider
    same = sorted(name for name, price in models.items() if price.provider == provider)
    if same:
        return min(same, key=lambda name: _typical(card, name))
    return min(sorted(models), key=lambda name: _typical(card, name))


def _typical(card: CardVersion, model: str) -> Decimal:
    inputs, outputs = TYPICAL_REQUEST
    try:
        return quote(card, model, input_tokens=inputs, output_tokens=outputs).internal_price
    except UnpricedModel:
        return Decimal("Infinity")


_LEVERS = {"policy": _cap_input, "compression": _compress, "caching": _cache,
           "routing": _route, "batch": _batch}
