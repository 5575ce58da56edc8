"""Showback: what one team spent in a period, by use case, model and tier, plus overhead.

A showback is the team's document lines (`billing.close.lines`), the same the statement
prints: each line rounded once, the total the sum of the rounded lines and charged overhead
shares, so it adds up to the cent wherever it is shown. No money moves: this is the team's view
of its AI cost.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from billing.close.lines import NoUsage, TeamLines, team_lines
from billing.exact_sum import money_sum
from billing.models import RatedLine, SpendTotal
from billing.money import CurrencyMismatch, apportion
from billing.rating.overhead import Pool

rated = RatedLine.__table__
spend_totals = SpendTotal.__table__
TOKEN_FIELDS = ("requests", "input_tokens", "output_tokens", "cached_input_tokens",
                "cache_write_input_tokens")
Showback = TeamLines
__all__ = ["NoUsage", "Showback", "showback", "showback_grouped"]


def showback(
    engine: Engine, team: str, period: str, *, pools: list[Pool] | None = None,
    now: datetime | None = None, zone: ZoneInfo | None = None,
) -> Showback:
    """A team's showback for a period: its document lines (pools accrued to `now` while the
    month is open)."""
    return team_lines(engine, team, period, pools=pools, now=now, zone=zone)


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

    Each document line's rounded amount is spread over its finer rows (by largest remainder,
    `billing.money.apportion`) before grouping, so any grouping adds up to the statement's
    lines and a filter shows the same cents as the whole. No overhead: that is per team.
    Sorted by the group keys, so pages are deterministic.
    """
    unknown = [name for name in [*group_by, *(filters or {})] if name not in GROUPABLE]
    if unknown:
        raise BadGrouping(f"cannot group or filter by {', '.join(unknown)}; use "
                          f"{', '.join(GROUPABLE)}")
    repeated = sorted({name for name in group_by if group_by.count(name) > 1}) \
        if len(group_by) <= len(GROUPABLE) else sorted(set(group_by))
    if repeated or len(group_by) > len(GROUPABLE):
        raise BadGrouping(f"group by each field once ({', '.join(repeated[:5])} repeated); "
                          f"use at most {len(GROUPABLE)} of {', '.join(GROUPABLE)}")
    wanted = list(dict.fromkeys([*group_by, *(filters or {})]))
    line_keys = (rated.c.adjusts_period, rated.c.use_case, rated.c.model, rated.c.tier,
                 rated.c.environment)
    detail = [GROUPABLE[name].label(f"by_{name}") for name in wanted]
    query = (select(*line_keys, *detail, rated.c.currency,
                    money_sum(rated.c.amount).label("amount"),
                    *[func.sum(rated.c[name]).label(name) for name in TOKEN_FIELDS])
             .where(rated.c.view == "showback", rated.c.period == period,
                    rated.c.team == team, rated.c.amount.is_not(None))
             .group_by(*line_keys, *detail, rated.c.currency))
    by_line: dict[tuple, list[Any]] = defaultdict(list)
    with engine.connect() as connection:
        for row in connection.execute(query):
            by_line[tuple(row[:len(line_keys)])].append(row)
    if not by_line:
        raise NoUsage(f"team {team!r} has no rated usage in {period} matching the filters")
    currencies = {row.currency for rows in by_line.values() for row in rows}
    if len(currencies) > 1:
        both = " and ".join(sorted(currencies))
        raise CurrencyMismatch(f"team {team!r} has usage priced in {both} in {period}; show "
                               "each team on one card")
    currency = currencies.pop()
    groups: dict[tuple, dict[str, Any]] = {}
    for rows in by_line.values():
        for row, amount in zip(rows, apportion([row.amount for row in rows], currency),
                               strict=True):
            values = {name: getattr(row, f"by_{name}") for name in wanted}
            if any(_text(values[name]) != value for name, value in (filters or {}).items()):
                continue
            group = groups.setdefault(tuple(values[name] for name in group_by),
                                      {"amount": Decimal(0), **dict.fromkeys(TOKEN_FIELDS, 0)})
            group["amount"] += amount
            for name in TOKEN_FIELDS:
                group[name] += int(getattr(row, name) or 0)
    if not groups:
        raise NoUsage(f"team {team!r} has no rated usage in {period} matching the filters")
    lines = []
    for values, group in sorted(groups.items(), key=lambda item: tuple(
            "" if value is None else str(value) for value in item[0])):
        line = {name: _text(value) for name, value in zip(group_by, values, strict=True)}
        line.update({name: group[name] for name in TOKEN_FIELDS})
        line["amount"] = group["amount"]
        lines.append(line)
    total = sum((line["amount"] for line in lines), Decimal(0))
    return {"team": team, "period": period, "currency": currency, "group_by": group_by,
            "filters": filters or {},
            "lines": [line | {"amount": str(line["amount"])} for line in lines],
            "total": str(total)}


def _text(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


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
