"""Overhead pools: platform costs of a period, allocated to teams by a driver.

Observability, safety review, platform engineering and vendor commitments are real costs of
AI use that no single call carries. Each pool has an amount, a driver (`spend`, `tokens`,
`requests`, `even` or fixed `shares`) and a treatment: `charged` pools add to teams' totals,
`central` pools are shown on statements but funded centrally. Allocation is exact by largest
remainder.

```yaml
pools:
  - name: observability
    amount: "12000.00"
    currency: USD
    driver: spend
    treatment: charged
    periods: ["2026-10", "2026-11"]    # omitted: every period
  - name: platform engineering
    amount: "30000.00"
    currency: USD
    driver: shares
    shares: {support: 3, search: 2, legal-ops: 1}
    treatment: central
```

A pool in another currency than the card teams are shown on is converted at the period's
recorded FX rate (`billing fx set EUR USD 1.0842 --period 2026-10`); a period without one is
refused, at `billing overhead set` and at the close. A pool without `periods` applies to every
period, so each period needs its rate: `overhead set` asks for the current period's, and the
close of any period without one says which rate to record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from sqlalchemy import Connection

from billing.fx import rates_for
from billing.money import round_line, split_largest_remainder
from ratecards import is_currency

DRIVERS = ("spend", "tokens", "requests", "even", "shares")
TREATMENTS = ("charged", "central")


class PoolError(ValueError):
    pass


@dataclass(frozen=True)
class Pool:
    name: str
    amount: Decimal
    currency: str
    driver: str
    treatment: str
    shares: Mapping[str, Decimal] = field(default_factory=dict)
    periods: tuple[str, ...] = ()

    def applies_to(self, period: str) -> bool:
        return not self.periods or period in self.periods


@dataclass(frozen=True)
class TeamDrivers:
    """What each team used in a period: the quantities a driver can weigh."""

    spend: Decimal
    tokens: int
    requests: int


def load_pools(text: str, source: str = "overhead pools") -> list[Pool]:
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise PoolError(f"{source}: not valid YAML: {exc}") from None
    entries = document.get("pools") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise PoolError(f"{source}: expected a top-level 'pools:' list")
    return [_pool(entry, f"{source}: pool {n}") for n, entry in enumerate(entries, start=1)]




def _decimal(value: Any, where: str) -> Decimal:
    if not isinstance(value, str):
        raise PoolError(f"{where}: write amounts as quoted decimal strings like \"1200.00\"")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise PoolError(f"{where}: {value!r} is not a decimal number") from None


def _pool(entry: Any, where: str) -> Pool:
    if not isinstance(entry, dict) or not entry.get("name"):
        raise PoolError(f"{where}: each pool needs a name, amount, currency, driver, treatment")
    where = f"{where} ({entry['name']})"
    driver = entry.get("driver")
    if driver not in DRIVERS:
        raise PoolError(f"{where}: driver {driver!r} is not one of {', '.join(DRIVERS)}")
    treatment = entry.get("treatment", "charged")
    if treatment not in TREATMENTS:
        raise PoolError(f"{where}: treatment {treatment!r} is not charged or central")
    amount = _decimal(entry.get("amount"), f"{where}: amount")
    if amount < 0:
        raise PoolError(f"{where}: amount must not be negative")
    shares = {str(k): _decimal(str(v), f"{where}: shares.{k}")
              for k, v in (entry.get("shares") or {}).items()}
    if driver == "shares" and not shares:
        raise PoolError(f"{where}: driver shares needs a shares: mapping of team to weight")
    periods = entry.get("periods") or ()
    currency = entry.get("currency", "USD")
    if not isinstance(currency, str) or not is_currency(currency):
        raise PoolError(f"{where}: currency {currency!r} is not an ISO 4217 code this engine "
                        "knows (three capital letters, e.g. USD, EUR, JPY)")
    return Pool(
        name=str(entry["name"]), amount=amount, currency=currency,
        driver=driver, treatment=treatment, shares=shares, periods=tuple(map(str, periods)),
    )


def missing_rate(pool: Pool, currency: str, period: str) -> str:
    """Why a pool in another currency cannot be shown, and the command that fixes it."""
    return (f"overhead pool {pool.name!r} is in {pool.currency} but teams are shown in "
            f"{currency}; give the pool in {currency}, or record a rate with "
            f"`billing fx set {pool.currency} {currency} RATE --period {period}`")


def periods_without_rate(connection: Connection, pool: Pool, currency: str,
                         current_period: str) -> list[str]:
    """The periods a pool in another currency than `currency` cannot be converted in: its
    periods with no recorded rate, or, for a pool of every period, the current one."""
    if pool.currency == currency:
        return []
    return [period for period in pool.periods or (current_period,)
            if (pool.currency, currency) not in rates_for(connection, period)]


def allocate(pool: Pool, teams: Mapping[str, TeamDrivers]) -> dict[str, Decimal]:
    """Each team's share of one pool; the shares sum exactly to the pool's rounded amount."""
    total = round_line(pool.amount, pool.currency)
    if pool.driver == "shares":
        weights: dict[str, Decimal | int] = dict(pool.shares)
    elif pool.driver == "even":
        weights = {team: 1 for team in teams}
    else:
        weights = {team: getattr(drivers, pool.driver) for team, drivers in teams.items()}
    return split_largest_remainder(total, weights, pool.currency)


def pool_to_dict(pool: Pool) -> dict[str, Any]:
    """A pool as the YAML file writes it: amounts and weights as decimal strings."""
    entry: dict[str, Any] = {"name": pool.name, "amount": str(pool.amount),
                             "currency": pool.currency, "driver": pool.driver,
                             "treatment": pool.treatment}
    if pool.shares:
        entry["shares"] = {team: str(weight) for team, weight in pool.shares.items()}
    if pool.periods:
        entry["periods"] = list(pool.periods)
    return entry


def dump_pools(pools: list[Pool]) -> str:
    header = ("# Overhead pools: platform costs of a period allocated to teams (billing overhead "
              "--help).\n# Drivers: spend, tokens, requests, even, shares. Charged pools add to "
              "teams' totals;\n# central pools are shown on statements but funded centrally.\n")
    body = yaml.safe_dump({"pools": [pool_to_dict(pool) for pool in pools]}, sort_keys=False,
                          allow_unicode=True)
    return header + body


def upsert_pool(pools: list[Pool], pool: Pool) -> list[Pool]:
    """The pools with `pool` added, or replacing the one of the same name in place."""
    names = [existing.name for existing in pools]
    if pool.name in names:
        return [pool if existing.name == pool.name else existing for existing in pools]
    return [*pools, pool]




def make_pool(
    name: str, amount: str, currency: str, driver: str, treatment: str,
    shares: Mapping[str, str] | None = None, periods: tuple[str, ...] = (),
) -> Pool:
    """A pool from user input, with the same checks as the YAML file."""
    entry: dict[str, Any] = {"name": name, "amount": amount, "currency": currency,
                             "driver": driver, "treatment": treatment,
                             "shares": dict(shares or {}), "periods": list(periods)}
    return _pool(entry, "pool")
