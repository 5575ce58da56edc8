"""The recommendation names a rate-card gap but never asks the team to adjust for it."""

from __future__ import annotations

from decimal import Decimal

from billing.close.recommendation import Facts, recommend


def _facts(**changes) -> Facts:  # noqa: ANN003
    values = dict(usage=Decimal("100"), budget=Decimal("200"), non_production=Decimal(0),
                  worst_pass_rate=None, unpriced_requests=0)
    return Facts(**{**values, **changes})


def test_unpriced_usage_is_a_card_gap_not_the_teams_to_adjust():
    action, rule = recommend(_facts(unpriced_requests=1_823))
    assert action == "approve"
    assert "1,823 requests" in rule and "rate-card gap" in rule and "not this team's" in rule


def test_unpriced_usage_without_a_budget_is_still_approved_and_named():
    action, rule = recommend(_facts(budget=None, unpriced_requests=5))
    assert action == "approve" and rule.startswith("no budget is set") and "5 requests" in rule


def test_a_real_flag_still_decides_when_usage_is_also_unpriced():
    action, rule = recommend(_facts(usage=Decimal("210"), unpriced_requests=5))
    assert action == "adjust" and "over budget" in rule
