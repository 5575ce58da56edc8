"""Cost per accepted outcome, by hand, including the "fake saving" of a cheaper model.

Use case support/copilot, 100 calls of 100,000 tokens each month (10 million tokens):
  October,  m-good  (4.00 per M): spend 40.00; 100 outcomes, 90 accepted
  November, m-cheap (1.00 per M): spend 10.00; 100 outcomes, 20 accepted
Pool "platform" 10.00 a month, charged, split evenly: support is the only team, and copilot
its only use case, so copilot carries all 10.00.
  October:  per call 40/100 = 0.4000; per outcome 50/100 = 0.5000; per accepted 50/90 = 0.5556
  November: per call 10/100 = 0.1000; per outcome 20/100 = 0.2000; per accepted 20/20 = 1.0000
Cheaper per call (-0.30), dearer per accepted outcome (+0.4444): a fake saving, made visible.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from budget_support import UTC, event

from billing.close.lines import OverheadLine, TeamLines, UsageLine, use_case_overhead
from billing.close.outcome_report import unit_economics_for_period
from billing.close.unit_economics import NO_ACCEPTED, UnitEconomics, compare
from billing.ledger.outcomes import ingest_outcomes, ingest_outcomes_file
from billing.money import round_line
from billing.rating.overhead import load_pools
from billing.use_cases import UseCase, UseCaseError, load_use_cases

POOLS = load_pools("""
pools:
  - {name: platform, amount: "10.00", currency: USD, driver: even, treatment: charged}
  - {name: safety, amount: "99.00", currency: USD, driver: even, treatment: central}
""")


def _outcomes(prefix: str, month: str, total: int, accepted: int, **extra) -> list[dict]:  # noqa: ANN003
    return [{"outcome_id": f"{prefix}-{n}", "use_case": "copilot",
             "occurred_at": f"2026-{month}-10T09:00:00Z", "accepted": n < accepted, **extra}
            for n in range(total)]


@pytest.fixture
def two_months(engine, usage):  # noqa: ANN001
    usage([event("oct", "2026-10-05", model="m-good", input_tokens=10_000_000, requests=100,
                 team="support", use_case="copilot"),
           event("nov", "2026-11-05", model="m-cheap", input_tokens=10_000_000, requests=100,
                 team="support", use_case="copilot")])
    ingest_outcomes(engine, _outcomes("o", "10", 100, 90, team="support"), zone=UTC)
    # November's outcomes name no team: the use case's spend says whose they are
    ingest_outcomes(engine, _outcomes("n", "11", 100, 20), zone=UTC)
    return engine


def test_a_cheaper_model_that_raises_cost_per_accepted_outcome(two_months):
    [october] = unit_economics_for_period(two_months, "2026-10", pools=POOLS)
    [november] = unit_economics_for_period(two_months, "2026-11", pools=POOLS)
    assert october.to_dict() == {
        "team": "support", "use_case": "copilot", "period": "2026-10", "currency": "USD",
        "spend": "40.00", "overhead": "10.00", "cost": "50.00", "requests": 100,
        "outcomes": 100, "accepted": 90, "pass_rate": "0.9000", "cost_per_call": "0.4000",
        "cost_per_outcome": "0.5000", "cost_per_accepted_outcome": "0.5556", "note": None,
    }
    assert (november.cost_per_call, november.cost_per_outcome,
            november.cost_per_accepted_outcome, november.pass_rate) == (
        Decimal("0.1000"), Decimal("0.2000"), Decimal("1.0000"), Decimal("0.2"))
    change = compare(october, november)
    assert change["cost_per_call"] == Decimal("-0.3000")
    assert change["cost_per_accepted_outcome"] == Decimal("0.4444")


def test_no_accepted_outcomes_is_said_not_divided(engine, usage):
    usage([event("z", "2026-11-05", input_tokens=3_000_000, team="legal", use_case="extract")])
    ingest_outcomes(engine, [{"outcome_id": "x1", "use_case": "extract", "team": "legal",
                              "occurred_at": "2026-11-06T00:00:00Z", "accepted": False}],
                    zone=UTC)
    [item] = unit_economics_for_period(engine, "2026-11")
    assert item.cost_per_accepted_outcome is None and item.note == NO_ACCEPTED
    assert item.to_dict()["cost_per_accepted_outcome"] is None
    assert item.to_dict()["pass_rate"] == "0.0000"
    none = UnitEconomics("t", "u", "2026-11", "USD", Decimal(1), Decimal(0), 0, 0, 0)
    assert none.note == "no outcomes" and none.pass_rate is None and none.cost_per_call is None


def test_outcomes_are_idempotent_and_bad_rows_say_why(engine, tmp_path):
    rows = [{"outcome_id": "a", "use_case": "u", "occurred_at": "2026-11-01T10:00:00+01:00",
             "accepted": True, "quality_score": 0.93},
            {"outcome_id": "b", "use_case": "u", "occurred_at": "2026-11-01", "accepted": True},
            {"outcome_id": "c", "use_case": "u", "occurred_at": "2026-11-01T00:00:00Z",
             "accepted": "maybe"},
            {"use_case": "u", "occurred_at": "2026-11-01T00:00:00Z", "accepted": False}]
    declared = {"u": UseCase("u", None, None, "", None)}
    first = ingest_outcomes(engine, rows, zone=UTC, use_cases=declared)
    assert (first.accepted, first.duplicates, first.rejected) == (1, 0, 3)
    assert [(e.index, e.field) for e in first.errors] == [
        (1, "occurred_at"), (2, "accepted"), (3, "outcome_id")]
    again = ingest_outcomes(engine, rows[:1] * 2, zone=UTC, use_cases=declared)
    assert (again.accepted, again.duplicates) == (0, 2)
    csv_file = tmp_path / "outcomes.csv"
    csv_file.write_text("outcome_id,use_case,occurred_at,accepted\n"
                        "d,u,2026-11-02T00:00:00Z,true\ne,u,2026-11-02T00:00:00Z,false\n")
    assert ingest_outcomes_file(engine, csv_file, zone=UTC, use_cases=declared).accepted == 2
    lines = tmp_path / "outcomes.jsonl"
    lines.write_text("\n".join(json.dumps(r) for r in rows[:1]) + "\n")
    assert ingest_outcomes_file(engine, lines, zone=UTC, use_cases=declared).duplicates == 1


def _line(use_case: str | None, exact: str, tokens: int, requests: int) -> UsageLine:
    return UsageLine(use_case, "m", "good", "production", None, requests, tokens, 0, 0, 0,
                     Decimal(exact), round_line(Decimal(exact), "USD"), Decimal(0), ("c@1",))


def _share(pool: str, driver: str, amount: str) -> OverheadLine:
    return OverheadLine(pool, driver, "charged", Decimal(amount), Decimal(amount), "USD",
                        Decimal(1), Decimal(1))


def test_overhead_split_over_use_cases_by_each_pools_driver_keeps_the_unattributed_share():
    lines = TeamLines("t", "2026-10", "USD", (
        _line("a", "50", 100, 1), _line("b", "25", 300, 1), _line(None, "25", 0, 2)),
        (_share("obs", "spend", "10.00"), _share("gpu", "tokens", "8.00"),
         _share("safety", "requests", "4.00"), _share("flat", "even", "1.00")))
    parts = use_case_overhead(lines)
    # spend 50:25:25, tokens 100:300:0, requests 1:1:2, even pools split by spend
    assert parts == {"a": Decimal("5.00") + Decimal("2.00") + Decimal("1.00") + Decimal("0.50"),
                     "b": Decimal("2.50") + Decimal("6.00") + Decimal("1.00") + Decimal("0.25"),
                     None: Decimal("2.50") + Decimal("0") + Decimal("2.00") + Decimal("0.25")}
    assert sum(parts.values()) == lines.charged_overhead
    odd = TeamLines("t", "2026-10", "USD", (_line("a", "1", 1, 1), _line("b", "1", 1, 1),
                                            _line("c", "1", 1, 1)),
                    (_share("obs", "spend", "0.10"),))
    assert sum(use_case_overhead(odd).values()) == Decimal("0.10")


def test_use_case_definitions_and_owners():
    declared = load_use_cases("""
use_cases:
  copilot:
    team: support
    owner: jane@example.com
    outcome: {name: ticket resolved, start: ticket assigned, end: ticket closed,
              quality_rule: not reopened within 7 days}
""")
    assert declared["copilot"].owner == "jane@example.com"
    assert declared["copilot"].outcome.quality_rule == "not reopened within 7 days"
    with pytest.raises(UseCaseError, match="quality_rule"):
        load_use_cases("use_cases:\n  x: {outcome: {start: a, end: b}}\n")
