"""Showback: what one team spent in a period, by use case, model and tier, plus overhead.

Lines come from the rated ledger; each is rounded once, half-up to the currency's minor
unit, and the total is the sum of the rounded lines and overhead shares, so it adds up to the
cent wherever it is shown. No money moves: this is the team's view of its AI cost.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, select

from billing.models import RatedLine, SpendTotal
from billing.money import round_line
from billing.rating.overhead import Pool, TeamDrivers, allocate
from invoices.documents import OverheadShare

rated = RatedLine.__table__
spend_totals = SpendTotal.__table__
TOKEN_FIELDS = ("requests", "input_tokens", "output_tokens", "cached_input_tokens",
                "cache_write_input_tokens")


class NoUsage(LookupError):
    pass


@dataclass(frozen=True)
class ShowbackLine:
    use_case: str | None
    model: str
    tier: str | None
    environment: str
    adjusts_period: str | None
    requests: int
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int
    cache_write_input_tokens: int
    provider_cost: Decimal
    amount: Decimal
    card_versions: tuple[str, ...]


@dataclass(frozen=True)
class Showback:
    team: str
    period: str
    currency: str
    lines: list[ShowbackLine]
    overhead: list[OverheadShare] = field(default_factory=list)
    unpriced: list[dict[str, Any]] = field(default_factory=list)

    @property
    def usage_total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))

    @property
    def charged_overhead(self) -> Decimal:
        return sum((s.amount for s in self.overhead if s.treatment == "charged"), Decimal(0))

    @property
    def central_overhead(self) -> Decimal:
        return sum((s.amount for s in self.overhead if s.treatment == "central"), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.usage_total + self.charged_overhead

    def to_dict(self) -> dict[str, Any]:
        def money(value: Decimal) -> str:
            return str(value)

        return {
            "team": self.team, "period": self.period, "currency": self.currency,
            "lines": [
                {**asdict(line), "provider_cost": money(line.provider_cost),
                 "amount": money(line.amount), "card_versions": list(line.card_versions)}
                for line in self.lines
            ],
            "usage_total": money(self.usage_total),
            "overhead": [{**asdict(share), "amount": money(share.amount)}
                         for share in self.overhead],
            "charged_overhead": money(self.charged_overhead),
            "central_overhead": money(self.central_overhead),
            "total": money(self.total),
            "unpriced": self.unpriced,
        }


def team_drivers(engine: Engine, period: str, *, with_spend: bool = True) -> dict[str, TeamDrivers]:
    """Spend, tokens and requests per team in a period: the quantities pools are split by.

    Counts are summed by the database over every line (unpriced usage still drives usage
    pools). Spend comes from the running totals rating keeps exact per team and period, so a
    showback request reads 50 rows, not every line of the month.
    """
    where = (rated.c.view == "showback", rated.c.period == period, rated.c.team.is_not(None))
    token_sum = func.sum(rated.c.input_tokens + rated.c.output_tokens
                         + rated.c.cached_input_tokens + rated.c.cache_write_input_tokens)
    counts = select(rated.c.team, token_sum, func.sum(rated.c.requests)).where(*where)
    spend: dict[str, Decimal] = defaultdict(Decimal)
    with engine.connect() as connection:
        totals = {team: (int(tokens), int(requests))
                  for team, tokens, requests in connection.execute(counts.group_by(rated.c.team))}
        if with_spend:
            amounts = select(spend_totals.c.scope_key, spend_totals.c.amount).where(
                spend_totals.c.period == period, spend_totals.c.scope_kind == "team")
            for team, amount in connection.execute(amounts):
                spend[team] += amount
    return {team: TeamDrivers(spend[team], tokens, requests)
            for team, (tokens, requests) in totals.items()}


def overhead_shares(
    pools: list[Pool], drivers: dict[str, TeamDrivers], period: str
) -> dict[str, list[OverheadShare]]:
    shares: dict[str, list[OverheadShare]] = defaultdict(list)
    for pool in pools:
        if not pool.applies_to(period):
            continue
        for team, amount in allocate(pool, drivers).items():
            shares[team].append(OverheadShare(pool.name, pool.driver, pool.treatment, amount))
    return shares


def showback(
    engine: Engine, team: str, period: str, *, pools: list[Pool] | None = None,
    currency: str = "USD",
) -> Showback:
    """A team's showback for a period."""
    needed = ("use_case", "model", "tier", "environment", "adjusts_period", "card",
              "card_version", "currency",
              "amount", "provider_cost", "unpriced_reason", *TOKEN_FIELDS)
    query = select(*(rated.c[name] for name in needed)).where(
        rated.c.view == "showback", rated.c.period == period, rated.c.team == team
    )
    groups: dict[tuple, dict[str, Any]] = {}
    unpriced: dict[str, dict[str, Any]] = {}
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    if not rows:
        raise NoUsage(f"team {team!r} has no rated usage in {period}; run `billing rate`, "
                      "or check the team name with `billing coverage --period`")
    for row in rows:
        if row["amount"] is None:
            entry = unpriced.setdefault(row["model"], {"model": row["model"], "requests": 0,
                                                       "reason": row["unpriced_reason"]})
            entry["requests"] += row["requests"]
            continue
        currency = row["currency"] or currency
        key = (row["adjusts_period"] or "", row["use_case"] or "", row["model"], row["tier"] or "",
               row["environment"])
        group = groups.setdefault(key, {"provider_cost": Decimal(0), "amount": Decimal(0),
                                        "versions": set(), **dict.fromkeys(TOKEN_FIELDS, 0)})
        group["provider_cost"] += row["provider_cost"]
        group["amount"] += row["amount"]
        group["versions"].add(f"{row['card']}@{row['card_version']}")
        for name in TOKEN_FIELDS:
            group[name] += row[name]
    lines = [
        ShowbackLine(
            adjusts_period=key[0] or None, use_case=key[1] or None, model=key[2],
            tier=key[3] or None, environment=key[4],
            **{name: group[name] for name in TOKEN_FIELDS},
            provider_cost=round_line(group["provider_cost"], currency),
            amount=round_line(group["amount"], currency),
            card_versions=tuple(sorted(group["versions"])),
        )
        for key, group in sorted(groups.items())
    ]
    shares: dict[str, list[OverheadShare]] = {}
    if pools:
        by_spend = any(pool.driver == "spend" and pool.applies_to(period) for pool in pools)
        drivers = team_drivers(engine, period, with_spend=by_spend)
        shares = overhead_shares(pools, drivers, period)
    return Showback(team, period, currency, lines, shares.get(team, []),
                    sorted(unpriced.values(), key=lambda item: item["model"]))


GROUPABLE = {"use_case": rated.c.use_case, "model": rated.c.model, "tier": rated.c.tier,
             "customer": rated.c.customer, "environment": rated.c.environment,
             "day": rated.c.usage_date}


class BadGrouping(ValueError):
    pass


def showback_grouped(
    engine: Engine, team: str, period: str, *, group_by: list[str],
    filters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A team's usage of a period grouped by any of GROUPABLE and filtered by their values.

    Each group is rounded once; the total is the sum of the rounded groups (no overhead: that
    is per team, not per group). Sorted by the group keys, so pages are deterministic.
    """
    unknown = [name for name in [*group_by, *(filters or {})] if name not in GROUPABLE]
    if unknown:
        raise BadGrouping(f"cannot group or filter by {', '.join(unknown)}; use "
                          f"{', '.join(GROUPABLE)}")
    keys = [GROUPABLE[name] for name in group_by]
    query = select(*keys, rated.c.currency, rated.c.amount,
                   *[rated.c[name] for name in TOKEN_FIELDS]).where(
        rated.c.view == "showback", rated.c.period == period, rated.c.team == team,
        rated.c.amount.is_not(None))
    for name, value in (filters or {}).items():
        column = GROUPABLE[name]
        query = query.where(column == (date.fromisoformat(value) if name == "day" else value))
    groups: dict[tuple, dict[str, Any]] = {}
    currency = "USD"
    with engine.connect() as connection:
        for row in connection.execute(query):
            values = tuple(row[:len(keys)])
            currency = row.currency or currency
            group = groups.setdefault(values, {"amount": Decimal(0),
                                               **dict.fromkeys(TOKEN_FIELDS, 0)})
            group["amount"] += row.amount
            for name in TOKEN_FIELDS:
                group[name] += getattr(row, name)
    if not groups:
        raise NoUsage(f"team {team!r} has no rated usage in {period} matching the filters")
    lines = []
    for values, group in sorted(groups.items(), key=lambda item: tuple(
            "" if value is None else str(value) for value in item[0])):
        line = {name: (value.isoformat() if isinstance(value, date) else value)
                for name, value in zip(group_by, values, strict=True)}
        line.update({name: group[name] for name in TOKEN_FIELDS})
        line["amount"] = round_line(group["amount"], currency)
        lines.append(line)
    total = sum((line["amount"] for line in lines), Decimal(0))
    return {"team": team, "period": period, "currency": currency, "group_by": group_by,
            "filters": filters or {},
            "lines": [line | {"amount": str(line["amount"])} for line in lines],
            "total": str(total)}


def teams_with_spend(engine: Engine) -> list[str]:
    """Every team with rated showback spend, by name: who a finance reader can pick.

    Read from the running totals (a row per team and period), not the ledger's lines."""
    query = select(spend_totals.c.scope_key).where(spend_totals.c.scope_kind == "team").distinct()
    with engine.connect() as connection:
        return sorted(row[0] for row in connection.execute(query))


def periods_with_spend(engine: Engine, team: str | None = None) -> list[str]:
    """Periods with rated showback spend (a team's, or anyone's), newest first."""
    query = select(spend_totals.c.period).where(spend_totals.c.scope_kind == "team").distinct()
    if team is not None:
        query = query.where(spend_totals.c.scope_key == team)
    with engine.connect() as connection:
        return sorted((row[0] for row in connection.execute(query)), reverse=True)
