"""SLO attainment: how each tier actually served a period (latency, errors, 429s) against the
service level its rate card promises.

Measured in the database from the events' own `latency_ms` and `status`, not from stored
day aggregates: percentiles do not add up, so a p95 made from daily p95s would be an
estimate, while the events give the exact value. A percentile is the nearest-rank one: the
p-th percentile of n calls is the smallest latency L such that at least ceil(p/100 x n) calls
took L or less; an event of `requests` identical calls counts that many times. Latency
percentiles are over calls that were answered (`status` ok); rates are over every call that
reported a status: the error rate counts `error` and `timeout`, the 429 rate `rate_limited`,
and availability is the share answered (ok or refused: a refusal is an answer). Events that
report neither are left out, never counted as good. Tiers are the event's own, or the one
the card places its model in. Only the ledger's events are measured: a period archived to
Parquet, or reduced by Spark to aggregate events, keeps what its close measured (statements,
SLA proposals) but cannot be measured again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection, and_, case, func, select

from billing.models import RatedLine, UsageEvent
from billing.rating.card_registry import stored_version
from ratecards.schema import CardVersion
from ratecards.slo import milliseconds, percent

usage = UsageEvent.__table__
rated = RatedLine.__table__
RATE_PLACES = Decimal("0.000001")
STATUS_COUNTS = ("ok", "error", "rate_limited", "timeout", "refused")


def rate_of(part: int, whole: int) -> Decimal | None:
    """part / whole to six places (half-up), the one rounding of every rate shown."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class TierService:
    """How one tier served: calls by outcome status and the latency percentiles (ms)."""

    tier: str
    calls: int = 0
    ok: int = 0
    error: int = 0
    rate_limited: int = 0
    timeout: int = 0
    refused: int = 0
    timed: int = 0
    p50_ms: int | None = None
    p95_ms: int | None = None

    @property
    def error_rate(self) -> Decimal | None:
        return rate_of(self.error + self.timeout, self.calls)

    @property
    def rate_limited_rate(self) -> Decimal | None:
        return rate_of(self.rate_limited, self.calls)

    @property
    def availability(self) -> Decimal | None:
        return rate_of(self.ok + self.refused, self.calls)


@dataclass(frozen=True)
class SloItem:
    """One promise of the tier's slo block against what was measured; `met` is None when
    nothing was measured for it (no latency or no status reported)."""

    name: str
    target: str
    actual: str | None
    met: bool | None


@dataclass(frozen=True)
class TierAttainment:
    tier: str
    card: str | None
    service: TierService
    items: tuple[SloItem, ...]

    @property
    def breached(self) -> tuple[SloItem, ...]:
        return tuple(item for item in self.items if item.met is False)

    def to_dict(self) -> dict[str, Any]:
        service = self.service
        text = lambda value: None if value is None else str(value)  # noqa: E731
        return {
            "tier": self.tier, "card": self.card, "calls": service.calls,
            "calls_by_status": {name: getattr(service, name) for name in STATUS_COUNTS},
            "timed_calls": service.timed, "p50_latency_ms": service.p50_ms,
            "p95_latency_ms": service.p95_ms, "error_rate": text(service.error_rate),
            "rate_limited_rate": text(service.rate_limited_rate),
            "availability": text(service.availability),
            "slo": [item.__dict__ for item in self.items],
            "breached": [item.name for item in self.breached],
        }


def attainment(service: TierService, slo: Mapping[str, str]) -> tuple[SloItem, ...]:
    """The tier's slo block item by item against the measured service (a pure function)."""
    items = []
    for name, measured in (("p50_latency_ms", service.p50_ms), ("p95_latency_ms",
                                                                service.p95_ms)):
        if name in slo:
            target = milliseconds(slo[name])
            items.append(SloItem(name, str(target), None if measured is None else str(measured),
                                 None if measured is None else measured <= target))
    if "availability" in slo:
        target_pct = percent(slo["availability"])
        actual = service.availability
        items.append(SloItem("availability", f"{target_pct}%",
                             None if actual is None else f"{actual * 100:.4f}%",
                             None if actual is None else actual * 100 >= target_pct))
    return tuple(items)


def _tier_of(connection: Connection, period: str, card: CardVersion | None) -> Any:
    """The tier of an event as SQL: its own, else the card's placement of its model."""
    if card is None:
        return usage.c.tier
    models = connection.execute(
        select(usage.c.model).distinct().where(usage.c.period == period, usage.c.tier.is_(None),
                                               usage.c.status.is_not(None))).scalars().all()
    placed = {model: tier for model in models if (tier := card.tier_of(model)) is not None}
    if not placed:
        return usage.c.tier
    return func.coalesce(usage.c.tier, case(placed, value=usage.c.model))


def measure(connection: Connection, period: str, *, team: str | None = None,
            customer: str | None = None, card: CardVersion | None = None
            ) -> dict[str, TierService]:
    """Each tier's service in a period (of one team or customer), summed in the database."""
    tier = _tier_of(connection, period, card).label("tier")
    where = [usage.c.period == period, usage.c.status.is_not(None)]
    if team is not None:
        where.append(usage.c.team == team)
    if customer is not None:
        where.append(usage.c.customer == customer)
    counts = select(tier, func.sum(usage.c.requests).label("calls"), *[
        func.sum(case((usage.c.status == name, usage.c.requests), else_=0)).label(name)
        for name in STATUS_COUNTS]).where(*where).group_by(tier)
    found = {row.tier: TierService(row.tier, *(int(row[i] or 0) for i in range(1, 7)))
             for row in connection.execute(counts) if row.tier is not None}
    timed = select(tier, usage.c.latency_ms.label("latency"),
                   usage.c.requests.label("weight")).where(
        *where, and_(usage.c.status == "ok", usage.c.latency_ms.is_not(None))).subquery()
    ranked = select(
        timed.c.tier, timed.c.latency,
        func.sum(timed.c.weight).over(partition_by=timed.c.tier, order_by=timed.c.latency,
                                      rows=(None, 0)).label("upto"),
        func.sum(timed.c.weight).over(partition_by=timed.c.tier).label("total"),
    ).subquery()
    percentiles = select(
        ranked.c.tier, func.max(ranked.c.total).label("timed"),
        *[func.min(case((ranked.c.upto * 100 >= ranked.c.total * p, ranked.c.latency)))
          .label(f"p{p}") for p in (50, 95)],
    ).group_by(ranked.c.tier)
    for row in connection.execute(percentiles):
        if row.tier in found:
            service = found[row.tier]
            found[row.tier] = TierService(**{**service.__dict__, "timed": int(row.timed),
                                             "p50_ms": int(row.p50), "p95_ms": int(row.p95)})
    return dict(sorted(found.items()))


def card_for(connection: Connection, period: str, *, team: str | None = None,
             customer: str | None = None) -> CardVersion | None:
    """The card whose SLO applies: the customer's chargeback card, else the team's (or, for
    the whole organisation, the showback card) the period was rated on; its newest version."""
    view = "chargeback" if customer is not None else "showback"
    query = select(rated.c.card, rated.c.card_version).distinct().where(
        rated.c.period == period, rated.c.view == view, rated.c.card.is_not(None))
    if customer is not None:
        query = query.where(rated.c.customer == customer)
    elif team is not None:
        query = query.where(rated.c.team == team)
    used = connection.execute(query).all()
    if not used:
        return None
    versions = [stored_version(connection, row.card, row.card_version) for row in used]
    return max(versions, key=lambda found: (found.effective_from, found.version))


def period_attainment(connection: Connection, period: str, *, team: str | None = None,
                      customer: str | None = None) -> list[TierAttainment]:
    """Every tier's attainment of a period, for one team, one customer, or everyone."""
    card = card_for(connection, period, team=team, customer=customer)
    services = measure(connection, period, team=team, customer=customer, card=card)
    found = []
    for tier, service in services.items():
        slo = card.tiers[tier].slo if card is not None and tier in card.tiers else {}
        found.append(TierAttainment(tier, f"{card.card}@{card.version}" if card else None,
                                    service, attainment(service, slo)))
    return found
