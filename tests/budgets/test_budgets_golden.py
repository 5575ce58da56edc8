"""Golden budgets: a team at 79%, 80% and 101% of its budget, a hard cap that blocks, variance
and the run-rate projection, all worked out by hand.

Card `budgeted`: m-cheap costs 1.00 USD per million tokens, so N million tokens cost N.00.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from budget_support import event
from sqlalchemy import delete, select

from billing.budgets import budget as budgets
from billing.budgets.alerts import list_alerts
from billing.budgets.budget import Budget, Scope
from billing.budgets.store import (
    budget_report,
    budget_reports,
    gateway_status,
    get_budget,
    set_budget,
)
from billing.models import RatedLine, SpendTotal
from billing.period import Period

UTC = ZoneInfo("UTC")
NOV = "2026-11"


def _budget(team: str, amount: str, *, hard_cap: bool = False, use_case: str | None = None,
            customer: str | None = None) -> Budget:
    return Budget(Scope.of(team, use_case, customer), NOV, Decimal(amount), "USD",
                  hard_cap=hard_cap)


def _thresholds(engine, team: str) -> list[str]:  # noqa: ANN001
    return sorted((a["details"]["threshold"] for a in list_alerts(engine, team=team)
                   if a["kind"] == "threshold"), key=int)


def test_79_80_and_101_percent_of_a_soft_budget(engine, usage):
    set_budget(engine, _budget("support", "100.00"))
    usage([event("a1", "2026-11-03", input_tokens=79_000_000, team="support", use_case="chat")])
    status = gateway_status(engine, "support", NOV)
    assert (status.decision, status.team_status.spent) == ("allow", Decimal("79.00"))
    assert status.to_dict()["remaining"] == "21.00"
    assert status.to_dict()["percent_used"] == "79.00"
    assert _thresholds(engine, "support") == ["50"]

    usage([event("a2", "2026-11-04", input_tokens=1_000_000, team="support", use_case="chat")])
    status = gateway_status(engine, "support", NOV).to_dict()
    assert (status["decision"], status["spent"], status["remaining"]) == ("warn", "80.00",
                                                                          "20.00")
    assert _thresholds(engine, "support") == ["50", "80"]

    usage([event("a3", "2026-11-05", input_tokens=21_000_000, team="support", use_case="chat")])
    status = gateway_status(engine, "support", NOV).to_dict()
    # a soft budget over 100% still only warns; it never blocks
    assert (status["decision"], status["spent"], status["remaining"]) == ("warn", "101.00",
                                                                          "-1.00")
    assert status["percent_used"] == "101.00"
    assert status["checks"][0]["thresholds_crossed"] == ["50", "80", "100"]
    assert _thresholds(engine, "support") == ["50", "80", "100"]
    assert not [a for a in list_alerts(engine) if a["kind"] == "hard_cap"]


def test_a_hard_cap_blocks_once_spend_reaches_it(engine, usage):
    set_budget(engine, _budget("search", "50.00", hard_cap=True))
    usage([event("s1", "2026-11-02", input_tokens=49_000_000, team="search", use_case="rank")])
    assert gateway_status(engine, "search", NOV).decision == "warn"
    usage([event("s2", "2026-11-03", input_tokens=1_000_000, team="search", use_case="rank")])
    status = gateway_status(engine, "search", NOV)
    assert status.decision == "block"
    assert status.to_dict()["remaining"] == "0.00"
    caps = [a for a in list_alerts(engine) if a["kind"] == "hard_cap"]
    assert len(caps) == 1 and caps[0]["severity"] == "critical"
    assert "block" in caps[0]["message"]


def test_the_strictest_of_team_use_case_and_customer_budget_decides(engine, usage):
    set_budget(engine, _budget("support", "1000.00"))
    set_budget(engine, _budget("support", "10.00", hard_cap=True, use_case="chat"))
    set_budget(engine, _budget("support", "100.00", customer="acme"))
    usage([event("u1", "2026-11-02", input_tokens=10_000_000, team="support", use_case="chat",
                 customer="acme"),
           event("u2", "2026-11-02", input_tokens=5_000_000, team="support", use_case="mail")])
    assert gateway_status(engine, "support", NOV).decision == "allow"
    both = gateway_status(engine, "support", NOV, use_case="chat", customer="acme")
    assert both.decision == "block"
    assert [(c.budget.scope.kind, c.decision, c.spent) for c in both.checks] == [
        ("team", "allow", Decimal("15.00")), ("use_case", "block", Decimal("10.00")),
        ("customer", "allow", Decimal("10.00"))]
    assert gateway_status(engine, "support", NOV, use_case="mail").decision == "allow"


def test_no_budget_allows_and_still_reports_spend(engine, usage):
    usage([event("n1", "2026-11-02", input_tokens=3_000_000, team="ops")])
    status = gateway_status(engine, "ops", NOV).to_dict()
    assert (status["decision"], status["spent"], status["budget"]) == ("allow", "3.00", None)
    assert gateway_status(engine, "nobody", NOV).to_dict()["spent"] == "0"


def test_status_reads_the_running_total_not_the_ledger(engine, usage):
    """Emptying the rated ledger does not change the answer: status never scans it."""
    set_budget(engine, _budget("support", "100.00"))
    usage([event("r1", "2026-11-03", input_tokens=85_000_000, team="support")])
    with engine.begin() as connection:
        connection.execute(delete(RatedLine.__table__))
    assert gateway_status(engine, "support", NOV).to_dict()["spent"] == "85.00"


def test_a_threshold_crossed_twice_alerts_once(engine, usage):
    set_budget(engine, _budget("support", "100.00"))
    usage([event("t1", "2026-11-03", input_tokens=60_000_000, team="support")])
    usage([event("t2", "2026-11-04", input_tokens=1_000_000, team="support")])
    usage([], rerate_period=NOV)   # the totals are rebuilt and the thresholds evaluated again
    set_budget(engine, _budget("support", "100.00"))   # and again on re-setting the budget
    assert _thresholds(engine, "support") == ["50"]
    assert len(list_alerts(engine)) == 1


def test_rerate_rebuilds_the_running_totals(engine, usage):
    usage([event("x1", "2026-11-03", input_tokens=2_000_000, team="a", use_case="u",
                 customer="c"),
           event("x2", "2026-10-03", input_tokens=5_000_000, team="a", use_case="u")])
    table = SpendTotal.__table__

    def totals() -> set:
        with engine.connect() as connection:
            return {(r.period, r.scope_kind, r.scope_key, r.amount, r.requests, r.tokens)
                    for r in connection.execute(select(table))}

    before = totals()
    assert before == {
        ("2026-11", "team", "a", Decimal("2.00"), 1, 2_000_000),
        ("2026-11", "use_case", "a/u", Decimal("2.00"), 1, 2_000_000),
        ("2026-11", "customer", "c", Decimal("2.00"), 1, 2_000_000),
        ("2026-10", "team", "a", Decimal("5.00"), 1, 5_000_000),
        ("2026-10", "use_case", "a/u", Decimal("5.00"), 1, 5_000_000),
    }
    usage([], rerate_period=NOV)
    assert totals() == before


def test_unpriced_usage_raises_one_alert(engine, usage):
    usage([event("p1", "2026-11-03", model="mystery", team="a")])
    usage([event("p2", "2026-11-04", model="mystery", team="a")])
    unpriced = list_alerts(engine, kind="unpriced")
    assert len(unpriced) == 1 and "mystery" in unpriced[0]["message"]
    assert gateway_status(engine, "a", NOV).to_dict()["spent"] == "0"


def test_variance_and_run_rate_by_hand(engine, usage):
    set_budget(engine, _budget("support", "100.00"))
    usage([event("v1", "2026-11-05", input_tokens=40_000_000, team="support")])
    # 2026-11-11T00:00Z: 10 of November's 30 days have passed -> 40.00 / (1/3) = 120.00
    now = datetime(2026, 11, 11, tzinfo=UTC)
    [report] = budget_reports(engine, NOV, zone=UTC, now=now)
    assert report.variance.to_dict() == {"actual": "40.00", "budget": "100.00",
                                         "standing": "under budget",
                                         "words": "60.00 under budget",
                                         "absolute": "-60.00", "percent": "-60.00"}
    assert report.projection.projected == Decimal("120.00")
    assert report.projection.variance.to_dict()["absolute"] == "20.00"
    assert report.projection.variance.to_dict()["percent"] == "20.00"
    after = budget_reports(engine, NOV, zone=UTC, now=datetime(2026, 12, 2, tzinfo=UTC))[0]
    assert after.projection.projected == Decimal("40.00")   # a closed month projects itself
    assert budget_report(engine, "support", NOV, zone=UTC, now=now) == report
    assert budget_report(engine, "support", NOV, zone=UTC, use_case="x") is None
    assert get_budget(engine, "support", NOV).amount == Decimal("100.00")
    assert get_budget(engine, "support", "2026-12") is None


@pytest.mark.parametrize(("spent", "expected"), [
    ("79.99", "allow"), ("80.00", "warn"), ("99.99", "warn"), ("100.00", "warn")])
def test_status_boundaries_are_exact(spent, expected):
    budget = Budget(Scope.of("t"), NOV, Decimal("100.00"), "USD")
    assert budgets.status(budget, Decimal(spent)).decision == expected
    capped = Budget(Scope.of("t"), NOV, Decimal("100.00"), "USD", hard_cap=True)
    assert budgets.status(capped, Decimal("100.00")).decision == "block"
    assert budgets.status(capped, Decimal("99.99")).decision == "warn"


def test_run_rate_before_the_month_and_zero_budget():
    assert budgets.run_rate(Decimal(5), NOV, datetime(2026, 10, 30, tzinfo=UTC),
                            UTC).projected is None
    assert budgets.variance(Decimal(5), Decimal(0)).percent is None
    assert Period(2026, 2).elapsed_fraction(datetime(2026, 2, 15, tzinfo=UTC), UTC) == \
        Decimal(14) / Decimal(28)


def test_budgets_from_yaml_say_what_is_wrong():
    parsed = budgets.load_budgets("""
budgets:
  - {team: support, period: "2026-11", amount: "5000.00", hard_cap: true}
  - {team: support, use_case: chat, period: "2026-11", amount: "100", thresholds: [25, 75]}
""", "b.yaml", {"team": "USD", "use_case": "USD", "customer": "EUR"})
    assert parsed[0].hard_cap and parsed[0].currency == "USD"
    assert parsed[1].scope.key == "support/chat"
    assert parsed[1].thresholds == (Decimal(25), Decimal(75))
    with pytest.raises(budgets.BudgetError, match="budget 1: amount"):
        budgets.load_budgets("budgets:\n  - {team: a, period: '2026-11', amount: 5.5}\n",
                             "b.yaml", {"team": "USD"})
    with pytest.raises(budgets.BudgetError, match="period"):
        budgets.load_budgets("budgets:\n  - {team: a, period: '2026-13', amount: '5'}\n",
                             "b.yaml", {"team": "USD"})


def test_unpriced_usage_of_many_teams_names_no_team_and_says_provider_and_card(engine, usage):
    usage([event("m1", "2026-11-03", model="mystery", team="a", provider="openai"),
           event("m2", "2026-11-03", model="mystery", team="b", provider="openai"),
           event("m3", "2026-11-04", model="mystery", team="a", provider="openai")])
    [alert] = [a for a in list_alerts(engine, kind="unpriced") if a["details"]["view"] ==
               "showback"]
    assert alert["team"] is None and alert["details"]["teams"] == ["a", "b"]
    assert alert["dedupe_key"] == "unpriced:2026-11:showback:openai:mystery"
    assert alert["message"].startswith(
        "3 requests of model mystery (provider openai) in 2026-11 are unpriced in the "
        "showback view: ")
    assert "Add the model to card " in alert["message"]
    assert "re-rate the period" in alert["message"]


def test_unpriced_usage_of_one_team_is_that_teams_alert(engine, usage):
    usage([event("o1", "2026-11-03", model="mystery", team="a")])
    showback = [a for a in list_alerts(engine, kind="unpriced")
                if a["details"]["view"] == "showback"]
    assert [a["team"] for a in showback] == ["a"]
