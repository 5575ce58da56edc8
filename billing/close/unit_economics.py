"""Unit economics: what one accepted outcome of a use case costs.

Cost per accepted outcome = (the use case's rated spend + its share of charged overhead) /
its accepted outcomes in the period. Shown beside the pass rate (accepted / all outcomes) and
the cost per outcome counting all of them, so "fake savings" are visible: a cheaper model that
lowers the cost per call but fails the quality rule more often raises the cost per accepted
outcome. With no accepted outcomes there is no such cost; it says so instead of dividing by 0.
Pure: spend, overhead and counts come in as arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from billing.money import round_line

NO_ACCEPTED = "no accepted outcomes"
NO_OUTCOMES = "no outcomes"
UNIT_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class UnitEconomics:
    team: str | None
    use_case: str
    period: str
    currency: str
    spend: Decimal
    overhead: Decimal
    requests: int
    outcomes: int
    accepted: int

    @property
    def cost(self) -> Decimal:
        return self.spend + self.overhead

    @property
    def pass_rate(self) -> Decimal | None:
        return None if self.outcomes == 0 else Decimal(self.accepted) / Decimal(self.outcomes)

    @property
    def cost_per_call(self) -> Decimal | None:
        return None if self.requests == 0 else _unit(self.spend / self.requests)

    @property
    def cost_per_outcome(self) -> Decimal | None:
        return None if self.outcomes == 0 else _unit(self.cost / self.outcomes)

    @property
    def cost_per_accepted_outcome(self) -> Decimal | None:
        return None if self.accepted == 0 else _unit(self.cost / self.accepted)

    @property
    def note(self) -> str | None:
        if self.outcomes == 0:
            return NO_OUTCOMES
        return NO_ACCEPTED if self.accepted == 0 else None

    def to_dict(self) -> dict[str, Any]:
        def text(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        rate = self.pass_rate
        return {
            "team": self.team, "use_case": self.use_case, "period": self.period,
            "currency": self.currency, "spend": str(round_line(self.spend, self.currency)),
            "overhead": str(self.overhead), "cost": str(round_line(self.cost, self.currency)),
            "requests": self.requests, "outcomes": self.outcomes, "accepted": self.accepted,
            "pass_rate": None if rate is None else str(rate.quantize(UNIT_PLACES)),
            "cost_per_call": text(self.cost_per_call),
            "cost_per_outcome": text(self.cost_per_outcome),
            "cost_per_accepted_outcome": text(self.cost_per_accepted_outcome),
            "note": self.note,
        }


def _unit(value: Decimal) -> Decimal:
    """Unit costs are fractions of a cent; four places show a change of model clearly."""
    return value.quantize(UNIT_PLACES)


def compare(before: UnitEconomics, after: UnitEconomics) -> dict[str, Decimal | None]:
    """Change per call and per accepted outcome between two periods or variants of a use case:
    a saving per call with a rise per accepted outcome is a fake saving."""
    def change(a: Decimal | None, b: Decimal | None) -> Decimal | None:
        return None if a is None or b is None else b - a

    return {"cost_per_call": change(before.cost_per_call, after.cost_per_call),
            "cost_per_accepted_outcome": change(before.cost_per_accepted_outcome,
                                                after.cost_per_accepted_outcome)}
