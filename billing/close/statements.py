"""Showback statements: each team's period, as the plain data `invoices` renders.

Read from the rated ledger (aggregated lines, never raw events), the overhead pools, the
team's budget and its use cases' outcomes. Amounts are rounded once, at the statement line;
the statement's total is the sum of those lines and its charged overhead shares.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, case, func, select

from billing.close.recommendation import Facts, recommend
from billing.close.showback import overhead_shares, team_drivers
from billing.models import BudgetEntry, Outcome, RatedLine
from billing.money import round_line, split_largest_remainder
from billing.parties import Registry
from billing.period import Period
from billing.rating.overhead import Pool
from invoices.documents import (
    OutcomeSummary,
    Party,
    Recommendation,
    ShowbackStatement,
    StatementLine,
)

rated = RatedLine.__table__
budgets = BudgetEntry.__table__
outcomes = Outcome.__table__
COUNTS = ("requests", "input_tokens", "output_tokens", "cached_input_tokens",
          "cache_write_input_tokens")


@dataclass
class TeamUsage:
    """A team's rated lines of one period, grouped for the statement."""

    currency: str = "USD"
    groups: dict[tuple, dict[str, Any]] | None = None
    versions: set[str] | None = None
    models: set[str] | None = None
    tokens: int = 0
    amount: Decimal = Decimal(0)
    unpriced_requests: int = 0


def team_usage(connection: Connection, period: str) -> dict[str, TeamUsage]:
    """Every team's showback lines of a period, summed by the database first."""
    keys = (rated.c.team, rated.c.use_case, rated.c.model, rated.c.tier, rated.c.environment,
            rated.c.adjusts_period, rated.c.card, rated.c.card_version, rated.c.currency)
    query = (
        select(*keys, rated.c.amount, *[rated.c[name] for name in COUNTS])
        .where(rated.c.view == "showback", rated.c.period == period,
               rated.c.team.is_not(None))
    )
    usage: dict[str, TeamUsage] = {}
    for row in connection.execute(query):
        team = usage.setdefault(row.team, TeamUsage(groups={}, versions=set(), models=set()))
        if row.amount is None:
            team.unpriced_requests += row.requests
            continue
        team.currency = row.currency
        use_case = row.use_case
        if row.adjusts_period:
            use_case = f"{use_case or 'unattributed'} (prior period {row.adjusts_period})"
        group = team.groups.setdefault((use_case or "", row.model, row.tier or "",
                                        row.environment),
                                       {"amount": Decimal(0), **dict.fromkeys(COUNTS, 0)})
        group["amount"] += row.amount
        for name in COUNTS:
            group[name] += getattr(row, name)
        team.versions.add(f"{row.card}@{row.card_version}")
        team.models.add(row.model)
        team.tokens += (row.input_tokens + row.output_tokens + row.cached_input_tokens
                        + row.cache_write_input_tokens)
        team.amount += row.amount
    return usage


def _budgets(connection: Connection, period: str) -> dict[str, Decimal]:
    query = select(budgets.c.team, budgets.c.amount).where(
        budgets.c.period == period, budgets.c.scope_kind == "team")
    return {team: amount for team, amount in connection.execute(query)}


def _outcomes(connection: Connection, period: str) -> dict[str, tuple[int, int]]:
    """(accepted, all) outcomes per use case of a period."""
    accepted = func.sum(case((outcomes.c.accepted, 1), else_=0))
    query = (select(outcomes.c.use_case, accepted, func.count())
             .where(outcomes.c.period == period).group_by(outcomes.c.use_case))
    return {use_case: (int(ok or 0), int(total)) for use_case, ok, total
            in connection.execute(query)}


def _effects(now: TeamUsage, before: TeamUsage | None, currency: str
             ) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """(last month's usage, volume effect, unit-cost effect) of the change in usage spend."""
    if before is None or before.tokens == 0:
        return None, None, None
    unit_before = before.amount / before.tokens
    volume = round_line((now.tokens - before.tokens) * unit_before, currency)
    price = round_line(now.amount - now.tokens * unit_before, currency)
    return round_line(before.amount, currency), volume, price


def _outcome_summaries(
    team_groups: dict[tuple, dict[str, Any]], counts: dict[str, tuple[int, int]],
    charged_overhead: Decimal, currency: str,
) -> list[OutcomeSummary]:
    """Outcomes per use case, with the cost they carry: rated spend plus a spend-weighted
    share of the team's charged overhead (split exactly by largest remainder)."""
    spend: dict[str, Decimal] = defaultdict(Decimal)
    for (use_case, *_), group in team_groups.items():
        if use_case in counts:
            spend[use_case] += group["amount"]
    if not spend:
        return []
    rounded = {use_case: round_line(amount, currency) for use_case, amount in spend.items()}
    overhead = split_largest_remainder(charged_overhead, rounded, currency)
    return [OutcomeSummary(use_case, counts[use_case][0], counts[use_case][1],
                           rounded[use_case] + overhead[use_case])
            for use_case in sorted(spend)]


def build_statements(
    connection: Connection, engine: Any, period: str, *, pools: list[Pool], registry: Registry,
    generated_at: datetime, closed_totals: dict[str, Decimal] | None = None,
) -> list[ShowbackStatement]:
    """One statement per team with rated usage in the period."""
    usage = team_usage(connection, period)
    before = team_usage(connection, str(Period.parse(period).previous()))
    budget_by_team = _budgets(connection, period)
    outcome_counts = _outcomes(connection, period)
    shares = overhead_shares(pools, team_drivers(engine, period), period) if pools else {}
    issuer = registry.issuer
    issuer_party = Party(issuer.name, issuer.address, issuer.email, issuer.tax_id,
                         issuer.locale)
    statements = []
    for team in sorted(usage):
        data = usage[team]
        currency = data.currency
        lines = [
            StatementLine(use_case=key[0] or None, model=key[1], tier=key[2] or None,
                          environment=key[3], requests=group["requests"],
                          input_tokens=group["input_tokens"],
                          output_tokens=group["output_tokens"],
                          cached_input_tokens=group["cached_input_tokens"],
                          amount=round_line(group["amount"], currency))
            for key, group in sorted(data.groups.items())
        ]
        overhead = shares.get(team, [])
        charged = sum((s.amount for s in overhead if s.treatment == "charged"), Decimal(0))
        summaries = _outcome_summaries(data.groups, outcome_counts, charged, currency)
        last_usage, volume, price = _effects(data, before.get(team), currency)
        last_total = (closed_totals or {}).get(team, last_usage)
        budget = budget_by_team.get(team)
        budget = round_line(budget, currency) if budget is not None else None
        total = sum((line.amount for line in lines), Decimal(0)) + charged
        non_production = sum((line.amount for line in lines
                              if line.environment != "production"), Decimal(0))
        rates = [(s.use_case, s.pass_rate) for s in summaries if s.pass_rate is not None]
        action, rule = recommend(Facts(
            usage=total - charged, budget=budget, non_production=non_production,
            worst_pass_rate=min(rates, key=lambda item: item[1]) if rates else None,
            unpriced_requests=data.unpriced_requests,
        ))
        previous = before.get(team)
        if previous:
            changes = [f"new card version {version} in force"
                       for version in sorted(data.versions - previous.versions)]
            changes += [f"new model {model}" for model in sorted(data.models - previous.models)]
        else:
            changes = ["first period with rated usage for this team"]
        if data.unpriced_requests:
            changes.append(f"{data.unpriced_requests:,} requests on unpriced models "
                           "(not in the total)")
        statements.append(ShowbackStatement(
            statement_number=f"ST-{period}-{team}", team=team, period=period,
            issuer=issuer_party, locale=registry.team(team).locale, currency=currency,
            generated_at=generated_at, card_versions=sorted(data.versions), lines=lines,
            overhead=overhead, outcomes=summaries, changes=changes, budget=budget,
            last_month_total=last_total, volume_effect=volume if last_total is not None
            else None, price_effect=price if last_total is not None else None,
            recommendation=Recommendation(action, rule),
        ))
    return statements
