"""The KPI review and promoted changes as a statement carries them: plain data, no engine.

A statement's review page lists the team's KPIs (per use case and for the team itself), each
with its target, which side of the target is good, and green, amber or red, exactly as the
engine's review computed them; and the gated changes that shipped, with the effect the ledger
measured before and after. Percentages are percent values (``53.1`` is 53.1 %); unit costs are
in the statement's currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

KPI_NAMES = ("cost_per_outcome", "input_share", "cache_hit_rate", "eval_pass_rate_at_promotion",
             "forecast_accuracy", "budget_variance", "attribution_coverage")
STATUSES = ("green", "amber", "red", "no data")
SENSES = ("min", "max")
REVIEW_DECIMALS = (
    "value", "target", "cost_per_accepted", "cost_per_call_before", "cost_per_call_after",
    "cost_per_call_change", "pass_rate_before", "pass_rate_after", "pass_rate_points",
    "cost_per_accepted_before", "cost_per_accepted_after", "cost_per_accepted_change")
"""The fields the JSON twin reads back as Decimal."""


@dataclass(frozen=True)
class KpiLine:
    """One KPI against its target. `subject` is the use case, or None for the team itself;
    `sense` says which side of `target` is good: "min" (at least) or "max" (at most). Only
    data, no sentence: the page words it in the statement's language."""

    subject: str | None
    kpi: str
    status: str
    value: Decimal | None = None
    target: Decimal | None = None
    sense: str | None = None
    owner: str | None = None
    cost_per_accepted: Decimal | None = None
    """For cost_per_outcome: this month's cost per accepted outcome."""
    candidate: str | None = None
    """For eval_pass_rate_at_promotion: the promoted candidate, judged against `baseline`."""
    baseline: str | None = None

    def __post_init__(self) -> None:
        where = f"KPI {self.kpi} of {self.subject or 'the team'}"
        if self.kpi not in KPI_NAMES:
            raise ValueError(f"{where}: unknown KPI; expected one of {', '.join(KPI_NAMES)}")
        if self.status not in STATUSES:
            raise ValueError(f"{where}: status {self.status!r} is not one of "
                             f"{', '.join(STATUSES)}")
        if self.sense is not None and self.sense not in SENSES:
            raise ValueError(f"{where}: sense {self.sense!r} is not min or max")


@dataclass(frozen=True)
class PromotedChange:
    """A candidate the evaluation gate promoted, once it shipped: the use case's days from
    `shipped_on` to `measured_to` against as many days before (`before_from` to the day before
    shipping). Changes are percent of the before value; pass rate points are percentage points.
    """

    use_case: str
    candidate: str
    shipped_on: str
    before_from: str
    measured_to: str
    cost_per_call_before: Decimal | None = None
    cost_per_call_after: Decimal | None = None
    cost_per_call_change: Decimal | None = None
    pass_rate_before: Decimal | None = None
    pass_rate_after: Decimal | None = None
    pass_rate_points: Decimal | None = None
    cost_per_accepted_before: Decimal | None = None
    cost_per_accepted_after: Decimal | None = None
    cost_per_accepted_change: Decimal | None = None
