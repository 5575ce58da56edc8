"""Property: for any month of usage, overhead pools, budgets and outcomes, every surface shows
each team the amounts of its statement, to the cent; money of two currencies never adds.

Hypothesis generates the month; each example runs on real SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.budgets.budget import Budget, Scope
from billing.budgets.store import set_budget
from billing.close.budget_actuals import budget_variances
from billing.close.lines import period_lines
from billing.close.outcome_report import unit_economics_for_period
from billing.close.showback import showback, showback_grouped
from billing.close.statements import build_statements
from billing.close.trends import team_trends
from billing.exports.focus_data import focus_dataset
from billing.exports.showback_table import showback_rows
from billing.ledger.metering import ingest_lines
from billing.ledger.outcomes import ingest_outcomes
from billing.money import CurrencyMismatch, Money
from billing.policies.in_force import policies_for
from billing.rating.card_registry import publish_shipped, published_versions
from billing.rating.overhead import make_pool
from billing.rating.rate import Cards, rate
from tests_support import REGISTRY, publish_policy, publish_pools, truncate

PERIOD = "2026-10"
ZONE = ZoneInfo("UTC")
MODELS = ["gpt-4o-mini", "gpt-4o", "o3", "claude-sonnet-4", "claude-3-5-haiku",
          "llama-local-unpriced"]  # the last is on no card: unpriced
TEAMS = ["support", "search", "legal-ops"]
USE_CASES = ["copilot", "triage", None]

events = st.lists(st.fixed_dictionaries({
    "team": st.sampled_from(TEAMS), "use_case": st.sampled_from(USE_CASES),
    "customer": st.sampled_from(["acme", "globex", None]),
    "environment": st.sampled_from(["production", "staging"]),
    "model": st.sampled_from(MODELS), "day": st.integers(1, 31),
    "input_tokens": st.integers(0, 3_000_000), "output_tokens": st.integers(0, 900_000),
    "cached_input_tokens": st.integers(0, 500_000), "requests": st.integers(1, 400),
}), min_size=1, max_size=40)
pools = st.lists(st.tuples(
    st.sampled_from(["spend", "tokens", "requests", "even", "shares"]),
    st.integers(0, 2_000_000), st.sampled_from(["charged", "central"])), max_size=3)
budgets = st.dictionaries(st.sampled_from(TEAMS), st.integers(0, 500_000), max_size=3)


def _month(engine, close_settings, usage, pool_specs, budget_cents):  # noqa: ANN001
    truncate(engine)
    lines = [json.dumps({
        "event_id": f"e-{n}", "occurred_at": f"2026-10-{event['day']:02d}T12:00:00Z",
        **{k: v for k, v in event.items() if k != "day" and v is not None}})
        for n, event in enumerate(usage)]
    assert ingest_lines(engine, lines, zone=ZONE, source="property").rejected == 0
    rate(engine, Cards(team=published_versions(engine, "internal"),
                       customer=published_versions(engine, "external")), zone=ZONE)
    made = [make_pool(f"pool-{n}", str(Decimal(cents) / 100), "USD", driver, treatment,
                      shares={"support": "75", "search": "25"} if driver == "shares" else None)
            for n, (driver, cents, treatment) in enumerate(pool_specs)]
    publish_pools(engine, made)
    publish_policy(engine, "parties", REGISTRY)
    for team, cents in budget_cents.items():
        set_budget(engine, Budget(Scope.of(team), PERIOD, Decimal(cents) / 100, "USD"))
    ingest_outcomes(engine, [{"outcome_id": f"o-{n}", "use_case": "copilot", "team": team,
                              "occurred_at": "2026-10-05T00:00:00Z", "accepted": n % 2 == 0}
                             for n, team in enumerate(TEAMS * 3)], zone=ZONE)
    return made


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(usage=events, pool_specs=pools, budget_cents=budgets)
def test_every_surface_agrees_with_the_statement(engine, close_settings, usage, pool_specs,
                                                 budget_cents):
    publish_shipped(engine)
    made = _month(engine, close_settings, usage, pool_specs, budget_cents)
    with engine.connect() as connection:
        statements = {s.team: s for s in build_statements(
            connection, engine, PERIOD, pools=made,
            registry=policies_for(engine, PERIOD).registry,
            generated_at=datetime(2026, 11, 1, tzinfo=UTC))}
    lines = period_lines(engine, PERIOD, pools=made)
    assert set(statements) == set(lines)
    variances = {r.budget.scope.key: r for r in budget_variances(
        engine, PERIOD, pools=made, zone=ZONE) if r.budget.scope.kind == "team"}
    economics = {(e.team, e.use_case): e for e in unit_economics_for_period(
        engine, PERIOD, pools=made)}
    focus: dict[str, Decimal] = defaultdict(Decimal)
    table: dict[str, Decimal] = defaultdict(Decimal)
    priced = [row for row in _focus(engine, close_settings) if row["x_Team"]]
    for row in priced:
        focus[row["x_Team"]] += row["BilledCost"]
    for row in showback_rows(engine, close_settings, PERIOD):
        if row["kind"] != "central_overhead":
            table[row["team"]] += row["amount"]
    for team, statement in statements.items():
        usage_total, total = statement.usage_total, statement.total
        assert total == usage_total + statement.charged_overhead_total
        report = showback(engine, team, PERIOD, pools=made)
        assert (report.usage_total, report.total) == (usage_total, total)
        assert report.charged_overhead == statement.charged_overhead_total
        if usage_total:
            for by in (["day"], ["customer"], ["use_case", "environment"]):
                grouped = showback_grouped(engine, team, PERIOD, group_by=by)
                assert Decimal(grouped["total"]) == usage_total, by
        trend = team_trends(engine, team, PERIOD, 1, pools=made, use_cases={})
        assert (Decimal(trend["total"][0]), Decimal(trend["total_with_overhead"][0])) == (
            usage_total, total)
        assert focus[team] == total and table[team] == total
        if team in budget_cents:
            variance = variances[team]
            assert variance.variance.actual == usage_total
            assert variance.variance.absolute == statement.variance
            assert variance.total_variance.actual == total
        for outcome in statement.outcomes:
            item = economics[(team, outcome.use_case)]
            assert item.cost == outcome.cost
            assert item.cost_per_accepted_outcome == outcome.cost_per_accepted("USD")
    pooled = {pool.name: pool for pool in made}
    allocated = sum((share.amount for s in statements.values() for share in s.overhead
                     if pooled[share.pool].driver != "shares" and share.treatment == "charged"),
                    Decimal(0))
    assert allocated == sum((pool.amount for pool in made if pool.driver != "shares"
                             and pool.treatment == "charged"), Decimal(0))


def _focus(engine, close_settings) -> list[dict]:  # noqa: ANN001
    try:
        return focus_dataset(engine, close_settings, PERIOD).rows
    except LookupError:  # nothing priced: no FOCUS rows
        return []


def test_money_of_two_currencies_never_adds():
    with pytest.raises(CurrencyMismatch, match="JPY"):
        _ = Money(Decimal("10.00"), "USD") + Money(Decimal("1000"), "JPY")
    with pytest.raises(TypeError):
        _ = Money(Decimal("1"), "USD") * 1.5  # type: ignore[operator]
    with pytest.raises(TypeError):
        Money(0.1, "USD")  # type: ignore[arg-type]
    assert Money(Decimal("1.005"), "USD").rounded() == Money(Decimal("1.01"), "USD")


def test_a_pool_in_another_currency_than_the_card_is_refused(month, close_settings):
    rate(month, Cards(team=published_versions(month, "internal"),
                      customer=published_versions(month, "external")), zone=ZONE)
    jpy = make_pool("gpu", "1000", "JPY", "even", "charged")
    with pytest.raises(CurrencyMismatch, match="billing fx set JPY USD"):
        period_lines(month, PERIOD, pools=[jpy])
    eur = replace(jpy, currency="EUR")
    with pytest.raises(CurrencyMismatch, match="EUR"):
        period_lines(month, PERIOD, pools=[eur])
