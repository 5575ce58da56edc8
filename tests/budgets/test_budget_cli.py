"""The budgets, outcomes, forecast and alerts commands as a user runs them."""

from __future__ import annotations

import json

import pytest
from budget_support import event
from typer.testing import CliRunner

from billing.cli import app
from tests_support import publish_policy

runner = CliRunner()


@pytest.fixture
def env(engine, database_url, monkeypatch, tmp_path):  # noqa: ANN001
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("BILLING_WEBHOOK_URLS", raising=False)
    publish_policy(engine, "parties", "teams:\n  support: {owner: Dana Lee}\n")
    return tmp_path


def _json(args: list[str]):  # noqa: ANN202
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("command", [
    ["budgets", "set"], ["budgets", "list"], ["budgets", "status"], ["budgets", "load"],
    ["outcomes", "ingest"], ["outcomes", "report"], ["forecast"], ["alerts", "list"],
    ["alerts", "check"], ["alerts", "deliver"]])
def test_every_command_has_help_and_json(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "--json" in result.output


def test_budget_set_list_status(env, usage):
    created = _json(["budgets", "set", "--team", "support", "--period", "2026-11",
                     "--amount", "100.00", "--hard-cap", "--currency", "USD"])
    assert (created["amount"], created["hard_cap"], created["created"]) == ("100.00", True, True)
    usage([event("c1", "2026-11-03", input_tokens=80_000_000, team="support")])
    status = _json(["budgets", "status", "--team", "support", "--period", "2026-11"])
    assert (status["decision"], status["spent"]) == ("warn", "80.00")
    [listed] = _json(["budgets", "list", "--period", "2026-11"])
    assert listed["variance"]["absolute"] == "-20.00"
    human = runner.invoke(app, ["budgets", "list", "--period", "2026-11"])
    assert "team support" in human.output and "warn" in human.output
    alerts = _json(["alerts", "list", "--period", "2026-11"])["alerts"]
    assert sorted(a["details"]["threshold"] for a in alerts) == ["50", "80"]
    bad = runner.invoke(app, ["budgets", "set", "--team", "x", "--period", "2026-11",
                              "--amount", "lots", "--currency", "USD"])
    assert bad.exit_code == 2 and "amount" in bad.output


def test_unknown_teams_are_errors_that_say_what_to_do(env, usage):
    usage([event("k1", "2026-10-03", team="search")])
    typo = runner.invoke(app, ["budgets", "set", "--team", "nosuch", "--period", "2026-11",
                               "--amount", "10.00", "--currency", "USD"])
    assert typo.exit_code == 2 and "no team named 'nosuch'" in typo.output
    assert "registry" in typo.output
    assert runner.invoke(app, ["budgets", "status", "--team", "nosuch"]).exit_code == 2
    # known: in the registry before its first usage (support), or with usage (search)
    for team in ("support", "search"):
        assert _json(["budgets", "set", "--team", team, "--period", "2026-11",
                      "--amount", "10.00", "--currency", "USD"])["created"] is True
    forecast = runner.invoke(app, ["forecast", "--team", "nosuch", "--period", "2026-10"])
    assert forecast.exit_code == 2 and "no rated usage in 2026-10" in forecast.output
    assert _json(["forecast", "--team", "search", "--period", "2026-10"])["scenarios"]
    outcomes = env / "outcomes.jsonl"
    outcomes.write_text("\n".join(json.dumps({
        "outcome_id": name, "use_case": use_case, "occurred_at": "2026-10-09T00:00:00Z",
        "accepted": True}) for name, use_case in (("g1", "chat"), ("b1", "nosuch-uc"))) + "\n")
    usage([event("k2", "2026-10-03", team="search", use_case="chat")])
    result = runner.invoke(app, ["outcomes", "ingest", str(outcomes), "--json"])
    assert result.exit_code == 1  # a row rejected, the good one still loaded
    ingested = json.loads(result.stdout)
    assert (ingested["accepted"], ingested["rejected"]) == (1, 1)
    [error] = ingested["errors"]
    assert (error["index"], error["outcome_id"], error["field"]) == (1, "b1", "use_case")
    assert "'nosuch-uc' is unknown" in error["message"]


def test_budgets_load_yaml(env):
    path = env / "budgets.yaml"
    path.write_text('budgets:\n  - {team: support, period: "2026-11", amount: "10", '
                    'currency: EUR}\n  - {team: support, use_case: u, period: "2026-11", '
                    'amount: "5", currency: EUR}\n')
    assert len(_json(["budgets", "load", str(path)])) == 2
    assert [b["scope_key"] for b in _json(["budgets", "list", "--period", "2026-11"])] == [
        "support", "support/u"]


def test_budgets_load_sets_none_when_a_team_is_unknown(env):
    path = env / "budgets.yaml"
    path.write_text('budgets:\n  - {team: support, period: "2026-12", amount: "10", '
                    'currency: EUR}\n  - {team: suport, period: "2026-12", amount: "5", '
                    'currency: EUR}\n')
    result = runner.invoke(app, ["budgets", "load", str(path)])
    assert result.exit_code == 2 and "'suport'" in result.output
    assert "no budget was set" in result.output
    assert _json(["budgets", "list", "--period", "2026-12"]) == []


def test_outcomes_forecast_and_alerts_check(env, usage, engine):  # noqa: ANN001
    usage([event("c2", "2026-10-07", model="m-mixed", input_tokens=6_000_000,
                 output_tokens=2_000_000, requests=1_000, team="support",
                 use_case="copilot")])
    outcomes = env / "outcomes.jsonl"
    outcomes.write_text("\n".join(json.dumps({
        "outcome_id": f"o{n}", "use_case": "copilot", "occurred_at": "2026-10-09T00:00:00Z",
        "accepted": n % 2 == 0}) for n in range(10)) + "\n")
    assert _json(["outcomes", "ingest", str(outcomes)])["accepted"] == 10
    publish_policy(engine, "use_cases",
                   "use_cases:\n  copilot: {team: support, owner: jane, outcome: {start: open, "
                   "end: close, quality_rule: CSAT >= 4}}\n")
    report = runner.invoke(app, ["outcomes", "report", "--period", "2026-10", "--json"])
    [item] = json.loads(report.stdout)
    assert item["cost_per_accepted_outcome"] == "6.0000"     # 30.00 / 5 accepted
    assert item["definition"]["owner"] == "jane"
    forecast = _json(["forecast", "--team", "support", "--period", "2026-10",
                      "--scenario", "growth=calls:+40%"])
    assert [s["cost"] for s in forecast["scenarios"]] == ["30.00", "42.00"]
    table = runner.invoke(app, ["forecast", "--team", "support", "--period", "2026-10",
                                "--scenario", "growth=calls:+40%"])
    assert "growth" in table.output and "42.00" in table.output
    bad = runner.invoke(app, ["forecast", "--team", "support", "--scenario", "nope"])
    assert bad.exit_code == 2
    checked = _json(["alerts", "check", "--day", "2026-10-08"])
    assert checked["anomalies"] == [] and checked["delivery"]["nothing_to_do"]


def test_human_output_formats_money_counts_and_percents(env, usage):
    usage([event("c3", "2026-10-07", model="m-mixed", input_tokens=600_000_000,
                 output_tokens=200_000_000, requests=195_581, team="support",
                 use_case="copilot")])
    created = runner.invoke(app, ["budgets", "set", "--team", "support", "--period", "2026-10",
                                  "--amount", "5000", "--currency", "USD"])
    assert "5,000.00 USD" in created.output
    status = runner.invoke(app, ["budgets", "status", "--team", "support", "--period",
                                 "2026-10"])
    assert "spent 3,000.00 of 5,000.00 USD (60.00%), remaining 2,000.00" in status.output
    listed = runner.invoke(app, ["budgets", "list", "--period", "2026-10"],
                           env={"COLUMNS": "200"})
    assert "5,000.00 USD" in listed.output and "3,000.00" in listed.output
    assert "60.00%" in listed.output
    forecast = runner.invoke(app, ["forecast", "--team", "support", "--period", "2026-10",
                                   "--scenario", "growth=calls:+40%"], env={"COLUMNS": "80"})
    assert "195,581" in forecast.output and "273,813" in forecast.output
    assert "+40.00%" in forecast.output and "4,200.00" in forecast.output
    as_json = _json(["budgets", "status", "--team", "support", "--period", "2026-10"])
    assert as_json["checks"][0]["spent"] == "3000.00"          # machines: no separators


@pytest.mark.parametrize("columns", ["80", "200"])
def test_outcomes_report_never_cuts_cost_per_accepted_outcome(env, usage, columns):
    usage([event("c4", "2026-10-07", model="m-mixed", input_tokens=6_000_000_000,
                 requests=1_000, team="support", use_case="support-copilot-assistant")])
    outcomes = env / "outcomes.jsonl"
    outcomes.write_text("\n".join(json.dumps({
        "outcome_id": f"o{n}", "use_case": "support-copilot-assistant",
        "occurred_at": "2026-10-09T00:00:00Z", "accepted": n == 0}) for n in range(3)) + "\n")
    _json(["outcomes", "ingest", str(outcomes)])
    report = runner.invoke(app, ["outcomes", "report", "--period", "2026-10"],
                           env={"COLUMNS": columns})
    assert "…" not in report.output
    assert "support/support-copilot-assistant" in report.output
    assert "18,000.0000" in report.output and "18,000.00" in report.output
