"""Forecast: a month's cost as calls x average tokens per call x blended rate, under named
scenarios side by side.

The drivers come from the last period's ledger (`today`); a scenario changes any of them, as
finance writes it: `growth=calls:+40%,tokens:9100,rate:0.0042`. `calls` is a number of calls
or a signed percent change; `tokens` the average input plus output tokens per call (cached and
cache-write input count as input); `rate` the blended price per 1,000 tokens. Each accepts a
signed percent change too (`tokens:+25%` is context creep).

When the base period is the month in progress, its calls so far are projected to the whole
month at the pace so far (calls x days in month / days elapsed, today counted as elapsed);
tokens per call and the rate are averages, so they stand as measured. Decimal throughout, and
pure but for `ledger_forecast`, which reads today's drivers from the running spend totals; the
clock comes in as `now`, never read here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from billing.budgets.budget import use_case_key
from billing.budgets.spend_totals import scope_total
from billing.budgets.store import card_currency
from billing.money import round_line
from billing.period import Period

THOUSAND = Decimal(1000)
HUNDRED = Decimal(100)
DRIVER_NAMES = ("calls", "tokens", "rate")
TODAY = "today"
_NAME = re.compile(r"^[\w .\-]{1,60}$")


class ScenarioError(ValueError):
    """A scenario cannot be read; the message quotes it and says how to write it."""


@dataclass(frozen=True)
class Drivers:
    calls: Decimal
    tokens_per_call: Decimal
    rate_per_1k: Decimal

    @property
    def cost(self) -> Decimal:
        """calls x tokens per call x rate per 1,000 tokens, unrounded."""
        return self.calls * self.tokens_per_call * self.rate_per_1k / THOUSAND

    def to_dict(self) -> dict[str, str]:
        return {"calls": plain(self.calls), "tokens_per_call": plain(self.tokens_per_call),
                "rate_per_1k": plain(self.rate_per_1k)}


def plain(value: Decimal) -> str:
    """A driver as finance writes it: 8000, not 8000.00 or 8E+3; 0.00375, not 0.0037500000."""
    return format(value.normalize(), "f") if value else "0"


def drivers_from_usage(spend: Decimal, calls: int, tokens: int) -> Drivers:
    """The drivers that reproduce a period's spend: tokens per call, spend per 1,000 tokens.

    Kept to 2 decimal places of tokens and 10 of rate, so a reader can redo the sum by hand.
    """
    if calls <= 0 or tokens <= 0:
        return Drivers(Decimal(calls), Decimal(0), Decimal(0))
    return Drivers(Decimal(calls), (Decimal(tokens) / calls).quantize(Decimal("0.01")),
                   (spend * THOUSAND / tokens).quantize(Decimal("0.0000000001")))


@dataclass(frozen=True)
class Change:
    """A driver's new value: absolute, or a percent change of today's."""

    value: Decimal
    percent: bool

    def apply(self, today: Decimal) -> Decimal:
        return today * (HUNDRED + self.value) / HUNDRED if self.percent else self.value


@dataclass(frozen=True)
class Scenario:
    name: str
    changes: dict[str, Change]

    def drivers(self, today: Drivers) -> Drivers:
        def pick(name: str, current: Decimal) -> Decimal:
            change = self.changes.get(name)
            return current if change is None else change.apply(current)

        calls = pick("calls", today.calls)
        if "calls" in self.changes:
            calls = calls.quantize(Decimal(1), rounding=ROUND_HALF_UP)   # calls are whole
        return Drivers(calls, pick("tokens", today.tokens_per_call),
                       pick("rate", today.rate_per_1k))


MAX_PERCENT = 1_000_000
MAX_DRIVER = Decimal("1e15")


def _change(name: str, text: str, where: str) -> Change:
    text = text.strip()
    percent = text.endswith("%")
    number = text[:-1].strip() if percent else text
    if percent and number[:1] not in "+-":
        raise ScenarioError(f"{where}: write a percent change with its sign, {name}:+{number}% "
                            f"or {name}:-{number}%")
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise ScenarioError(f"{where}: {name}:{text} is not a number or a signed percent") \
            from None
    if not value.is_finite():
        raise ScenarioError(f"{where}: {name}:{text} is not a finite number")
    if abs(value) > (MAX_PERCENT if percent else MAX_DRIVER):
        raise ScenarioError(f"{where}: {name}:{text} is beyond any plausible month; at most "
                            f"{MAX_PERCENT:,}% or {MAX_DRIVER:.0e}")
    if (not percent and value < 0) or (percent and value < -100):
        raise ScenarioError(f"{where}: {name}:{text} would make {name} negative")
    return Change(value, percent)


def parse_scenario(text: str) -> Scenario:
    """`NAME=calls:+40%,tokens:9100,rate:0.0042`; drivers left out stay as today."""
    where = f"scenario {text!r}"
    name, sep, body = text.partition("=")
    name = name.strip()
    if not sep or not _NAME.match(name):
        raise ScenarioError(f"{where}: write NAME=driver:value,..., e.g. "
                            "growth=calls:+40%,tokens:9100,rate:0.0042")
    if name == TODAY:
        raise ScenarioError(f"{where}: 'today' is the last period as measured; pick another name")
    changes: dict[str, Change] = {}
    for item in filter(None, (part.strip() for part in body.split(","))):
        driver, colon, value = item.partition(":")
        driver = driver.strip().lower()
        if not colon or driver not in DRIVER_NAMES:
            raise ScenarioError(f"{where}: {item!r} should be calls:..., tokens:... or rate:...")
        if driver in changes:
            raise ScenarioError(f"{where}: {driver} is given twice")
        changes[driver] = _change(driver, value, where)
    return Scenario(name, changes)


@dataclass(frozen=True)
class Projection:
    name: str
    drivers: Drivers
    cost: Decimal
    change: Decimal
    change_percent: Decimal | None

    def to_dict(self) -> dict[str, Any]:
        return {"scenario": self.name, **self.drivers.to_dict(), "cost": str(self.cost),
                "change": str(self.change),
                "change_percent": None if self.change_percent is None
                else str(self.change_percent.quantize(Decimal("0.01")))}


@dataclass(frozen=True)
class MonthInProgress:
    """The base period is the current month: how far it is, and what that made of its calls.

    `projected_calls` is None when the calls were given (an override), not projected.
    """

    days_elapsed: int
    days_in_month: int
    calls_so_far: Decimal
    projected_calls: Decimal | None

    def to_dict(self) -> dict[str, Any]:
        return {"days_elapsed": self.days_elapsed, "days_in_month": self.days_in_month,
                "calls_so_far": plain(self.calls_so_far),
                "projected_calls": None if self.projected_calls is None
                else plain(self.projected_calls)}


@dataclass(frozen=True)
class Forecast:
    currency: str
    base_period: str | None
    projections: list[Projection]
    in_progress: MonthInProgress | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"currency": self.currency, "base_period": self.base_period,
                "month_in_progress": None if self.in_progress is None
                else self.in_progress.to_dict(),
                "scenarios": [p.to_dict() for p in self.projections]}


def _days_elapsed_in_month(period: str, now: datetime, zone: ZoneInfo) -> int | None:
    """Days of `period` elapsed at `now`, today counted, when it is the month in progress in
    the billing time zone; None for any other month."""
    return now.astimezone(zone).day if str(Period.of(now, zone)) == period else None


def whole_month(measured: Drivers, period: str, now: datetime, zone: ZoneInfo
                ) -> tuple[Drivers, MonthInProgress | None]:
    """The month's drivers: a month in progress has its calls so far projected at the pace so
    far (calls x days in month / days elapsed, to whole calls); any other month, and the last
    day of one, is taken as measured."""
    elapsed = _days_elapsed_in_month(period, now, zone)
    days = Period.parse(period).days
    if elapsed is None or elapsed >= days:
        return measured, None
    calls = (measured.calls * days / elapsed).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return (replace(measured, calls=calls),
            MonthInProgress(elapsed, days, measured.calls, calls))


def project(today: Drivers, scenarios: list[Scenario], currency: str,
            base_period: str | None = None, in_progress: MonthInProgress | None = None
            ) -> Forecast:
    """Today first, then each scenario: its cost (rounded once, to the currency's minor unit)
    and its change from today's cost: in money between the rounded costs shown, in percent
    between the exact ones (so calls:+40% reads 40.00%, whatever the rounding)."""
    base = round_line(today.cost, currency)
    rows = [Projection(TODAY, today, base, base - base, Decimal(0) if base else None)]
    seen = {TODAY}
    for scenario in scenarios:
        if scenario.name in seen:
            raise ScenarioError(f"scenario {scenario.name!r} is given twice")
        seen.add(scenario.name)
        drivers = scenario.drivers(today)
        cost = round_line(drivers.cost, currency)
        exact_base = today.cost
        rows.append(Projection(
            scenario.name, drivers, cost, cost - base,
            (drivers.cost - exact_base) * HUNDRED / exact_base if exact_base else None))
    return Forecast(currency, base_period, rows, in_progress)


class NoBaseUsage(LookupError):
    def __init__(self, who: str, period: str):
        super().__init__(f"{who} has no rated usage in {period}, so there is nothing to "
                         "project from")
        self.hint = (f"check the name (`billing coverage --period {period}` lists teams), "
                     "run `billing rate`, pick another --period, or give --calls, --tokens "
                     "and --rate")


def ledger_forecast(
    engine: Engine, team: str, base_period: str | None, scenarios: list[Scenario], *,
    now: datetime, zone: ZoneInfo, use_case: str | None = None,
    calls: Decimal | None = None, tokens: Decimal | None = None, rate: Decimal | None = None,
    team_card: str | None = None,
) -> Forecast:
    """The one forecast behind `billing forecast` and `GET /v1/forecast/{team}`.

    Today's drivers come from the base period's running totals (a team's, or one of its use
    cases'; default base: the month before `now`'s), a month in progress projected to its
    end (`whole_month`), then any driver overridden, then `project`. With no usage, the
    currency is that of `team_card`'s newest version (USD if none).
    """
    base_period = base_period or str(Period.of(now, zone).previous())
    kind, key = ("use_case", use_case_key(team, use_case)) if use_case else ("team", team)
    found = scope_total(engine, base_period, kind, key)
    if found is None and None in (calls, tokens, rate):
        raise NoBaseUsage(f"use case {use_case!r} of team {team!r}" if use_case
                          else f"team {team!r}", base_period)
    if found is None:
        found = ((team_card and card_currency(engine, team_card)) or "USD", Decimal(0), 0, 0)
    currency, spend, requests, token_count = found
    measured = drivers_from_usage(spend, requests, token_count)
    month, in_progress = whole_month(measured, base_period, now, zone)
    if calls is not None and in_progress is not None:
        in_progress = replace(in_progress, projected_calls=None)
    today = Drivers(month.calls if calls is None else calls,
                    month.tokens_per_call if tokens is None else tokens,
                    month.rate_per_1k if rate is None else rate)
    return project(today, scenarios, currency, base_period, in_progress)
