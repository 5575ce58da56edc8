"""init publishes the shipped cards; rate, showback and ratecards commands as a user runs them."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from billing.cli import app

USAGE = Path(__file__).parent.parent / "fixtures" / "usage"
runner = CliRunner()


@pytest.fixture
def env(engine, database_url, monkeypatch, tmp_path):  # noqa: ANN001
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert runner.invoke(app, ["init"]).exit_code == 0
    return database_url


def test_init_publishes_shipped_cards_once(env):
    again = json.loads(runner.invoke(app, ["init", "--json"]).stdout)
    assert {card["status"] for card in again["rate_cards"]} == {"unchanged"}
    listed = json.loads(runner.invoke(app, ["ratecards", "list", "--json"]).stdout)
    assert {(c["card"], c["version"]) for c in listed} >= {("internal", "2026-10"),
                                                           ("external", "2026-10")}


def test_rate_then_showback_then_nothing_to_do(env):
    runner.invoke(app, ["ingest", str(USAGE / "native.jsonl")])
    first = json.loads(runner.invoke(app, ["rate", "--json"]).stdout)
    assert first["events"] == 4 and not first["nothing_to_do"]
    second = json.loads(runner.invoke(app, ["rate", "--json"]).stdout)
    assert second["nothing_to_do"]
    result = runner.invoke(app, ["showback", "--team", "support", "--period", "2026-10",
                                 "--json"])
    report = json.loads(result.stdout)
    assert report["team"] == "support" and report["currency"] == "USD"
    assert [line["model"] for line in report["lines"]] == ["gpt-4o-mini"]
    assert report["total"] == report["lines"][0]["amount"]
    human = runner.invoke(app, ["showback", "--team", "support", "--period", "2026-10"])
    assert "gpt-4o-mini" in human.output and "total" in human.output


def test_showback_for_an_unknown_team_says_what_to_do(env):
    result = runner.invoke(app, ["showback", "--team", "nobody", "--period", "2026-10"])
    assert result.exit_code == 2 and "billing rate" in result.output


def test_rerate_needs_a_period(env):
    result = runner.invoke(app, ["rate", "--rerate"])
    assert result.exit_code == 2 and "--period" in result.output


def test_quote_and_unpriced_model(env):
    result = runner.invoke(app, ["quote", "--model", "gpt-4o-mini", "--input", "1000000",
                                 "--output", "0", "--at", "2026-10-15", "--json"])
    quoted = json.loads(result.stdout)
    assert quoted["card"] == "internal" and quoted["version"] == "2026-10"
    assert quoted["tier"] == "good"
    assert quoted["internal_price"] != "0"
    missing = runner.invoke(app, ["quote", "--model", "no-such-model", "--input", "1",
                                  "--output", "1"])
    assert missing.exit_code == 1 and "no-such-model" in missing.output


def test_publish_refuses_a_changed_file_under_a_published_version(env, tmp_path):
    shipped = Path(__file__).parents[2] / "ratecards" / "cards" / "internal-2026-10.yaml"
    changed = tmp_path / "internal-2026-10.yaml"
    changed.write_text(shipped.read_text().replace('markup: "0.', 'markup: "1.', 1))
    result = runner.invoke(app, ["ratecards", "publish", str(changed)])
    assert result.exit_code == 1 and "already published" in " ".join(result.output.split())
    same = runner.invoke(app, ["ratecards", "publish", str(shipped)])
    assert same.exit_code == 0 and "nothing to do" in same.output


def _long_names_usage(path: Path) -> Path:
    lines = [json.dumps({"event_id": f"long-{n}", "occurred_at": "2026-10-05T12:00:00Z",
                         "team": "support", "use_case": "contract-extraction",
                         "environment": environment, "provider": "aws-bedrock",
                         "model": "bedrock/claude-sonnet-4", "input_tokens": 900_000_000,
                         "output_tokens": 100_000_000, "requests": 12_345})
             for n, environment in enumerate(("production", "staging"))]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("columns", ["80", "200"])
def test_showback_never_cuts_names_or_amounts_and_shows_environment(env, tmp_path, columns):
    runner.invoke(app, ["ingest", str(_long_names_usage(tmp_path / "long.jsonl"))])
    assert runner.invoke(app, ["rate"]).exit_code == 0
    report = json.loads(runner.invoke(app, ["showback", "--team", "support", "--period",
                                            "2026-10", "--json"]).stdout)
    amounts = {line["environment"]: line["amount"] for line in report["lines"]}
    result = runner.invoke(app, ["showback", "--team", "support", "--period", "2026-10"],
                           env={"COLUMNS": columns})
    assert result.exit_code == 0, result.output
    assert "…" not in result.output
    assert max(len(line) for line in result.output.splitlines()) <= int(columns)
    assert "environment" in result.output
    for line in result.output.splitlines():
        if "staging" in line or "production" in line:
            assert "contract-extraction" in line and "bedrock/claude-sonnet-4" in line
    for amount in amounts.values():
        assert f"{Decimal(amount):,}" in result.output      # 4,567.89: thousands separated
    if columns == "200":
        assert "provider cost" in result.output and "12,345" in result.output
        assert "900,000,000" in result.output
    else:
        assert "hidden at this width: cached" in result.output
