"""Provider costs: what the providers billed for a period against what we metered, and the
true-up pool that makes showback add up to the real bill.

Metered cost is the provider cost of every showback line whose usage happened in the period
(late usage of a closed month rated into a later one still belongs to its own month's bill).
The true-up turns the net difference (billed - metered, over the providers in the bill) into
one charged overhead pool of the period, split by spend, written the way `billing overhead set`
writes pools. Pools are never negative, so a bill below the metered cost is explained, not
trued up: a credit would lower teams' totals under the usage they were rated for.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, select

from billing.close.ledger_checks import in_period
from billing.close.lines import team_drivers
from billing.close.provider_bill import ProviderBill
from billing.models import RatedLine
from billing.money import round_line
from billing.period import Period
from billing.policies.amend import amend_pools, pools_in_force
from billing.rating.overhead import Pool, make_pool, upsert_pool
from billing.rating.rate import closed_periods, next_open_period

rated = RatedLine.__table__
HUNDRED = Decimal(100)


class TrueUpRefused(RuntimeError):
    """A true-up that would be wrong; the message says what to do instead."""


@dataclass(frozen=True)
class ProviderCost:
    """One provider's metered and billed cost of a period, in one currency."""

    provider: str
    currency: str
    metered: Decimal
    billed: Decimal | None
    sources: tuple[str, ...] = ()
    unpriced_requests: int = 0
    note: str | None = None

    @property
    def difference(self) -> Decimal | None:
        return None if self.billed is None else self.billed - self.metered

    @property
    def percent(self) -> Decimal | None:
        """The difference in percent of the metered cost (None with nothing metered)."""
        if self.difference is None or not self.metered:
            return None
        return (self.difference / self.metered * HUNDRED).quantize(Decimal("0.01"))

    @property
    def comparable(self) -> bool:
        return self.billed is not None and self.note is None

    def to_dict(self) -> dict[str, Any]:
        return {"provider": self.provider, "currency": self.currency,
                "metered": str(self.metered),
                "billed": None if self.billed is None else str(self.billed),
                "difference": None if self.difference is None else str(self.difference),
                "percent": None if self.percent is None else str(self.percent),
                "sources": list(self.sources), "unpriced_requests": self.unpriced_requests,
                "note": self.note}


def metered_costs(connection: Connection, period: str
                  ) -> tuple[dict[tuple[str, str], Decimal], dict[str, int]]:
    """Provider cost per (provider, currency), and unpriced requests per provider.

    The database selects the period's showback lines (already aggregates: a few thousand a
    month); the exact text amounts are added here, as every rated sum is, because SQLite has
    no exact decimal type.
    """
    query = (select(rated.c.provider, rated.c.currency, rated.c.provider_cost,
                    rated.c.requests)
             .where(rated.c.view == "showback", in_period(period)))
    metered: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    unpriced: dict[str, int] = defaultdict(int)
    for provider, currency, cost, requests in connection.execute(query):
        name = provider or "(no provider)"
        if cost is None:
            unpriced[name] += int(requests)
        else:
            metered[(name, currency)] += cost
    return dict(metered), dict(unpriced)


def compare(bills: Iterable[ProviderBill], metered: dict[tuple[str, str], Decimal],
            unpriced: dict[str, int]) -> list[ProviderCost]:
    """Metered against billed, per provider; providers in no bill are shown, not compared."""
    billed: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    sources: dict[tuple[str, str], list[str]] = defaultdict(list)
    for bill in bills:
        for total in bill.totals:
            key = (total.provider, total.currency)
            billed[key] += total.amount
            if bill.source not in sources[key]:
                sources[key].append(bill.source)
    currencies: dict[str, set[str]] = defaultdict(set)
    for provider, currency in metered:
        currencies[provider].add(currency)
    rows = []
    for provider, currency in sorted(set(billed) | set(metered)):
        key = (provider, currency)
        note = None
        others = currencies[provider] - {currency}
        if key in billed and key not in metered and others:
            note = (f"billed in {currency} but metered in {', '.join(sorted(others))}: no FX "
                    "rate is recorded, so the two cannot be compared")
        rows.append(ProviderCost(provider, currency, metered.get(key, Decimal(0)),
                                 billed.get(key), tuple(sources.get(key, ())),
                                 unpriced.get(provider, 0), note))
    return rows


def coverage_notes(bills: Iterable[ProviderBill], period: str, zone: ZoneInfo) -> list[str]:
    """A bill whose time buckets do not span the period (in the billing time zone)."""
    start, end = Period.parse(period).bounds(zone)
    notes = []
    for bill in bills:
        if bill.starts_at is None or bill.ends_at is None:
            continue
        span = f"{bill.starts_at:%Y-%m-%d %H:%M} to {bill.ends_at:%Y-%m-%d %H:%M} UTC"
        if bill.ends_at <= start or bill.starts_at >= end:
            notes.append(f"{bill.source} covers {span}, outside {period}: check that it is "
                         "this month's bill")
        elif bill.starts_at > start or bill.ends_at < end:
            notes.append(f"{bill.source} covers {span}, only part of {period} "
                         f"({start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} {zone})")
    return notes


@dataclass(frozen=True)
class TrueUp:
    """What a true-up did to the overhead policy (`version`: the one its pool is in)."""

    period: str
    pool: str
    status: str  # created, replaced, unchanged
    amount: Decimal
    currency: str
    difference: Decimal
    version: str

    @property
    def nothing_to_do(self) -> bool:
        return self.status == "unchanged"

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period, "pool": self.pool, "status": self.status,
                "amount": str(self.amount), "currency": self.currency,
                "difference": str(self.difference), "version": self.version,
                "nothing_to_do": self.nothing_to_do}


def pool_name(period: str) -> str:
    return f"provider true-up {period}"


def net_difference(costs: list[ProviderCost]) -> tuple[Decimal, str]:
    """billed - metered over the providers in the bill, and its currency; refused when the
    bill cannot be compared with what was metered."""
    billed = [cost for cost in costs if cost.billed is not None]
    if not billed:
        raise TrueUpRefused("the provider bill names no provider; nothing to true up")
    blocked = [cost for cost in billed if not cost.comparable]
    if blocked:
        raise TrueUpRefused("; ".join(f"{cost.provider}: {cost.note}" for cost in blocked)
                            + "; give the bill in the currency of the rate card")
    currencies = sorted({cost.currency for cost in billed})
    if len(currencies) > 1:
        raise TrueUpRefused(f"the bill is in {' and '.join(currencies)}; a pool has one "
                            "currency: true up each currency's providers on their own")
    return sum((cost.difference for cost in billed), Decimal(0)), currencies[0]


def true_up_pool(period: str, costs: list[ProviderCost]) -> Pool:
    """The charged pool of `period`, split by spend, that carries the net difference."""
    difference, currency = net_difference(costs)
    amount = round_line(difference, currency)
    if amount <= 0:
        raise TrueUpRefused(
            f"the providers billed {-amount} {currency} less than was metered in {period} "
            f"(net difference {difference}): the showback already covers the bill. A pool is "
            "never negative (a credit would lower teams' totals under the usage they were "
            "rated for); if the metered cost is too high, check the provider prices in the "
            "rate card (`billing ratecards show`)" if amount < 0 else
            f"the bill matches the metered cost of {period} to the cent; nothing to true up")
    return make_pool(pool_name(period), str(amount), currency, "spend", "charged",
                     periods=(period,))


def apply_true_up(engine: Engine, period: str, costs: list[ProviderCost]) -> TrueUp:
    """Publish the overhead policy of an open period with its true-up pool; a second run with
    the same bill publishes nothing (the pool of the same name is replaced, never added
    twice)."""
    pool = true_up_pool(period, costs)
    before, ref = pools_in_force(engine, period)
    existed = any(existing.name == pool.name for existing in before)
    published = amend_pools(engine, period, lambda pools: upsert_pool(pools, pool),
                            note=f"provider true-up of {period}")
    status = "unchanged" if published is None else "replaced" if existed else "created"
    if published is not None:
        ref = f"overhead@{published.version}"
    difference, _ = net_difference(costs)
    return TrueUp(period, pool.name, status, pool.amount, pool.currency, difference, ref)


def true_up_period(engine: Engine, period: str,
                   bills: Iterable[ProviderBill]) -> TrueUp:
    """Compare the bills with the metered cost of `period` and true up the difference;
    refused for a closed period, with the command that trues up the next open one instead."""
    closed = closed_periods(engine)
    with engine.connect() as connection:
        costs = compare(bills, *metered_costs(connection, period))
    if period in closed:
        advice = _next_open_advice(period, next_open_period(period, closed), costs)
        raise TrueUpRefused(f"{period} is closed: its statements never change, so a pool of "
                            f"{period} would reach no document. {advice}")
    with engine.connect() as connection:
        teams = team_drivers(connection, period)
    if not teams:
        raise TrueUpRefused(f"no team has rated usage in {period}, so a pool split by spend "
                            "would reach no statement: run `billing rate` first, or check "
                            "the period")
    return apply_true_up(engine, period, costs)


def _next_open_advice(period: str, next_open: str, costs: list[ProviderCost]) -> str:
    try:
        pool = true_up_pool(period, costs)
    except TrueUpRefused as exc:
        return f"Nothing to carry into {next_open} either: {exc}"
    return (f"True up the next open period instead: billing overhead set '{pool.name}' "
            f"--amount {pool.amount} --currency {pool.currency} --driver spend --period "
            f"{next_open}")
