"""The KPI targets a use case is held to, as its owner declares them in the use_cases policy.

```yaml
use_cases:
  support-copilot:
    kpi_targets: {attribution_coverage: 95, forecast_error: 10, budget_variance: 5,
                  input_share: 80, cache_hit_rate: 20, cost_per_outcome_rise: 0,
                  pass_rate_tolerance: 0.5}
```
All in percent (pass_rate_tolerance in percentage points); any left out keeps its default.
Each target has a green side and an amber band beyond it (`AMBER`), then red, so a review
reads the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

# name: (default target, amber band beyond it, "min" = higher is better / "max")
TARGETS: dict[str, tuple[Decimal, Decimal, str]] = {
    "attribution_coverage": (Decimal(95), Decimal(5), "min"),
    "forecast_error": (Decimal(10), Decimal(10), "max"),
    "budget_variance": (Decimal(5), Decimal(5), "max"),
    "input_share": (Decimal(80), Decimal(10), "max"),
    "cache_hit_rate": (Decimal(20), Decimal(10), "min"),
    "cost_per_outcome_rise": (Decimal(0), Decimal(10), "max"),
    "pass_rate_tolerance": (Decimal(0), Decimal(0), "max"),
}
GREEN, AMBER, RED, NONE = "green", "amber", "red", "no data"


def target_problem(value: Any) -> str | None:
    """Why a kpi_targets mapping cannot be read (None when it can)."""
    if not isinstance(value, dict):
        return f"expected a mapping of {', '.join(TARGETS)} to a percent"
    for name, number in value.items():
        if name not in TARGETS:
            return f"unknown target {name}; use {', '.join(TARGETS)}"
        try:
            parsed = Decimal(str(number))
        except InvalidOperation:
            return f"{name}: {number!r} is not a number (a percent, e.g. 95)"
        if not parsed.is_finite() or not 0 <= parsed <= 100:
            return f"{name}: give a percent from 0 to 100"
    return None


@dataclass(frozen=True)
class Targets:
    values: dict[str, Decimal] = field(default_factory=dict)

    @classmethod
    def of(cls, value: Any) -> Targets:
        if value is None:
            return cls()
        problem = target_problem(value)
        if problem:
            raise ValueError(f"kpi_targets: {problem}")
        return cls({name: Decimal(str(number)) for name, number in value.items()})

    def target(self, name: str) -> Decimal:
        return self.values.get(name, TARGETS[name][0])

    def status(self, name: str, value: Decimal | None) -> str:
        """Green on the target's side, amber within its band beyond, red past that."""
        if value is None:
            return NONE
        target, band, sense = self.target(name), TARGETS[name][1], TARGETS[name][2]
        if sense == "min":
            return GREEN if value >= target else AMBER if value >= target - band else RED
        return GREEN if value <= target else AMBER if value <= target + band else RED

    def to_dict(self) -> dict[str, str]:
        return {name: str(self.target(name)) for name in TARGETS}
