"""The closing recommendation on a showback statement: approve, adjust or stop, and why.

Rules are checked in order and the first that matches decides, so the statement can print the
rule itself: a budget holder sees not only the verdict but the reason for it, in the
statement's language (`invoices.labels`). Usage no card prices is a gap in the rate card, not
the team's doing: it is named, never a reason to adjust.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from invoices.formatting import format_percent
from invoices.labels import labels
from invoices.plurals import counted

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


def recommend(facts: Facts, locale: str = "en_US") -> tuple[str, str]:
    """(action, rule) for a team's period; the rule is written in the language of `locale`."""
    words = labels(locale)

    def percent(value: Decimal, digits: int = 0) -> str:
        return format_percent(value, locale, digits=digits)

    if facts.budget is not None and facts.budget > 0:
        over = (facts.usage - facts.budget) / facts.budget
        if over > STOP_OVER_BUDGET:
            return "stop", words.rule_stop.format(over=percent(over),
                                                  limit=percent(STOP_OVER_BUDGET))
        if over > 0:
            return "adjust", words.rule_over.format(over=percent(over, 1))
    if facts.worst_pass_rate and facts.worst_pass_rate[1] < LOW_PASS_RATE:
        use_case, rate = facts.worst_pass_rate
        return "adjust", words.rule_pass_rate.format(use_case=use_case, rate=percent(rate),
                                                     limit=percent(LOW_PASS_RATE))
    if facts.usage > 0 and facts.non_production / facts.usage > NON_PRODUCTION_SHARE:
        share = facts.non_production / facts.usage
        return "adjust", words.rule_non_production.format(
            share=percent(share), limit=percent(NON_PRODUCTION_SHARE))
    gap = (words.rule_unpriced_gap.format(
        requests=counted("request", facts.unpriced_requests, locale))
        if facts.unpriced_requests else "")
    if facts.budget is None:
        return "approve", words.rule_no_budget + gap
    return "approve", words.rule_within + gap
