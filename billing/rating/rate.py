"""Rating: usage becomes priced ledger lines, with the card version in force on each day.

The database does the heavy part: it groups new usage by (period, day, team, use case,
customer, environment, provider, model, tier), so Python prices a few thousand aggregates,
never millions of events. A price is constant within (model, tier, card version), so pricing
summed tokens once is exact. Each run reads only events after the last run's watermark and
writes in one transaction, so a second run finds nothing to do and a crash leaves no half run.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Connection, Engine, case, delete, func, insert, or_, select, update

from billing.budgets.freshness import invalidate
from billing.budgets.reservations import rating_finished
from billing.budgets.spend_totals import apply_rated_lines, rebuild_period
from billing.db import write_transaction
from billing.ledger.usage_event import BILLED
from billing.models import PeriodClose, RatedLine, RatingRun, UsageEvent
from billing.period import next_open_period
from billing.rating.attribution import Rule, RuleSet, attribute
from billing.rating.capacity_rating import Served, capacity_models, reprice, served_tokens
from billing.rating.card_registry import UnknownCard, published_versions
from billing.rating.coverage import tag_value
from billing.rating.model_aliases import NO_ALIASES, AliasesFor, ModelAliases
from ratecards import (
    CardVersion,
    NoVersionInForce,
    UnpricedModel,
    priced_for_period,
    quote,
    version_in_force,
)

usage = UsageEvent.__table__
lines_table = RatedLine.__table__
runs = RatingRun.__table__
closes = PeriodClose.__table__

GROUP = ("period", "usage_date", "team", "use_case", "customer", "environment", "provider",
         "model", "tier", "project")
# Sort order for the GROUP BY: the most selective columns first make SQLite's sorter faster.
SORT = ("usage_date", "model", "use_case", "customer", "team", "environment", "tier", "provider",
        "period", "service_tier", "call_status", "project")
SQLITE_SORT_THREADS = 4
TOKENS = ("requests", "input_tokens", "output_tokens", "cached_input_tokens",
          "cache_write_input_tokens")
LOCK_KEY = 7_201_011
NANOS = Decimal(1_000_000_000)
REPORTED_CURRENCY = "USD"


class RatingRefused(RuntimeError):
    pass


@dataclass
class RatingResult:
    run_id: int | None = None
    kind: str = "incremental"
    period: str | None = None
    events: int = 0
    lines: int = 0
    unpriced: list[dict[str, Any]] = field(default_factory=list)
    nothing_to_do: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "kind": self.kind, "period": self.period,
            "events": self.events, "lines": self.lines, "nothing_to_do": self.nothing_to_do,
            "unpriced": self.unpriced,
        }


@dataclass(frozen=True)
class Cards:
    """The card versions each view is priced on."""

    team: list[CardVersion]
    customer: list[CardVersion]


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def _aggregate(connection: Connection, low: int, high: int, period: str | None):  # noqa: ANN202
    dialect = connection.dialect.name
    unattributed = or_(usage.c.team.is_(None), usage.c.use_case.is_(None))
    extras = {
        "provider_project": tag_value(dialect, "provider_project"),
        "api_key": tag_value(dialect, "api_key"),
        "prompt_version": usage.c.prompt_version,
        "tags": usage.c.tags,
    }
    extra_columns = [case((unattributed, value), else_=None).label(f"x_{name}")
                     for name, value in extras.items()]
    if dialect == "sqlite":
        # lets SQLite's sorter use worker threads: the GROUP BY sort is most of rating's time
        connection.exec_driver_sql(f"PRAGMA threads={SQLITE_SORT_THREADS}")
    group = [usage.c[name] for name in SORT]
    query = (
        select(*group, *extra_columns, func.count().label("events"),
               *[func.sum(usage.c[name]).label(name) for name in TOKENS],
               func.sum(usage.c.reported_cost_nanos).label("reported_cost_nanos"),
               func.sum(usage.c.cache_write_1h_input_tokens).label("cache_write_1h"),
               func.sum(usage.c.web_search_requests).label("web_search_requests"))
        .where(usage.c.id > low, usage.c.id <= high)
        .group_by(*group, *extra_columns)
    )
    if period is not None:
        query = query.where(usage.c.period == period)
    return connection.execute(query)


RulesFor = Callable[[str], RuleSet]


def _merge(rows: Iterable[Any], rules_for: RulesFor) -> dict[tuple, list[int]]:
    """Apply the rules in force for each aggregate's period and merge those that become the
    same line."""
    merged: dict[tuple, list[int]] = defaultdict(lambda: [0] * (len(TOKENS) + 4))
    for row in rows:
        values = row._mapping
        team, use_case, rule = values["team"], values["use_case"], None
        rules = rules_for(values["period"]).rules
        if rules and (team is None or use_case is None):
            facts = {
                "provider": values["provider"], "model": values["model"],
                "provider_project": values["x_provider_project"],
                "api_key": values["x_api_key"], "prompt_version": values["x_prompt_version"],
                "tags": orjson.loads(values["x_tags"]) if values["x_tags"] else {},
                "team": team, "use_case": use_case,
            }
            found = attribute(rules, facts)
            team, use_case, rule = found.team, found.use_case, found.rule
        usage_date = values["usage_date"]
        if isinstance(usage_date, str):
            usage_date = date.fromisoformat(usage_date)
        key = (values["period"], usage_date, team, use_case, values["customer"],
               values["environment"], values["provider"], values["model"], values["tier"], rule,
               values["service_tier"], values["project"])
        totals = merged[key]
        totals[0] += int(values["events"])
        if values["call_status"] != BILLED:
            continue
        for index, name in enumerate(TOKENS, start=1):
            totals[index] += int(values[name])
        totals[-3] += int(values["reported_cost_nanos"])
        totals[-2] += int(values["cache_write_1h"] or 0)
        totals[-1] += int(values["web_search_requests"] or 0)
    return merged


def price_lines(
    view: str, key: tuple, totals: list[int], versions: list[CardVersion], zone: ZoneInfo,
    cache: dict, aliases: ModelAliases = NO_ALIASES, served: Served | None = None,
) -> list[dict[str, Any]]:
    """The rated lines of one aggregate: cache writes kept for 1 hour, which the card may
    price apart, are a line of their own (cache-write tokens only, no requests), and so are
    web-search tool requests (priced per 1,000 searches), so every line stays counts x its
    unit prices and each component keeps its own amount."""
    *counts, nanos, hour, searches = totals
    counts[5] -= hour
    lines = [price_line(view, key, [*counts, nanos], versions, zone, cache, aliases=aliases,
                        served=served)]
    if hour:
        lines.append(price_line(view, key, [0, 0, 0, 0, 0, hour, 0], versions, zone, cache,
                                cache_ttl="1h", aliases=aliases, served=served))
    if searches:
        lines.append(price_line(view, key, [0, 0, 0, 0, 0, 0, 0], versions, zone, cache,
                                aliases=aliases, web_search_requests=searches, served=served))
    return lines


def price_line(
    view: str, key: tuple, totals: list[int], versions: list[CardVersion], zone: ZoneInfo,
    cache: dict, *, cache_ttl: str = "5m", aliases: ModelAliases = NO_ALIASES,
    web_search_requests: int = 0, served: Served | None = None,
) -> dict[str, Any]:
    """One rated line: the aggregate priced on the version in force on its day, its model
    resolved by the card and then by the shared alias table (billing/rating/model_aliases.py);
    `model` stays as reported, `priced_model` is the card's model whose prices were used.
    Capacity models are priced at the price their period's throughput (`served`) gives."""
    (period, usage_date, team, use_case, customer, environment, provider, model, tier, rule,
     service_tier, *rest) = key
    project = rest[0] if rest else None
    events, requests, input_tokens, output_tokens, cached, cache_write, nanos = totals
    reported = Decimal(nanos) / NANOS
    line: dict[str, Any] = {
        "view": view, "period": period, "usage_date": usage_date, "team": team,
        "use_case": use_case, "customer": customer, "environment": environment,
        "provider": provider, "model": model, "tier": tier, "attributed_by": rule,
        "events": events, "requests": requests, "input_tokens": input_tokens,
        "output_tokens": output_tokens, "cached_input_tokens": cached,
        "cache_write_input_tokens": cache_write, "service_tier": service_tier,
        "reported_cost_nanos": nanos, "web_search_requests": web_search_requests,
        "project": project,
    }
    try:
        version = cache.get((view, usage_date))
        if version is None:
            version = version_in_force(versions, _day_start(usage_date, zone), str(zone))
            cache[(view, usage_date)] = version
        if version.capacity:
            version = priced_for_period(version, (served or {}).get(period, {}))
        if nanos and version.currency != REPORTED_CURRENCY:
            line["unpriced_reason"] = (
                f"the source reported a cost of {reported} {REPORTED_CURRENCY} but "
                f"{version.card}@{version.version} is in {version.currency}; price the model on "
                "the card or convert the reported cost before ingest")
            return line
        priced = quote(version, aliases.priced_name(version, model), tier=tier,
                       input_tokens=input_tokens,
                       output_tokens=output_tokens, cached_input_tokens=cached,
                       cache_write_input_tokens=cache_write, requests=requests,
                       service_tier=service_tier, cache_ttl=cache_ttl,
                       web_search_requests=web_search_requests)
    except UnpricedModel as exc:
        if nanos and not (input_tokens or output_tokens or cached or cache_write
                          or web_search_requests):
            line.update(card=version.card, card_version=version.version,
                        currency=version.currency, markup=Decimal(0),
                        per_request_fee=Decimal(0), provider_cost=reported, amount=reported)
            return line
        line["unpriced_reason"] = str(exc)
        line["unpriced_card"] = exc.card  # for the alert; not stored
        return line
    except NoVersionInForce as exc:
        line["unpriced_reason"] = str(exc)
        line["unpriced_card"] = getattr(exc, "card", None)  # for the alert; not stored
        return line
    provider_cost, amount = priced.provider_cost, priced.internal_price
    if nanos:
        provider_cost, amount = provider_cost + reported, amount + reported * (1 + priced.markup)
    line.update(
        tier=priced.tier, card=priced.card, card_version=priced.version,
        priced_model=priced.priced_model, web_search_price=priced.web_search_price,
        currency=version.currency, input_price=priced.input_price,
        output_price=priced.output_price, cached_input_price=priced.cached_input_price,
        cache_write_input_price=priced.cache_write_input_price, markup=priced.markup,
        per_request_fee=priced.per_request_fee, provider_cost=provider_cost,
        amount=amount,
    )
    return line


def closed_periods(engine: Engine) -> frozenset[str]:
    with engine.connect() as connection:
        return frozenset(connection.execute(select(closes.c.period)).scalars())


def _lock(connection: Connection) -> None:
    """One rating at a time: the first write takes SQLite's lock; PostgreSQL an advisory one."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LOCK_KEY})")


def _ledger_high_water(engine: Engine) -> int:
    """The highest event id below which every insert has committed."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # waits for in-flight ingest transactions, so no lower id can still appear
            connection.exec_driver_sql("LOCK TABLE usage_event IN SHARE MODE")
        return connection.execute(select(func.coalesce(func.max(usage.c.id), 0))).scalar_one()


def rate(
    engine: Engine,
    cards: Cards,
    *,
    zone: ZoneInfo,
    rules: list[Rule] | None = None,
    rules_for: RulesFor | None = None,
    rerate_period: str | None = None,
    aliases_for: AliasesFor | None = None,
) -> RatingResult:
    """Rate all new usage, or (rerate_period) recompute one open period from scratch.

    `rules_for(period)` gives the published attribution rules in force for a period; each
    line records that version. `rules` (unversioned, the line says so with no version) is for
    callers that hold rules outside the registry. Usage of a closed period (it arrived late) is
    rated into the next open period as a prior-period adjustment: a closed period's documents
    never change. `aliases_for(period)` gives the shared model-alias table in force, used for
    every card after the card's own names and aliases.
    """
    closed = closed_periods(engine)
    aliases_seen: dict[str, ModelAliases] = {}

    def aliases(period: str) -> ModelAliases:
        if aliases_for is None:
            return NO_ALIASES
        if period not in aliases_seen:
            aliases_seen[period] = aliases_for(period)
        return aliases_seen[period]

    if rerate_period in closed:
        following = next_open_period(rerate_period, closed)
        raise RatingRefused(
            f"period {rerate_period} is closed; its documents never change, so it cannot be "
            f"re-rated. Run `billing rate` to rate late or corrected usage of {rerate_period} "
            f"into {following} as a prior-period adjustment, or `billing rate --period "
            f"{following} --rerate` to re-rate the open {following}"
        )
    high = _ledger_high_water(engine)
    started = time.monotonic()
    try:
        return _rate(engine, cards, zone, rules_for, rules, rerate_period, closed, high,
                     aliases)
    finally:
        invalidate()
        rating_finished(engine, started)


def _rate(engine: Engine, cards: Cards, zone: ZoneInfo, rules_for: RulesFor | None,
          rules: list[Rule] | None, rerate_period: str | None, closed: set,
          high: int, aliases: Callable[[str], ModelAliases]) -> RatingResult:
    rules_for = _memo(rules_for) if rules_for else _fixed(rules or [])
    with write_transaction(engine) as connection:
        _lock(connection)
        run_id = connection.execute(
            insert(runs).values(kind="rerate" if rerate_period else "incremental",
                                period=rerate_period, from_event_id=0, to_event_id=0, events=0,
                                started_at=datetime.now(UTC))
            .returning(runs.c.id)
        ).scalar_one()
        watermark = connection.execute(
            select(func.coalesce(func.max(runs.c.to_event_id), 0))
            .where(runs.c.kind == "incremental", runs.c.id != run_id)
        ).scalar_one()
        if rerate_period:
            # prior-period adjustments moved into this period keep their own rating
            connection.execute(delete(lines_table).where(
                lines_table.c.period == rerate_period, lines_table.c.adjusts_period.is_(None)))
            low, high, period = 0, watermark, rerate_period
        else:
            low, period = watermark, None
        result = RatingResult(run_id=run_id, kind="rerate" if rerate_period else "incremental",
                              period=rerate_period)
        if high <= low and not rerate_period:
            connection.execute(delete(runs).where(runs.c.id == run_id))
            result.run_id, result.nothing_to_do = None, True
            return result
        merged = _merge(_aggregate(connection, low, high, period), rules_for)
        cache: dict = {}
        new_lines = []
        served = served_tokens(
            connection, ((key[0], key[7], sum(totals[2:6])) for key, totals in merged.items()),
            capacity_models([*cards.team, *cards.customer]))
        for key, totals in merged.items():
            table = aliases(key[0])
            new_lines.extend(price_lines("showback", key, totals, cards.team, zone, cache,
                                         table, served))
            if key[4] is not None:
                new_lines.extend(price_lines("chargeback", key, totals, cards.customer, zone,
                                             cache, table, served))
        repriced = reprice(connection, served, closed, lambda view, key, totals: price_line(
            view, key, totals, cards.team if view == "showback" else cards.customer, zone,
            cache, served=served, aliases=aliases(key[0]))) if served and not rerate_period \
            else set()
        for line in new_lines:
            line["run_id"] = run_id
            line["rules_version"] = rules_for(line["period"]).version or None
            if line["period"] in closed:
                line["adjusts_period"] = line["period"]
                line["period"] = next_open_period(line["period"], closed)
        _insert_lines(connection, new_lines)
        if rerate_period:
            rebuild_period(connection, rerate_period)
        else:
            apply_rated_lines(connection, new_lines)
        for changed in sorted(repriced):
            rebuild_period(connection, changed)
        result.events = sum(totals[0] for totals in merged.values())
        result.lines = len(new_lines)
        result.unpriced = _unpriced_summary(new_lines)
        connection.execute(
            update(runs).where(runs.c.id == run_id).values(
                from_event_id=low, to_event_id=high, events=result.events, lines=result.lines,
                unpriced_lines=sum(1 for line in new_lines if line.get("unpriced_reason")),
                finished_at=datetime.now(UTC),
            )
        )
    return result


def _memo(rules_for: RulesFor) -> RulesFor:
    """One lookup per period per run: the rules of a period cannot change within a run."""
    seen: dict[str, RuleSet] = {}

    def lookup(period: str) -> RuleSet:
        if period not in seen:
            seen[period] = rules_for(period)
        return seen[period]
    return lookup


def _fixed(rules: list[Rule]) -> RulesFor:
    fixed = RuleSet("", tuple(rules))
    return lambda _period: fixed


def stale_rules(engine: Engine, period: str, rules_for: RulesFor) -> list[str]:
    """Rules versions on a period's own lines other than the one in force for it: the period
    was (partly) rated before a new rules version was published, and needs a re-rate."""
    wanted = rules_for(period).version
    with engine.connect() as connection:
        found = connection.execute(
            select(lines_table.c.rules_version).distinct().where(
                lines_table.c.period == period, lines_table.c.adjusts_period.is_(None))
        ).scalars().all()
    return sorted({version or "unversioned" for version in found if version != wanted})


_LINE_COLUMNS = [column.name for column in lines_table.columns if column.name != "id"]


def _insert_lines(connection: Connection, new_lines: list[dict[str, Any]]) -> None:
    rows = [{name: line.get(name) for name in _LINE_COLUMNS} for line in new_lines]
    for start in range(0, len(rows), 5_000):
        connection.execute(insert(lines_table), rows[start:start + 5_000])


def _unpriced_summary(new_lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    summary: dict[tuple, dict[str, Any]] = {}
    for line in new_lines:
        if not line.get("unpriced_reason"):
            continue
        key = (line["view"], line["provider"], line["model"], line["unpriced_reason"])
        entry = summary.setdefault(key, {
            "view": line["view"], "provider": line["provider"], "model": line["model"],
            "reason": line["unpriced_reason"], "events": 0, "requests": 0, "tokens": 0,
        })
        entry["events"] += line["events"]
        entry["requests"] += line["requests"]
        entry["tokens"] += (line["input_tokens"] + line["output_tokens"]
                            + line["cached_input_tokens"] + line["cache_write_input_tokens"])
    return sorted(summary.values(), key=lambda item: -item["tokens"])


def cards_in_use(engine: Engine, team_card: str, customer_card: str) -> Cards:
    """The cards rating prices with. A team card with no published version is refused here,
    for every caller (rate, close, scheduler, demo): rating without it would mark all usage
    unpriced and a close would carry that into statements."""
    team = published_versions(engine, team_card)
    if not team:
        raise UnknownCard(f"no published versions of the team card {team_card!r}; run "
                          "`billing init` or `billing ratecards publish`")
    return Cards(team=team, customer=published_versions(engine, customer_card))
