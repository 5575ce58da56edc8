"""The evaluation gate: a cheaper configuration ships only if it still does the job.

A lever (compression, routing, caching, a prompt change) is judged on a held-out evaluation:
calls, passes and cost. Cost per call alone rewards a candidate that fails more often, so
candidates are ranked by cost per successful task (cost / passes), and one is promoted only if
its pass rate holds: at or above the baseline's, less the use case's tolerance. Pure: the
store and the commands feed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

PROMOTE, REJECT = "promote", "reject"
SHOWN = Decimal("0.0001")
PERCENT = Decimal("0.1")


@dataclass(frozen=True)
class Evaluation:
    """One configuration's result on the held-out set."""

    candidate: str
    calls: int
    passes: int
    cost: Decimal
    """Total cost of the evaluation's calls at card prices."""

    def __post_init__(self) -> None:
        if self.calls <= 0:
            raise ValueError(f"{self.candidate}: calls must be a positive whole number")
        if not 0 <= self.passes <= self.calls:
            raise ValueError(f"{self.candidate}: passes must be between 0 and calls "
                             f"({self.calls})")
        if self.cost < 0:
            raise ValueError(f"{self.candidate}: cost cannot be negative")

    @property
    def pass_rate(self) -> Decimal:
        return Decimal(self.passes) / Decimal(self.calls)

    @property
    def cost_per_call(self) -> Decimal:
        return self.cost / Decimal(self.calls)

    @property
    def cost_per_success(self) -> Decimal | None:
        """None when nothing passed: no successful task, so no price for one."""
        return self.cost / Decimal(self.passes) if self.passes else None


@dataclass(frozen=True)
class Verdict:
    evaluation: Evaluation
    decision: str
    reason: str
    rank: int | None
    """1 = the candidate to ship; None for rejected candidates."""

    def to_dict(self) -> dict:
        e = self.evaluation
        return {
            "candidate": e.candidate, "calls": e.calls, "passes": e.passes,
            "cost": str(e.cost), "pass_rate": shown_percent(e.pass_rate),
            "cost_per_call": shown(e.cost_per_call),
            "cost_per_success": shown(e.cost_per_success),
            "decision": self.decision, "reason": self.reason, "rank": self.rank,
        }


def shown(value: Decimal | None) -> str | None:
    """Per-call figures are fractions of a cent: four places, half up, for reading only."""
    return None if value is None else str(value.quantize(SHOWN, rounding=ROUND_HALF_UP))


def shown_percent(rate: Decimal) -> str:
    return str((rate * 100).quantize(PERCENT, rounding=ROUND_HALF_UP))


def gate(baseline: Evaluation, candidates: list[Evaluation], *,
         tolerance_pp: Decimal = Decimal(0)) -> list[Verdict]:
    """Promote or reject each candidate against the baseline; the promotable ones ranked by
    cost per successful task (ties by pass rate, then name, so the order is stable)."""
    if tolerance_pp < 0:
        raise ValueError("the tolerance is a number of percentage points >= 0")
    floor = baseline.pass_rate - tolerance_pp / 100
    base_cost = baseline.cost_per_success
    verdicts: list[tuple[Evaluation, str]] = []
    eligible: list[Evaluation] = []
    for candidate in candidates:
        reason = _rejected(candidate, baseline, floor, base_cost, tolerance_pp)
        if reason:
            verdicts.append((candidate, reason))
        else:
            eligible.append(candidate)
    eligible.sort(key=lambda e: (e.cost_per_success, -e.pass_rate, e.candidate))
    ranked = {e.candidate: index for index, e in enumerate(eligible, start=1)}
    out = []
    for candidate in candidates:
        rank = ranked.get(candidate.candidate)
        if rank is None:
            reason = next(r for c, r in verdicts if c is candidate)
            out.append(Verdict(candidate, REJECT, reason, None))
        else:
            out.append(Verdict(candidate, PROMOTE, _promoted(candidate, baseline, rank), rank))
    return out


def _rejected(candidate: Evaluation, baseline: Evaluation, floor: Decimal,
              base_cost: Decimal | None, tolerance_pp: Decimal) -> str | None:
    if candidate.pass_rate < floor:
        allowed = (f" less the tolerance of {tolerance_pp} pp" if tolerance_pp else "")
        return (f"pass rate {shown_percent(candidate.pass_rate)}% is below the baseline's "
                f"{shown_percent(baseline.pass_rate)}%{allowed}")
    cost = candidate.cost_per_success
    if base_cost is not None and cost is not None and cost >= base_cost:
        return (f"cost per successful task {shown(cost)} is not below the baseline's "
                f"{shown(base_cost)}")
    return None


def _promoted(candidate: Evaluation, baseline: Evaluation, rank: int) -> str:
    base = baseline.cost_per_success
    cost = candidate.cost_per_success
    saving = ""
    if base and cost is not None:
        saving = f", {shown_percent((base - cost) / base)}% less per successful task"
    order = "best candidate" if rank == 1 else f"ranked {rank}"
    return (f"pass rate {shown_percent(candidate.pass_rate)}% holds against "
            f"{shown_percent(baseline.pass_rate)}%{saving} ({order})")
