"""A forecast table computed by hand: calls x tokens per call x rate per 1,000 tokens.

Team support in October: 1,000 calls of m-mixed, 6,000,000 input and 2,000,000 output tokens:
spend 6 x 3.00 + 2 x 6.00 = 30.00; tokens per call 8,000; rate 30.00 / 8,000 (thousands) =
0.00375 per 1,000 tokens. today = 1,000 x 8,000 x 0.00375 / 1,000 = 30.00.

  scenario        calls   tokens   rate     cost                          change   %
  flat            1,000   8,000    0.00375  30.00                           0.00    0.00
  growth          1,400   8,000    0.00375  1,400 x 8 x 0.00375 = 42.00   +12.00  +40.00
  context-creep   1,000  10,000    0.00375  1,000 x 10 x 0.00375 = 37.50   +7.50  +25.00
  levers          1,400   9,100    0.0042   1,400 x 9.1 x 0.0042 = 53.508 -> 53.51
                                                                          +23.51  +78.36
The change in money is between the rounded costs; in percent between the exact ones
(23.508 / 30 = 78.36%).
  cheaper         1,200   8,000    0.002    1,200 x 8 x 0.002 = 19.20     -10.80  -36.00
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from budget_support import event

from billing.budgets.forecast import (
    Drivers,
    ScenarioError,
    drivers_from_usage,
    ledger_forecast,
    parse_scenario,
    project,
)

SCENARIOS = ["flat=", "growth=calls:+40%", "context-creep=tokens:+25%",
             "levers=calls:+40%,tokens:9100,rate:0.0042", "cheaper=rate:0.002,calls:1200"]
TABLE = [
    ("today", "1000", "8000", "0.00375", "30.00", "0.00", "0.00"),
    ("flat", "1000", "8000", "0.00375", "30.00", "0.00", "0.00"),
    ("growth", "1400", "8000", "0.00375", "42.00", "12.00", "40.00"),
    ("context-creep", "1000", "10000", "0.00375", "37.50", "7.50", "25.00"),
    ("levers", "1400", "9100", "0.0042", "53.51", "23.51", "78.36"),
    ("cheaper", "1200", "8000", "0.002", "19.20", "-10.80", "-36.00"),
]


def _rows(result) -> list[tuple]:  # noqa: ANN001
    return [(r["scenario"], r["calls"], r["tokens_per_call"], r["rate_per_1k"], r["cost"],
             r["change"], r["change_percent"]) for r in result.to_dict()["scenarios"]]


def test_five_scenarios_by_hand_from_the_ledger(engine, usage):
    usage([event("f1", "2026-10-07", model="m-mixed", input_tokens=6_000_000,
                 output_tokens=2_000_000, requests=1_000, team="support", use_case="copilot")])
    result = ledger_forecast(engine, "support", "2026-10",
                             [parse_scenario(text) for text in SCENARIOS])
    assert result.currency == "USD" and result.base_period == "2026-10"
    assert _rows(result) == TABLE
    use_case = ledger_forecast(engine, "support", "2026-10", [], use_case="copilot")
    assert use_case.projections[0].cost == Decimal("30.00")


def test_overridden_drivers_and_pure_projection():
    today = Drivers(Decimal(1000), Decimal(8000), Decimal("0.00375"))
    result = project(today, [parse_scenario("x=calls:-50%")], "USD")
    assert [(p.name, p.cost, p.change) for p in result.projections] == [
        ("today", Decimal("30.00"), Decimal(0)), ("x", Decimal("15.00"), Decimal("-15.00"))]
    assert drivers_from_usage(Decimal("30"), 1000, 8_000_000) == Drivers(
        Decimal(1000), Decimal("8000.00"), Decimal("0.0037500000"))
    assert drivers_from_usage(Decimal(0), 0, 0).tokens_per_call == 0


def test_overrides_from_the_ledger(engine):
    result = ledger_forecast(engine, "nobody", "2026-10", [parse_scenario("g=calls:+10%")],
                             calls=Decimal(100), tokens=Decimal(1000), rate=Decimal("0.01"))
    assert [str(p.cost) for p in result.projections] == ["1.00", "1.10"]


@pytest.mark.parametrize(("text", "message"), [
    ("growth", "NAME=driver"), ("g=calls:40%", r"calls:\+40%"), ("g=speed:2", "calls:"),
    ("g=calls:abc", "not a number"), ("g=calls:-5", "negative"), ("today=calls:1", "today"),
    ("g=calls:1,calls:2", "twice")])
def test_bad_scenarios_say_how_to_write_them(text, message):
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(text)
