"""The evaluation gate, held to the seed paper's own table ("AI FinOps", section VI):

| configuration                 | cost per call | pass rate | per successful task | gate    |
| baseline                      | 0.0336        | 95.0%     | 0.0354              |         |
| aggressive compression        | 0.0121        | 88.0%     | 0.0138              | Reject  |
| gated compression + routing   | 0.0149        | 95.4%     | 0.0156              | Promote |

Each figure is recomputed here from calls, passes and cost with Decimal, never read back
from the code under test.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

import pytest
from typer.testing import CliRunner

from billing.budgets.levers.gate import PROMOTE, REJECT, Evaluation, gate
from billing.cli import app

CALLS = 1000
SEED = {  # name: (cost per call, passes of 1,000)
    "baseline": (Decimal("0.0336"), 950),
    "aggressive-compression": (Decimal("0.0121"), 880),
    "gated-compression-routing": (Decimal("0.0149"), 954),
}


def _evaluation(name: str) -> Evaluation:
    per_call, passes = SEED[name]
    return Evaluation(name, CALLS, passes, per_call * CALLS)


def _four(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def test_the_seed_table_decides_as_the_paper_does():
    baseline = _evaluation("baseline")
    verdicts = gate(baseline, [_evaluation("aggressive-compression"),
                               _evaluation("gated-compression-routing")])
    by_name = {v.evaluation.candidate: v for v in verdicts}
    for name, (per_call, passes) in SEED.items():
        expected = per_call * CALLS / passes
        row = (by_name[name].to_dict() if name in by_name else
               {"cost_per_success": _four(baseline.cost_per_success),
                "cost_per_call": _four(baseline.cost_per_call),
                "pass_rate": str((Decimal(passes) / CALLS * 100).quantize(Decimal("0.1")))})
        assert row["cost_per_success"] == _four(expected)
        assert row["cost_per_call"] == _four(per_call)
    assert _four(baseline.cost_per_success) == "0.0354"
    assert by_name["aggressive-compression"].to_dict()["cost_per_success"] == "0.0138"
    assert by_name["gated-compression-routing"].to_dict()["cost_per_success"] == "0.0156"
    assert by_name["aggressive-compression"].decision == REJECT
    assert "88.0% is below the baseline's 95.0%" in by_name["aggressive-compression"].reason
    assert by_name["gated-compression-routing"].decision == PROMOTE
    assert by_name["gated-compression-routing"].rank == 1


def test_the_cheaper_per_call_candidate_loses_on_cost_per_successful_task():
    """Two candidates hold the pass rate: the one cheaper per call but failing more often
    costs more per success and ranks second."""
    baseline = Evaluation("base", 100, 90, Decimal("10.00"))
    cheap = Evaluation("cheap", 100, 90, Decimal("6.00"))     # 0.0667 per success
    sturdy = Evaluation("sturdy", 100, 98, Decimal("6.30"))   # 0.0643 per success
    verdicts = {v.evaluation.candidate: v for v in gate(baseline, [cheap, sturdy])}
    assert (verdicts["sturdy"].rank, verdicts["cheap"].rank) == (1, 2)
    assert cheap.cost_per_call < sturdy.cost_per_call


def test_the_tolerance_lets_a_small_drop_through_and_no_more():
    baseline = Evaluation("base", 1000, 950, Decimal("33.60"))
    slight = Evaluation("slight", 1000, 946, Decimal("20.00"))   # 94.6%: 0.4 points down
    assert gate(baseline, [slight])[0].decision == REJECT
    assert gate(baseline, [slight], tolerance_pp=Decimal("0.4"))[0].decision == PROMOTE
    assert gate(baseline, [slight], tolerance_pp=Decimal("0.39"))[0].decision == REJECT


def test_equal_pass_rate_and_dearer_per_success_is_rejected():
    baseline = Evaluation("base", 100, 95, Decimal("3.36"))
    same = Evaluation("same", 100, 95, Decimal("3.36"))
    verdict = gate(baseline, [same])[0]
    assert verdict.decision == REJECT and "not below" in verdict.reason


def test_nonsense_evaluations_are_refused():
    with pytest.raises(ValueError, match="passes"):
        Evaluation("x", 10, 11, Decimal(1))
    with pytest.raises(ValueError, match="calls"):
        Evaluation("x", 0, 0, Decimal(1))
    nothing = Evaluation("none", 10, 0, Decimal(1))
    assert nothing.cost_per_success is None
    assert gate(Evaluation("b", 10, 5, Decimal(1)), [nothing])[0].decision == REJECT


@pytest.fixture
def cli_env(engine, settings, monkeypatch):  # noqa: ANN001
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    return engine


def _run(*args: str):  # noqa: ANN202
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def _said(result) -> str:  # noqa: ANN001
    """The output as one line: the console wraps long messages."""
    return " ".join(result.output.split())


def test_the_seed_table_through_the_command_line(cli_env, tmp_path):
    for name in SEED:
        extra = ["--baseline"] if name == "baseline" else []
        done = _run("levers", "propose", "-u", "support-copilot", "-n", name, *extra,
                    "--model", "claude-sonnet-4")
        assert done.exit_code == 0, done.output
    again = _run("levers", "propose", "-u", "support-copilot", "-n", "baseline", "--baseline",
                 "--model", "claude-sonnet-4")
    assert "unchanged" in again.output
    changed = _run("levers", "propose", "-u", "support-copilot", "-n", "baseline",
                   "--baseline", "--model", "o3")
    assert changed.exit_code == 2 and "another configuration" in _said(changed)
    rows = [{"evaluation_id": f"ev-{name}", "use_case": "support-copilot", "candidate": name,
             "calls": CALLS, "passes": passes, "cost": str(per_call * CALLS),
             "currency": "USD", "evaluated_at": "2026-10-20T10:00:00Z"}
            for name, (per_call, passes) in SEED.items()]
    rows.append({"evaluation_id": "ev-bad", "use_case": "support-copilot",
                 "candidate": "baseline", "calls": 10, "passes": 11, "cost": "1",
                 "currency": "USD"})
    rows.append({"evaluation_id": "ev-ghost", "use_case": "support-copilot",
                 "candidate": "never-proposed", "calls": 10, "passes": 1, "cost": "1",
                 "currency": "USD"})
    file = tmp_path / "evals.jsonl"
    file.write_text("\n".join(json.dumps(row) for row in rows))
    loaded = _run("levers", "evaluations", str(file), "--json")
    assert loaded.exit_code == 1
    result = json.loads(loaded.output)
    assert (result["accepted"], result["rejected"]) == (3, 2)
    assert {(e["evaluation_id"], e["field"]) for e in result["errors"]} == {
        ("ev-bad", "passes"), ("ev-ghost", "candidate")}
    file.write_text("\n".join(json.dumps(row) for row in rows[:3]))
    replay = json.loads(_run("levers", "evaluations", str(file), "--json").output)
    assert (replay["accepted"], replay["duplicates"]) == (0, 3)

    decided = _run("levers", "gate", "-u", "support-copilot", "--record", "--json")
    assert decided.exit_code == 0, decided.output
    report = json.loads(decided.output)
    assert report["baseline"]["cost_per_success"] == "0.0354"
    assert {c["candidate"]: (c["decision"], c["cost_per_success"])
            for c in report["candidates"]} == {
        "aggressive-compression": ("reject", "0.0138"),
        "gated-compression-routing": ("promote", "0.0156")}
    listed = json.loads(_run("levers", "list", "-u", "support-copilot", "--json").output)
    assert {c["name"]: c["decision"] for c in listed} == {
        "baseline": None, "aggressive-compression": "reject",
        "gated-compression-routing": "promote"}
    table = _run("levers", "gate", "-u", "support-copilot")
    assert "Promote" in table.output and "Reject" in table.output


def test_the_gate_says_what_is_missing(cli_env):
    nothing = _run("levers", "gate", "-u", "nobody")
    assert nothing.exit_code == 2 and "levers propose" in _said(nothing)
    _run("levers", "propose", "-u", "uc", "-n", "cand")
    no_base = _run("levers", "gate", "-u", "uc")
    assert no_base.exit_code == 2 and "--baseline" in _said(no_base)
    bad = _run("levers", "gate", "-u", "uc", "--tolerance", "NaN")
    assert bad.exit_code == 2 and "percentage points" in _said(bad)
