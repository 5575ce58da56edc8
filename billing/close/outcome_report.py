"""Cost per accepted outcome of a period, with one definition everywhere.

Cost per accepted outcome = (the use case's usage on its team's statement, the sum of its
rounded lines, + its share of the team's charged overhead, split from the team's share of each
pool by that pool's own driver) / the accepted outcomes of that team's use case. The statement,
`billing outcomes report`, the API and the dashboard all call `team_economics` on the same
document lines (`billing.close.lines`), so they print the same figure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from billing.close.lines import TeamLines, period_lines, use_case_overhead
from billing.close.unit_economics import UnitEconomics
from billing.ledger.outcomes import outcome_counts
from billing.rating.overhead import Pool
from billing.use_cases import UseCase

Counts = Mapping[str, tuple[int, int]]


def team_economics(lines: TeamLines, counts: Counts, *, with_outcomes_only: bool = False
                   ) -> list[UnitEconomics]:
    """Pure: the unit economics of each of a team's use cases from its lines and its
    (all, accepted) outcome counts per use case. Unattributed usage is no use case: it keeps
    its share of overhead and has no outcomes."""
    spend = lines.by("use_case")
    requests: dict[str | None, int] = defaultdict(int)
    for line in lines.lines:
        requests[line.use_case] += line.requests
    overhead = use_case_overhead(lines)
    names = set(counts) if with_outcomes_only else {*counts, *(u for u in spend if u)}
    return [UnitEconomics(lines.team, name, lines.period, lines.currency,
                          spend.get(name, Decimal(0)), overhead.get(name, Decimal(0)),
                          requests.get(name, 0), *counts.get(name, (0, 0)))
            for name in sorted(names)]


def resolve_teams(found: Mapping[tuple[str | None, str], list[int]],
                  declared: Mapping[str, UseCase], lines: Mapping[str, TeamLines]
                  ) -> dict[str | None, dict[str, tuple[int, int]]]:
    """Outcome counts by the team whose use case they measure: the row's own team, else the
    team that declares the use case, else the one team with usage of it (None if unclear)."""
    users: dict[str, set[str]] = defaultdict(set)
    for team, team_lines in lines.items():
        for line in team_lines.lines:
            if line.use_case:
                users[line.use_case].add(team)
    result: dict[str | None, dict[str, list[int]]] = defaultdict(lambda: defaultdict(
        lambda: [0, 0]))
    for (team, use_case), (count, accepted) in found.items():
        if not team and use_case in declared and declared[use_case].team:
            team = declared[use_case].team
        if not team:
            candidates = users.get(use_case, set())
            team = next(iter(candidates)) if len(candidates) == 1 else None
        result[team][use_case][0] += count
        result[team][use_case][1] += accepted
    return {team: {name: (pair[0], pair[1]) for name, pair in by_use_case.items()}
            for team, by_use_case in result.items()}


def unit_economics_for_period(
    engine: Engine, period: str, *, pools: list[Pool] | None = None,
    use_cases: Mapping[str, UseCase] | None = None, team: str | None = None,
    now: datetime | None = None, zone: ZoneInfo | None = None,
    lines: Mapping[str, TeamLines] | None = None,
) -> list[UnitEconomics]:
    """Cost per accepted outcome, pass rate and cost per outcome of every use case in a period
    (or a team's), from the period's document lines."""
    if lines is None:
        lines = period_lines(engine, period, pools=pools, now=now, zone=zone)
    counts = resolve_teams(outcome_counts(engine, period), use_cases or {}, lines)
    report: list[UnitEconomics] = []
    for name in sorted(lines):
        if team is None or name == team:
            report.extend(team_economics(lines[name], counts.get(name, {})))
    for name, by_use_case in sorted(counts.items(), key=lambda item: item[0] or ""):
        if name in lines or (team is not None and name != team):
            continue
        currency = next(iter(lines.values())).currency if lines else "USD"
        report.extend(UnitEconomics(name, use_case, period, currency, Decimal(0), Decimal(0),
                                    0, count, accepted)
                      for use_case, (count, accepted) in sorted(by_use_case.items()))
    return report
