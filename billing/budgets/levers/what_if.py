"""`billing levers simulate`, `GET /v1/levers/simulate` and the dashboard: one function.

"Before" is the ledger's own amount for the use case. Each lever's "after" is that amount
plus the difference the lever makes when the same slices are priced with and without it, so
a line the ledger priced in a way the simulation does not repeat (a one-hour cache write, a
reported cost) moves the baseline of both sides alike and never shows as a saving.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from billing.budgets.levers.simulate import Outcome, simulate
from billing.budgets.levers.spec import parse_levers
from billing.budgets.levers.usage import use_case_usage
from billing.money import round_line

SHOWN = Decimal("0.0001")


def what_if(engine: Engine, use_case: str, period: str, levers: list[str],
            team: str | None = None) -> dict[str, Any]:
    parsed = parse_levers(levers)
    usage = use_case_usage(engine, use_case, period, team)
    result = simulate(usage.slices, parsed)
    repriced = result.baseline.spend
    currency = usage.currency

    def row(outcome: Outcome) -> dict[str, Any]:
        spend = usage.spend + (outcome.spend - repriced)
        calls = outcome.requests
        shown, before = ((round_line(spend, currency), round_line(usage.spend, currency))
                         if currency else (spend, usage.spend))
        saving = before - shown  # of the amounts shown, so the columns add up on the page
        return {
            "levers": outcome.name,
            "spend": str(shown),
            "saving": str(saving),
            "saving_percent": (str((saving / usage.spend * 100).quantize(Decimal("0.1")))
                               if usage.spend else None),
            "calls": int(calls),
            "cost_per_call": str((spend / calls).quantize(SHOWN)) if calls else None,
            "notes": list(outcome.notes),
        }

    before = row(result.baseline)
    before["levers"] = "actual"
    return {
        "use_case": use_case, "period": period, "team": team, "currency": currency,
        "before": before,
        "levers": [row(outcome) for outcome in result.levers],
        "combined": row(result.combined),
        "not_simulated": {"reported_cost": str(usage.fixed_spend),
                          "unpriced_lines": usage.unpriced_lines},
    }
