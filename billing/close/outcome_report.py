"""Cost per accepted outcome of a period: each use case's spend plus its share of its team's
charged overhead, over its accepted outcomes (the figures `billing.close.unit_economics` divides).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal

from sqlalchemy import Engine, select

from billing.close.showback import overhead_shares, team_drivers
from billing.close.unit_economics import UnitEconomics
from billing.ledger.outcomes import outcome_counts
from billing.models import SpendTotal
from billing.money import split_largest_remainder
from billing.rating.overhead import Pool
from billing.use_cases import UseCase

totals = SpendTotal.__table__


def _use_case_spend(engine: Engine, period: str) -> dict[str, tuple[str, Decimal, int]]:
    """'team/use case' -> (currency, spend, requests), from the running totals."""
    query = select(totals.c.scope_key, totals.c.currency, totals.c.amount,
                   totals.c.requests).where(totals.c.period == period,
                                            totals.c.scope_kind == "use_case")
    with engine.connect() as connection:
        return {row.scope_key: (row.currency, row.amount, row.requests)
                for row in connection.execute(query)}


def _team_for(team: str | None, use_case: str, declared: Mapping[str, UseCase],
              spend_keys: Iterable[str]) -> str | None:
    if team:
        return team
    if use_case in declared and declared[use_case].team:
        return declared[use_case].team
    teams = {key.split("/", 1)[0] for key in spend_keys if key.split("/", 1)[1] == use_case}
    return teams.pop() if len(teams) == 1 else None


def use_case_overhead(team_overhead: Decimal, team_spend: Decimal,
                      use_case_spend: Mapping[str, Decimal], currency: str) -> dict[str, Decimal]:
    """Pure: a team's charged overhead split over its use cases by spend (largest remainder);
    the team's spend with no use case keeps its own share, so use cases do not absorb it."""
    weights: dict[str, Decimal | int] = dict(use_case_spend)
    rest = team_spend - sum(use_case_spend.values(), Decimal(0))
    if rest > 0:
        weights["\x00unattributed"] = rest
    parts = split_largest_remainder(team_overhead, weights, currency)
    return {key: value for key, value in parts.items() if key in use_case_spend}


def unit_economics_for_period(
    engine: Engine, period: str, *, pools: list[Pool] | None = None,
    use_cases: Mapping[str, UseCase] | None = None, team: str | None = None,
    currency: str = "USD",
) -> list[UnitEconomics]:
    """Cost per accepted outcome, pass rate and cost per outcome of every use case in a period
    (or a team's): rated spend plus the use case's share of its team's charged overhead."""
    declared = use_cases or {}
    spend = _use_case_spend(engine, period)
    outcomes: dict[tuple[str | None, str], list[int]] = defaultdict(lambda: [0, 0])
    for (who, use_case), (count, accepted) in outcome_counts(engine, period).items():
        key = (_team_for(who, use_case, declared, spend), use_case)
        outcomes[key][0] += count
        outcomes[key][1] += accepted
    keys = {(key.split("/", 1)[0], key.split("/", 1)[1]) for key in spend} | set(outcomes)
    if team:
        keys = {key for key in keys if key[0] == team}
    overhead = _overheads(engine, period, pools or [], spend, {key[0] for key in keys})
    report = []
    for who, use_case in sorted(keys, key=lambda key: (key[0] or "", key[1])):
        scope_key = f"{who or ''}/{use_case}"
        line_currency, amount, requests = spend.get(scope_key, (currency, Decimal(0), 0))
        count, accepted = outcomes.get((who, use_case), (0, 0))
        report.append(UnitEconomics(who, use_case, period, line_currency, amount,
                                    overhead.get(scope_key, Decimal(0)), requests, count,
                                    accepted))
    return report


def _overheads(engine: Engine, period: str, pools: list[Pool],
               spend: Mapping[str, tuple[str, Decimal, int]],
               teams: set[str | None]) -> dict[str, Decimal]:
    charged = [pool for pool in pools if pool.treatment == "charged" and pool.applies_to(period)]
    if not charged:
        return {}
    drivers = team_drivers(engine, period)
    shares = overhead_shares(charged, drivers, period)
    result: dict[str, Decimal] = {}
    for team in teams:
        if team is None or team not in shares:
            continue
        team_overhead = sum((share.amount for share in shares[team]), Decimal(0))
        mine = {key: value[1] for key, value in spend.items() if key.split("/", 1)[0] == team}
        currency = next(iter(spend.values()))[0] if spend else charged[0].currency
        result.update(use_case_overhead(team_overhead, drivers[team].spend, mine, currency))
    return result
