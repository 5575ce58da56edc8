"""Capacity-priced models in rating: the period's throughput sets their price.

A self-hosted model's price per million tokens (ratecards.capacity) depends on every token the
period served, so each rating run that adds usage of such a model re-prices the period's
lines of it at the price the new throughput gives. While a period is open the price is
provisional (the throughput so far); the close rates the period first, so its documents carry
the final price. A closed period never changes: its late usage is priced at the closed
period's throughput plus the late tokens.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, or_, select, update

from billing.models import RatedLine
from billing.money import round_line
from billing.rating.card_registry import UnknownCard, stored_version
from billing.rating.overhead import Pool
from ratecards import CardVersion, capacity_price

lines_table = RatedLine.__table__
TOKEN_COLUMNS = ("input_tokens", "output_tokens", "cached_input_tokens",
                 "cache_write_input_tokens")
PRICE_FIELDS = ("tier", "card", "card_version", "priced_model", "currency", "input_price",
                "output_price", "cached_input_price", "cache_write_input_price", "markup",
                "per_request_fee", "provider_cost", "amount", "unpriced_reason")
Served = dict[str, dict[str, int]]
"""Tokens served per period, per capacity-priced model."""


def capacity_models(versions: Iterable[CardVersion]) -> frozenset[str]:
    return frozenset(model for version in versions for model in version.capacity)


def served_tokens(connection: Connection, new: Iterable[tuple[str, str, int]],
                  models: frozenset[str]) -> Served:
    """The throughput of each (period, capacity model) that new usage touches: tokens
    already rated for the period (showback: every token appears there once) plus the new."""
    served: Served = defaultdict(dict)
    for period, model, tokens in new:
        if model in models:
            served[period][model] = served[period].get(model, 0) + tokens
    for period, found in served.items():
        tokens = sum(func.coalesce(lines_table.c[name], 0) for name in TOKEN_COLUMNS)
        rows = connection.execute(
            select(lines_table.c.model, func.sum(tokens))
            .where(lines_table.c.view == "showback", lines_table.c.model.in_(list(found)),
                   or_(lines_table.c.adjusts_period == period,
                       (lines_table.c.period == period)
                       & lines_table.c.adjusts_period.is_(None)))
            .group_by(lines_table.c.model))
        for model, total in rows:
            found[model] += int(total or 0)
    return dict(served)


Price = Callable[[str, tuple, list[int]], dict[str, Any]]
"""Prices one aggregate of a view (rating's price_line with its cards bound)."""


def reprice(connection: Connection, served: Mapping[str, Mapping[str, int]],
            closed: frozenset[str], price: Price) -> set[str]:
    """Re-price the rated lines of each open period's capacity models at the throughput now
    known; the periods whose lines changed (their running totals need a rebuild)."""
    changed = set()
    for period, models in served.items():
        if period in closed:
            continue
        rows = connection.execute(select(lines_table).where(
            lines_table.c.period == period, lines_table.c.adjusts_period.is_(None),
            lines_table.c.model.in_(list(models)))).all()
        for row in rows:
            key = (row.period, row.usage_date, row.team, row.use_case, row.customer,
                   row.environment, row.provider, row.model, row.tier, row.attributed_by,
                   row.service_tier, row.project)
            totals = [row.events, row.requests, *[getattr(row, name) or 0
                                                  for name in TOKEN_COLUMNS],
                      row.reported_cost_nanos or 0]
            line = price(row.view, key, totals)
            connection.execute(update(lines_table).where(lines_table.c.id == row.id).values(
                {name: line.get(name) for name in PRICE_FIELDS}))
            changed.add(period)
    return changed


def capacity_in_period(connection: Connection, period: str) -> list[dict[str, Any]]:
    """Each capacity-priced model's period on the team card its showback lines were priced
    with: cost, throughput, price, what the users carry and the idle cost held centrally."""
    tokens = sum(func.coalesce(lines_table.c[name], 0) for name in TOKEN_COLUMNS)
    rows = connection.execute(
        select(lines_table.c.model, lines_table.c.card, lines_table.c.card_version,
               lines_table.c.team, func.sum(tokens).label("tokens"))
        .where(lines_table.c.view == "showback", lines_table.c.period == period,
               lines_table.c.adjusts_period.is_(None), lines_table.c.card.is_not(None))
        .group_by(lines_table.c.model, lines_table.c.card, lines_table.c.card_version,
                  lines_table.c.team)).all()
    found: dict[str, dict[str, Any]] = {}
    versions: dict[tuple[str, str], CardVersion | None] = {}
    for row in rows:
        key = (row.card, row.card_version)
        if key not in versions:
            try:
                versions[key] = stored_version(connection, *key)
            except UnknownCard:  # priced by a card never published (a test's): no capacity
                versions[key] = None
        if versions[key] is None:
            continue
        capacity = versions[key].capacity.get(row.model)
        if capacity is None:
            continue
        entry = found.setdefault(row.model, {"model": row.model, "capacity": capacity,
                                             "currency": versions[key].currency,
                                             "card": f"{row.card}@{row.card_version}",
                                             "teams": {}, "served": 0})
        entry["served"] += int(row.tokens or 0)
        team = row.team or "unattributed"
        entry["teams"][team] = entry["teams"].get(team, 0) + int(row.tokens or 0)
    result = []
    for model, entry in sorted(found.items()):
        capacity, price = entry["capacity"], capacity_price(entry["capacity"], entry["served"])
        result.append({"model": model, "card": entry["card"], "currency": entry["currency"],
                       "monthly_cost": str(capacity.monthly_cost), "basis": capacity.basis(),
                       "capacity_tokens": capacity.capacity_tokens,
                       "served_tokens": entry["served"], "idle": capacity.idle,
                       "price_per_million": str(price.price_per_million),
                       "charged": str(price.charged), "idle_cost": str(price.idle_cost),
                       "teams": entry["teams"]})
    return result


def idle_capacity_pools(connection: Connection, period: str) -> list[Pool]:
    """Idle capacity held centrally, as a central overhead pool per model: statements show
    each team its share (by its tokens of the model), funded centrally, never added."""
    pools = []
    for entry in capacity_in_period(connection, period):
        idle = round_line(Decimal(entry["idle_cost"]), entry["currency"])
        if entry["idle"] != "central" or not idle:
            continue
        pools.append(Pool(f"idle capacity: {entry['model']}", idle, entry["currency"],
                          "shares", "central",
                          shares={team: Decimal(tokens)
                                  for team, tokens in entry["teams"].items() if tokens},
                          periods=(period,)))
    return pools
