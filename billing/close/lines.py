"""A period's document lines per team: the one set of numbers every surface reads.

The statement, `billing showback`, `GET /v1/showback`, the dashboard, the exports, budgets
and the outcomes report all show a team's money through these lines, so they agree to the
cent. The database sums the rated ledger per line (use case x model x tier x environment, and
prior-period adjustments apart); each line is rounded once, half-up to the currency's minor
unit; a team's usage total is the sum of its rounded lines. Charged overhead is allocated to
teams by each pool's driver with largest remainder, and explains itself: the pool's amount,
its driver, the team's quantity of it and the share that gives. In a month still open, a pool
is accrued pro rata by the days elapsed and says so. A pool in another currency than the
teams' lines is converted at the period's recorded FX rate (`billing.fx`) before it is split,
and says at which; without a rate it is refused, never mixed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from functools import lru_cache, partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, func, select

from billing.close.contract_terms import TierUsage, contract_lines
from billing.exact_sum import money_sum
from billing.fx import convert, rates_for
from billing.models import PeriodClose, RateCardVersion, RatedLine, SpendTotal
from billing.money import CurrencyMismatch, Money, round_line, split_largest_remainder
from billing.money import total as money_total
from billing.period import Period
from billing.rating.overhead import Pool, TeamDrivers, allocate, missing_rate
from invoices.documents import InvoiceLine
from invoices.formatting import format_integer, format_quantity
from invoices.labels import labels, language
from ratecards import CardVersion, load_card

rated = RatedLine.__table__
closes = PeriodClose.__table__
totals = SpendTotal.__table__
card_table = RateCardVersion.__table__
COUNTS = ("requests", "input_tokens", "output_tokens", "cached_input_tokens",
          "cache_write_input_tokens")
UNATTRIBUTED = None


class NoUsage(LookupError):
    pass


@dataclass(frozen=True)
class UsageLine:
    """One line of a team's period: a use case's usage of one model and tier in one
    environment, priced on the card versions listed, rounded once (`amount`)."""

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
    exact: Decimal
    amount: Decimal
    provider_cost: Decimal
    card_versions: tuple[str, ...]
    providers: tuple[str, ...] = ()
    rules_versions: tuple[str, ...] = ()

    @property
    def tokens(self) -> int:
        return (self.input_tokens + self.output_tokens + self.cached_input_tokens
                + self.cache_write_input_tokens)

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return (self.adjusts_period or "", self.use_case or "", self.model, self.tier or "",
                self.environment)


@dataclass(frozen=True)
class UnpricedUsage:
    """Usage no card prices: kept, counted by usage drivers, never in a total."""

    use_case: str | None
    model: str
    reason: str | None
    requests: int
    tokens: int


@dataclass(frozen=True)
class OverheadLine:
    """A team's share of one overhead pool, with what a reader needs to re-derive it:
    the pool's (accrued) amount, the driver, the team's quantity of it and all teams'.

    `amount` and `pool_amount` are in `pool_currency`, the currency of the team's lines; a
    pool converted from another currency keeps its own amount (`source_amount`,
    `source_currency`) and the rate it was converted at (`fx_rate`).
    """

    pool: str
    driver: str
    treatment: str
    amount: Decimal
    pool_amount: Decimal
    pool_currency: str
    team_quantity: Decimal
    all_quantity: Decimal
    accrued_days: int | None = None
    period_days: int | None = None
    counts_unpriced: bool = False
    fx_rate: Decimal | None = None
    source_amount: Decimal | None = None
    source_currency: str | None = None

    @property
    def share(self) -> Decimal | None:
        """The team's fraction of the pool (None for a pool no team drives)."""
        if self.pool_amount == 0:
            return None
        return self.amount / self.pool_amount

    @property
    def accrued(self) -> bool:
        return self.accrued_days is not None

    def explanation(self, locale: str = "en_US") -> str:
        """One sentence a team can check with a calculator, in the language of `locale`."""
        words = labels(locale)
        number = partial(_number, locale=locale)
        unit = {"spend": f" {self.pool_currency}", "tokens": words.driver_unit_tokens,
                "requests": words.driver_unit_requests, "even": words.driver_unit_teams,
                "shares": words.driver_unit_weight}[self.driver]
        converted = self.fx_rate is not None
        basis = (f"{self.pool} "
                 f"{number(self.source_amount if converted else self.pool_amount)} "
                 f"{self.source_currency if converted else self.pool_currency}"
                 + (words.overhead_accrued.format(days=self.accrued_days,
                                                  period_days=self.period_days)
                    if self.accrued else "")
                 + (words.overhead_converted.format(
                     rate=number(self.fx_rate, rate=True), amount=number(self.pool_amount),
                     currency=self.pool_currency) if converted else ""))
        how = words.overhead_by.format(driver=words.driver_name(self.driver),
                                       team=_quantity(self.team_quantity, locale),
                                       all=_quantity(self.all_quantity, locale), unit=unit)
        note = words.overhead_unpriced if self.counts_unpriced else ""
        return f"{basis}, {how}{note}"


def _quantity(value: Decimal, locale: str = "en_US") -> str:
    if language(locale) == "en":
        if value == value.to_integral_value():
            return f"{int(value):,}"
        return f"{value:,.2f}"
    if value == value.to_integral_value():
        return format_integer(int(value), locale)
    return format_quantity(value.quantize(Decimal("0.01")), locale, digits=2)


def _number(value: Decimal | None, locale: str, rate: bool = False) -> str:
    """An amount or rate as printed in a sentence: as written in English (4800.00), with the
    locale's decimal mark and grouping in any other language (4.800,00)."""
    if value is None:
        return ""
    if language(locale) == "en":
        return f"{value:f}" if rate else f"{value}"
    return format_quantity(value, locale, digits=0 if rate else 2)


@dataclass(frozen=True)
class TeamLines:
    """A team's document lines of a period: usage lines, overhead shares, unpriced usage."""

    team: str
    period: str
    currency: str
    lines: tuple[UsageLine, ...]
    overhead: tuple[OverheadLine, ...] = ()
    unpriced: tuple[UnpricedUsage, ...] = ()
    is_open: bool = False
    contract: tuple[InvoiceLine, ...] = ()
    """Discounts and true-up the team's card declares for it (billing.close.contract_terms)."""
    contract_notes: tuple[str, ...] = ()

    def _money(self, amounts: Iterable[Decimal]) -> Money:
        return money_total((Money(amount, self.currency) for amount in amounts), self.currency)

    @property
    def usage_total(self) -> Decimal:
        return self._money(line.amount for line in self.lines).amount

    @property
    def exact_usage(self) -> Decimal:
        return sum((line.exact for line in self.lines), Decimal(0))

    @property
    def charged_overhead(self) -> Decimal:
        return self._money(s.amount for s in self.overhead if s.treatment == "charged").amount

    @property
    def central_overhead(self) -> Decimal:
        return self._money(s.amount for s in self.overhead if s.treatment == "central").amount

    @property
    def contract_total(self) -> Decimal:
        return self._money(line.amount for line in self.contract).amount

    @property
    def total(self) -> Decimal:
        return (Money(self.usage_total, self.currency) + Money(self.contract_total, self.currency)
                + Money(self.charged_overhead, self.currency)).amount

    @property
    def unpriced_requests(self) -> int:
        return sum(item.requests for item in self.unpriced)

    def by(self, name: str, *, adjustments: bool = True) -> dict[Any, Decimal]:
        """The rounded lines summed by one of their fields (use_case, model, environment...)."""
        sums: dict[Any, Decimal] = defaultdict(Decimal)
        for line in self.lines:
            if adjustments or not line.adjusts_period:
                sums[getattr(line, name)] += line.amount
        return dict(sums)


    def to_dict(self) -> dict[str, Any]:
        """The lines as JSON: money as decimal strings beside the currency."""
        return {
            "team": self.team, "period": self.period, "currency": self.currency,
            "lines": [
                {"use_case": line.use_case, "model": line.model, "tier": line.tier,
                 "environment": line.environment, "adjusts_period": line.adjusts_period,
                 **{name: getattr(line, name) for name in COUNTS},
                 "provider_cost": str(line.provider_cost), "amount": str(line.amount),
                 "card_versions": list(line.card_versions),
                 "rules_versions": list(line.rules_versions)}
                for line in self.lines
            ],
            "usage_total": str(self.usage_total),
            "contract": [{"description": line.description, "kind": line.kind,
                          "amount": str(line.amount)} for line in self.contract],
            "contract_total": str(self.contract_total),
            "contract_notes": list(self.contract_notes),
            "overhead": [
                {"pool": share.pool, "driver": share.driver, "treatment": share.treatment,
                 "amount": str(share.amount), "pool_amount": str(share.pool_amount),
                 "team_quantity": str(share.team_quantity),
                 "all_quantity": str(share.all_quantity),
                 "share": None if share.share is None else str(round(share.share, 6)),
                 "accrued_days": share.accrued_days, "period_days": share.period_days,
                 "counts_unpriced": share.counts_unpriced,
                 "fx_rate": None if share.fx_rate is None else format(share.fx_rate, "f"),
                 "source_amount": None if share.source_amount is None
                 else str(share.source_amount),
                 "source_currency": share.source_currency,
                 "explanation": share.explanation()}
                for share in self.overhead],
            "overhead_accrued": self.is_open and bool(self.overhead),
            "charged_overhead": str(self.charged_overhead),
            "central_overhead": str(self.central_overhead),
            "total": str(self.total),
            "unpriced": self.unpriced_by_model(),
        }

    def unpriced_by_model(self) -> list[dict[str, Any]]:
        """Unpriced usage per model: what the alert and the showback tell a user to price."""
        by_model: dict[str, dict[str, Any]] = {}
        for item in self.unpriced:
            entry = by_model.setdefault(item.model, {"model": item.model, "requests": 0,
                                                     "reason": item.reason})
            entry["requests"] += item.requests
        return [by_model[model] for model in sorted(by_model)]


@dataclass
class _Group:
    exact: Decimal = Decimal(0)
    provider_cost: Decimal = Decimal(0)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    versions: set[str] = field(default_factory=set)
    providers: set[str] = field(default_factory=set)
    rules: set[str] = field(default_factory=set)


def _rows(connection: Connection, period: str, teams: Iterable[str] | None) -> Any:
    keys = (rated.c.team, rated.c.adjusts_period, rated.c.use_case, rated.c.model,
            rated.c.tier, rated.c.environment, rated.c.provider, rated.c.card,
            rated.c.card_version, rated.c.currency, rated.c.unpriced_reason,
            rated.c.rules_version, rated.c.amount.is_(None).label("unpriced"))
    query = (select(*keys, money_sum(rated.c.amount).label("amount"),
                    money_sum(rated.c.provider_cost).label("provider_cost"),
                    *[func.sum(rated.c[name]).label(name) for name in COUNTS])
             .where(rated.c.view == "showback", rated.c.period == period,
                    rated.c.team.is_not(None))
             .group_by(*keys))
    if teams is not None:
        query = query.where(rated.c.team.in_(sorted(set(teams))))
    return connection.execute(query)


def _usage(connection: Connection, period: str, teams: Iterable[str] | None
           ) -> dict[str, tuple[str | None, dict[tuple, _Group], list[UnpricedUsage]]]:
    found: dict[str, tuple[str | None, dict[tuple, _Group], list[UnpricedUsage]]] = {}
    for row in _rows(connection, period, teams):
        currency, groups, unpriced = found.setdefault(row.team, (None, {}, []))
        counts = {name: int(getattr(row, name) or 0) for name in COUNTS}
        if row.unpriced:
            unpriced.append(UnpricedUsage(row.use_case, row.model, row.unpriced_reason,
                                          counts["requests"],
                                          sum(counts.values()) - counts["requests"]))
            continue
        if currency is not None and row.currency != currency:
            raise CurrencyMismatch(f"team {row.team!r} has usage priced in {currency} and "
                                   f"{row.currency} in {period}; show each team on one card")
        found[row.team] = (row.currency, groups, unpriced)
        group = groups.setdefault((row.adjusts_period or "", row.use_case or "", row.model,
                                   row.tier or "", row.environment), _Group())
        group.exact += row.amount
        group.provider_cost += row.provider_cost or Decimal(0)
        for name in COUNTS:
            group.counts[name] += counts[name]
        group.versions.add(f"{row.card}@{row.card_version}")
        if row.rules_version:
            group.rules.add(row.rules_version)
        if row.provider:
            group.providers.add(row.provider)
    return found


def _line(key: tuple, group: _Group, currency: str) -> UsageLine:
    adjusts, use_case, model, tier, environment = key
    return UsageLine(use_case=use_case or None, model=model, tier=tier or None,
                     environment=environment, adjusts_period=adjusts or None,
                     **group.counts, exact=group.exact,
                     amount=round_line(group.exact, currency),
                     provider_cost=round_line(group.provider_cost, currency),
                     card_versions=tuple(sorted(group.versions)),
                     providers=tuple(sorted(group.providers)),
                     rules_versions=tuple(sorted(group.rules)))


def team_drivers(connection: Connection, period: str) -> dict[str, TeamDrivers]:
    """Spend, tokens and requests per team in a period: the quantities pools are split by.

    Counts are summed by the database over every showback line: unpriced usage drives the
    token and request pools (it used the platform) but adds no spend. Spend is the running
    total rating keeps exact per team in the transaction that writes the lines (`billing
    reconcile` checks the two agree), so a showback reads a row per team, not the month.
    """
    tokens = func.sum(rated.c.input_tokens + rated.c.output_tokens
                      + rated.c.cached_input_tokens + rated.c.cache_write_input_tokens)
    counts = (select(rated.c.team, tokens, func.sum(rated.c.requests))
              .where(rated.c.view == "showback", rated.c.period == period,
                     rated.c.team.is_not(None))
              .group_by(rated.c.team))
    spend: dict[str, Decimal] = defaultdict(Decimal)
    for team, amount in connection.execute(select(totals.c.scope_key, totals.c.amount).where(
            totals.c.period == period, totals.c.scope_kind == "team")):
        spend[team] += amount
    return {team: TeamDrivers(spend[team], int(tokens or 0), int(requests or 0))
            for team, tokens, requests in connection.execute(counts)}


def is_closed(connection: Connection, period: str) -> bool:
    return connection.execute(
        select(closes.c.period).where(closes.c.period == period)).first() is not None


def accrual(period: str, now: datetime | None, zone: ZoneInfo) -> tuple[int, int] | None:
    """(days elapsed, days in the month) for a month in progress at `now`; None when the
    month is over (or `now` is not given), so pools count in full."""
    if now is None:
        return None
    month = Period.parse(period)
    start, end = month.bounds(zone)
    days = month.days
    if now >= end:
        return None
    if now < start:
        return (0, days)
    return (now.astimezone(zone).day, days)


def overhead_lines(
    pools: list[Pool], drivers: Mapping[str, TeamDrivers], period: str, currency: str | None,
    *, accrued: tuple[int, int] | None = None, unpriced_teams: frozenset[str] = frozenset(),
    rates: Mapping[tuple[str, str], Decimal] | None = None,
) -> dict[str, list[OverheadLine]]:
    """Pure: each team's share of each pool in force, explained.

    A pool in another currency than the teams' lines is converted at the period's rate in
    `rates` ((from, to) -> rate), its (accrued) amount rounded once in its own currency and
    once in the teams'; without a rate it is refused, naming the command that records one.
    """
    shares: dict[str, list[OverheadLine]] = defaultdict(list)
    for pool in pools:
        if not pool.applies_to(period):
            continue
        amount = pool.amount
        if accrued is not None:
            amount = amount * accrued[0] / accrued[1]
        amount = round_line(amount, pool.currency)
        split = Money(amount, pool.currency)
        rate = None
        if currency is not None and pool.currency != currency:
            rate = (rates or {}).get((pool.currency, currency))
            if rate is None:
                raise CurrencyMismatch(missing_rate(pool, currency, period))
            split = convert(split, rate, currency)
        accrued_pool = Pool(pool.name, split.amount, split.currency, pool.driver,
                            pool.treatment, pool.shares, pool.periods)
        weights = _weights(pool, drivers)
        every = sum(weights.values(), Decimal(0))
        for team, share in allocate(accrued_pool, drivers).items():
            shares[team].append(OverheadLine(
                pool.name, pool.driver, pool.treatment, share, split.amount, split.currency,
                weights.get(team, Decimal(0)), every,
                accrued[0] if accrued else None, accrued[1] if accrued else None,
                pool.driver in ("tokens", "requests") and team in unpriced_teams,
                rate, amount if rate is not None else None,
                pool.currency if rate is not None else None))
    return shares


def _weights(pool: Pool, drivers: Mapping[str, TeamDrivers]) -> dict[str, Decimal]:
    if pool.driver == "shares":
        return {team: Decimal(weight) for team, weight in pool.shares.items()}
    if pool.driver == "even":
        return {team: Decimal(1) for team in drivers}
    return {team: Decimal(getattr(d, pool.driver)) for team, d in drivers.items()}


def period_lines(
    engine: Engine | Connection, period: str, *, pools: list[Pool] | None = None,
    teams: Iterable[str] | None = None, now: datetime | None = None,
    zone: ZoneInfo | None = None,
) -> dict[str, TeamLines]:
    """Every team's (or the named teams') document lines of a period.

    `now` makes an open month accrue its pools by the days elapsed; the close passes none.
    When a pool in force is in another currency than the lines, the period's recorded FX
    rates are read (one query) and the pool is converted at its rate, or refused without one.
    """
    if isinstance(engine, Engine):
        with engine.connect() as connection:
            return period_lines(connection, period, pools=pools, teams=teams, now=now,
                                zone=zone)
    connection = engine
    usage = _usage(connection, period, teams)
    in_force = [pool for pool in pools or [] if pool.applies_to(period)]
    accrued = None
    if usage and in_force and now is not None and not is_closed(connection, period):
        accrued = accrual(period, now, zone or ZoneInfo("UTC"))
    currencies = {currency for currency, _, _ in usage.values() if currency}
    currency = next(iter(currencies)) if len(currencies) == 1 else None
    shares: dict[str, list[OverheadLine]] = {}
    if in_force and usage:
        unpriced = frozenset(team for team, (_, _, items) in usage.items() if items)
        split_currency = currency or in_force[0].currency
        foreign = any(pool.currency != split_currency for pool in in_force)
        shares = overhead_lines(in_force, team_drivers(connection, period), period,
                                split_currency, accrued=accrued, unpriced_teams=unpriced,
                                rates=rates_for(connection, period) if foreign else None)
    result = {}
    for team in sorted(usage):
        line_currency, groups, unpriced_items = usage[team]
        line_currency = line_currency or currency or (in_force[0].currency if in_force
                                                      else "USD")
        result[team] = with_contract(connection, TeamLines(
            team, period, line_currency,
            tuple(_line(key, groups[key], line_currency) for key in sorted(groups)),
            tuple(shares.get(team, [])), tuple(_merge_unpriced(unpriced_items)),
            is_open=accrued is not None))
    return result


def with_contract(connection: Connection, lines: TeamLines, locale: str = "en_US"
                  ) -> TeamLines:
    """The team's lines with the contract its card declares for it: volume discounts on
    its tiers, a commitment named after the team; the same function as invoices use, its
    descriptions and rule notes in the language of `locale` (the statement's)."""
    current = [line for line in lines.lines if not line.adjusts_period]
    versions = {tuple(version.split("@", 1)) for line in current
                for version in line.card_versions}
    if not versions:
        return lines
    found = [card for card in (_card_version(connection, card, version)
                               for card, version in versions) if card is not None]
    if not found:  # priced by cards never published (a test's in-memory cards): no contract
        return lines
    card = max(found, key=lambda item: (item.effective_from, item.version))
    if not card.volume_discounts and lines.team not in card.commitments:
        return lines
    tiers: dict[str, TierUsage] = {}
    for line in current:
        if line.tier:
            before = tiers.get(line.tier, TierUsage(0, Decimal(0)))
            tiers[line.tier] = TierUsage(before.tokens + line.tokens,
                                         before.amount + line.amount)
    billed = sum((line.amount for line in current), Decimal(0))
    terms = contract_lines(card, lines.team, tiers, billed, lines.currency, locale=locale)
    return replace(lines, contract=tuple(terms.lines), contract_notes=tuple(terms.notes))


@lru_cache(maxsize=64)
def _parsed_card(source: str, filename: str) -> CardVersion:
    return load_card(source, filename)


def _card_version(connection: Connection, card: str, version: str) -> CardVersion | None:
    """A published card version; parsed once per process (published versions never change)."""
    row = connection.execute(select(card_table.c.source, card_table.c.filename).where(
        card_table.c.card == card, card_table.c.version == version)).first()
    return None if row is None else _parsed_card(row.source, row.filename)


def _merge_unpriced(items: list[UnpricedUsage]) -> list[UnpricedUsage]:
    return sorted(items, key=lambda item: (item.model, item.use_case or ""))


def team_lines(engine: Engine | Connection, team: str, period: str, *,
               pools: list[Pool] | None = None, now: datetime | None = None,
               zone: ZoneInfo | None = None) -> TeamLines:
    """One team's lines; raises NoUsage when it has none in the period."""
    found = period_lines(engine, period, pools=pools, teams=[team], now=now, zone=zone)
    if team not in found:
        raise NoUsage(f"team {team!r} has no rated usage in {period}; run `billing rate`, "
                      "or check the team name with `billing coverage --period`")
    return found[team]


def use_case_overhead(lines: TeamLines) -> dict[str | None, Decimal]:
    """The team's charged overhead split over its use cases (None: unattributed usage keeps
    its own part), pool by pool, by the pool's own driver measured per use case.

    Pools driven by spend, tokens or requests split by the use case's spend, tokens or
    requests (unpriced usage counts for tokens and requests, as it did between teams); `even`
    and `shares` pools measure no usage, so their share is split by spend.
    """
    spend: dict[str | None, Decimal] = defaultdict(Decimal)
    tokens: dict[str | None, Decimal] = defaultdict(Decimal)
    requests: dict[str | None, Decimal] = defaultdict(Decimal)
    for line in lines.lines:
        spend[line.use_case] += line.exact
        tokens[line.use_case] += line.tokens
        requests[line.use_case] += line.requests
    for item in lines.unpriced:
        spend.setdefault(item.use_case, Decimal(0))
        tokens[item.use_case] += item.tokens
        requests[item.use_case] += item.requests
    by_driver = {"spend": spend, "tokens": tokens, "requests": requests}
    result: dict[str | None, Decimal] = defaultdict(Decimal)
    for share in lines.overhead:
        if share.treatment != "charged" or share.amount == 0:
            continue
        weights = by_driver.get(share.driver, spend)
        keyed = {_key(name): weight for name, weight in weights.items()}
        for key, part in split_largest_remainder(share.amount, keyed, lines.currency).items():
            result[_unkey(key)] += part
    return dict(result)


def _key(use_case: str | None) -> str:
    return "\x00" if use_case is None else use_case


def _unkey(key: str) -> str | None:
    return None if key == "\x00" else key
