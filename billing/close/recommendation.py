"""The closing recommendation on a showback statement: approve, adjust or stop, and why.

Rules are checked in order and the first that matches decides, so the statement can print the
rule itself: a budget holder sees not only the verdict but the reason for it. Usage no card
prices is a gap in the rate card, not the team's doing: it is named, never a reason to adjust.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

STOP_OVER_BUDGET = Decimal("0.20")
LOW_PASS_RATE = Decimal("0.50")
NON_PRODUCTION_SHARE = Decimal("0.30")


@dataclass(frozen=True)
class Facts:
    usage: Decimal
    budget: Decimal | None
    non_production: Decimal
    worst_pass_rate: tuple[str, Decimal] | None
    unpriced_requests: int


def recommend(facts: Facts) -> tuple[str, str]:
    """(action, rule) for a team's period."""
    if facts.budget is not None and facts.budget > 0:
        over = (facts.usage - facts.budget) / facts.budget
        if over > STOP_OVER_BUDGET:
            return "stop", (f"usage is {over:.0%} over budget (more than "
                            f"{STOP_OVER_BUDGET:.0%}): stop or re-approve before next month")
        if over > 0:
            return "adjust", f"usage is {over:.1%} over budget: raise the budget or cut usage"
    if facts.worst_pass_rate and facts.worst_pass_rate[1] < LOW_PASS_RATE:
        use_case, rate = facts.worst_pass_rate
        return "adjust", (f"use case {use_case} accepts only {rate:.0%} of its outcomes "
                          f"(under {LOW_PASS_RATE:.0%}): review its model and prompt")
    if facts.usage > 0 and facts.non_production / facts.usage > NON_PRODUCTION_SHARE:
        share = facts.non_production / facts.usage
        return "adjust", (f"non-production is {share:.0%} of spend (over "
                          f"{NON_PRODUCTION_SHARE:.0%}): check test and staging traffic")
    gap = (f"; {facts.unpriced_requests:,} requests used models no card prices, a rate-card "
           "gap for the card's owners to close, not this team's" if facts.unpriced_requests
           else "")
    if facts.budget is None:
        return "approve", f"no budget is set for this period; spend has no flag raised{gap}"
    return "approve", f"within budget, no flag raised{gap}"
