"""A use case's rated usage of a period, read as slices for the simulation.

The database aggregates (one row per day, model, service tier and card version); Python
prices the aggregates. Lines without a price, or priced from a cost the source reported,
cannot be re-priced under a lever: they are counted and left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Engine, func, literal_column, select

from billing.budgets.levers.simulate import Slice
from billing.exact_sum import money_sum
from billing.models import RatedLine
from billing.rating.card_registry import get_version

rated = RatedLine.__table__
TOKENS = ("requests", "input_tokens", "output_tokens", "cached_input_tokens",
          "cache_write_input_tokens")


@dataclass(frozen=True)
class UseCaseUsage:
    use_case: str
    period: str
    currency: str | None
    spend: Decimal
    """The ledger's amount for the use case's priced lines: the simulation's "before"."""
    slices: list[Slice]
    fixed_spend: Decimal
    """Spend no lever can change (priced from a reported cost)."""
    unpriced_lines: int


class NoUsage(LookupError):
    pass


def use_case_usage(engine: Engine, use_case: str, period: str,
                   team: str | None = None) -> UseCaseUsage:
    where = [rated.c.view == "showback", rated.c.period == period,
             rated.c.use_case == use_case]
    if team is not None:
        where.append(rated.c.team == team)
    group = (rated.c.usage_date, rated.c.model, rated.c.service_tier, rated.c.card,
             rated.c.card_version, rated.c.currency)
    priced = rated.c.amount.is_not(None)
    reported = rated.c.reported_cost_nanos > literal_column("0")  # one text in SELECT and GROUP BY
    query = (select(*group, reported.label("reported"),
                    money_sum(rated.c.amount).label("amount"),
                    *[func.sum(rated.c[name]).label(name) for name in TOKENS])
             .where(*where, priced)
             .group_by(*group, reported)
             .order_by(*group))
    with engine.connect() as connection:
        rows = connection.execute(query).all()
        unpriced = connection.execute(
            select(func.count()).select_from(rated).where(*where, rated.c.amount.is_(None))
        ).scalar_one()
    if not rows and not unpriced:
        who = f" of team {team!r}" if team else ""
        raise NoUsage(f"use case {use_case!r}{who} has no rated usage in {period}; check "
                      "the name with `billing showback` or rate the period first")
    currencies = {row.currency for row in rows}
    if len(currencies) > 1:
        raise ValueError(f"use case {use_case!r} is priced in {' and '.join(sorted(currencies))} "
                         f"in {period}; simulate one team at a time (--team)")
    cards: dict[tuple[str, str], object] = {}
    slices, spend, fixed = [], Decimal(0), Decimal(0)
    for row in rows:
        amount = Decimal(row.amount)
        spend += amount
        if row.reported:
            fixed += amount
            continue
        key = (row.card, row.card_version)
        if key not in cards:
            cards[key] = get_version(engine, *key)
        slices.append(Slice(
            usage_date=row.usage_date, model=row.model, service_tier=row.service_tier or "standard",
            card=cards[key], **{name: Decimal(int(getattr(row, name) or 0)) for name in TOKENS}))
    return UseCaseUsage(use_case, period, currencies.pop() if currencies else None, spend,
                        slices, fixed, int(unpriced))
