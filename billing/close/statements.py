"""Showback statements: each team's period, as the plain data `invoices` renders.

Built from the team's document lines (`billing.close.lines`, the same every other surface
reads), the team's budget and its use cases' cost per accepted outcome
(`billing.close.outcome_report`). The statement's total is the sum of its rounded lines and its
charged overhead shares.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from billing.close.lines import TeamLines, UsageLine, period_lines, with_contract
from billing.close.outcome_report import resolve_teams, team_economics
from billing.close.policy_notes import (
    ownership,
    production_environments,
    unclassified,
    use_case_notes,
)
from billing.close.recommendation import Facts, recommend
from billing.close.slo_report import statement_levels
from billing.close.statement_review import promoted_changes, team_reviews
from billing.close.unit_economics import UnitEconomics
from billing.ledger.outcomes import outcome_counts
from billing.models import BudgetEntry
from billing.money import round_line
from billing.parties import Registry
from billing.period import Period
from billing.policies.in_force import document_versions
from billing.rating.overhead import Pool
from billing.use_cases import UseCase
from invoices.documents import (
    OutcomeSummary,
    OverheadShare,
    Recommendation,
    ShowbackStatement,
    StatementLine,
)
from invoices.labels import Labels, labels
from invoices.plurals import counted

STATEMENT_POLICIES = ("attribution", "overhead", "parties", "use_cases")

budgets = BudgetEntry.__table__




def _budgets(connection: Connection, period: str) -> dict[str, Decimal]:
    query = select(budgets.c.team, budgets.c.amount).where(
        budgets.c.period == period, budgets.c.scope_kind == "team")
    return {team: amount for team, amount in connection.execute(query)}


def _effects(now: TeamLines, before: TeamLines | None, currency: str
             ) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """(last month's usage, volume effect, unit-cost effect) of the change in usage spend."""
    before_tokens = sum(line.tokens for line in before.lines) if before else 0
    if before is None or before_tokens == 0:
        return None, None, None
    now_tokens = sum(line.tokens for line in now.lines)
    unit_before = before.exact_usage / before_tokens
    volume = round_line((now_tokens - before_tokens) * unit_before, currency)
    price = round_line(now.exact_usage - now_tokens * unit_before, currency)
    return before.usage_total, volume, price


def _label(line: UsageLine, words: Labels) -> str | None:
    if line.adjusts_period:
        return words.prior_period_use_case.format(use_case=line.use_case or words.unattributed,
                                                  period=line.adjusts_period)
    return line.use_case


def _statement_lines(lines: TeamLines, words: Labels) -> list[StatementLine]:
    items = [StatementLine(use_case=_label(line, words), model=line.model, tier=line.tier,
                           environment=line.environment, requests=line.requests,
                           input_tokens=line.input_tokens, output_tokens=line.output_tokens,
                           cached_input_tokens=line.cached_input_tokens, amount=line.amount)
             for line in lines.lines]
    return sorted(items, key=lambda item: (item.use_case or "", item.model, item.tier or "",
                                           item.environment))


def _summaries(economics: list[UnitEconomics]) -> list[OutcomeSummary]:
    return [OutcomeSummary(item.use_case, item.accepted, item.outcomes, item.cost,
                           item.cost_per_accepted_outcome) for item in economics]


def _shares(lines: TeamLines, locale: str) -> list[OverheadShare]:
    return [OverheadShare(share.pool, share.driver, share.treatment, share.amount,
                          share.explanation(locale), share.fx_rate, share.source_amount,
                          share.source_currency) for share in lines.overhead]


def _changes(data: TeamLines, previous: TeamLines | None, versions: set[str],
             locale: str) -> list[str]:
    """What changed since last month, in the statement's language."""
    words = labels(locale)
    if previous:
        changes = [words.change_card.format(version=version) for version in sorted(
            versions - {v for line in previous.lines for v in line.card_versions})]
        changes += [words.change_model.format(model=model) for model in sorted(
            {line.model for line in data.lines} - {line.model for line in previous.lines})]
    else:
        changes = [words.change_first]
    return changes


def _contract(connection: Connection, data: TeamLines, locale: str) -> dict[str, Any]:
    """The team's contract lines and rule notes in the statement's language."""
    worded = with_contract(connection, data, locale) if data.contract else data
    return {"contract": worded.contract, "contract_notes": worded.contract_notes}


def build_statements(
    connection: Connection, engine: Any, period: str, *, pools: list[Pool], registry: Registry,
    generated_at: datetime, closed_totals: dict[str, Decimal] | None = None,
    use_cases: Mapping[str, UseCase] | None = None,
    policy_versions: dict[str, str] | None = None, zone: ZoneInfo | None = None,
) -> list[ShowbackStatement]:
    """One statement per team with rated usage in the period, from its document lines.

    `policy_versions` (kind -> ref, as `policies_for` gives) is recorded on each statement,
    with the attribution versions its own lines were rated with."""
    usage = period_lines(connection, period, pools=pools)
    before = period_lines(connection, str(Period.parse(period).previous()))
    budget_by_team = _budgets(connection, period)
    counts = resolve_teams(outcome_counts(engine, period), use_cases or {}, usage)
    zone = zone or ZoneInfo("UTC")
    reviews = team_reviews(engine, period, pools=pools, use_cases=use_cases or {}, zone=zone,
                           now=generated_at)
    issuer = registry.issuer
    issuer_party = issuer.party
    statements = []
    for team in sorted(usage):
        data = usage[team]
        currency = data.currency
        lines = _statement_lines(data, labels(registry.team(team).locale))
        summaries = _summaries(team_economics(data, counts.get(team, {}),
                                              with_outcomes_only=True))
        last_usage, volume, price = _effects(data, before.get(team), currency)
        last_total = (closed_totals or {}).get(team, last_usage)
        budget = budget_by_team.get(team)
        budget = round_line(budget, currency) if budget is not None else None
        environments = {line.environment for line in data.lines}
        production = production_environments(registry.environments, environments)
        non_production = sum((line.amount for line in data.lines
                              if line.environment not in production), Decimal(0))
        rates = [(s.use_case, s.pass_rate) for s in summaries if s.pass_rate is not None]
        locale = registry.team(team).locale
        action, rule = recommend(Facts(
            usage=data.usage_total, budget=budget, non_production=non_production,
            worst_pass_rate=min(rates, key=lambda item: item[1]) if rates else None,
            unpriced_requests=data.unpriced_requests,
        ), locale)
        versions = {v for line in data.lines for v in line.card_versions}
        changes = _changes(data, before.get(team), versions, locale)
        changes += unclassified(registry, environments, locale)
        if data.unpriced_requests:
            changes.append(labels(locale).change_unpriced.format(
                requests=counted("request", data.unpriced_requests, locale)))
        statements.append(ShowbackStatement(
            statement_number=f"ST-{period}-{team}", team=team, period=period,
            issuer=issuer_party, locale=locale, currency=currency,
            generated_at=generated_at, card_versions=sorted(versions), lines=lines,
            policy_versions=document_versions(
                policy_versions or {}, STATEMENT_POLICIES,
                tuple({v for line in data.lines for v in line.rules_versions})),
            overhead=_shares(data, locale), outcomes=summaries, changes=changes, budget=budget,
            last_month_total=last_total, volume_effect=volume if last_total is not None
            else None, price_effect=price if last_total is not None else None,
            recommendation=Recommendation(action, rule),
            owner=registry.team(team).accountable, ownership=ownership(registry.team(team).raci),
            use_cases=use_case_notes((line.use_case for line in data.lines), use_cases or {}),
            production_environments=production,
            **_contract(connection, data, locale),
            kpis=reviews.get(team, ()), promoted_changes=promoted_changes(
                engine, period, (line.use_case for line in data.lines), zone=zone),
            service_levels=tuple(statement_levels(connection, period, team)),
        ))
    return statements
