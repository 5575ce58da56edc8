"""A long listing says how many rows it shows of how many, and how to see the rest."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from billing.budgets.alerts import Alert, raise_alerts
from billing.cli import app

runner = CliRunner()


@pytest.fixture
def quarantined(engine, database_url, monkeypatch, tmp_path):  # noqa: ANN001
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert runner.invoke(app, ["init"]).exit_code == 0
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(json.dumps({
        "event_id": f"bad-{n}", "occurred_at": "2026-10-01T12:00:00Z", "team": "support",
        "model": "gpt-4o-mini", "input_tokens": -1, "output_tokens": 1}) + "\n"
        for n in range(60)), encoding="utf-8")
    assert runner.invoke(app, ["ingest", str(path)]).exit_code == 1
    return path


def _said(*args: str) -> str:
    result = runner.invoke(app, ["quarantine", "list", *args], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def test_quarantine_list_says_what_it_shows_of_how_many(quarantined):
    assert "showing 50 of 60; --offset 50 for more (or --all)" in _said()
    rest = _said("--offset", "50")
    assert "showing 10 of 60 (rows 51 to 60)" in rest and "for more" not in rest
    assert "bad-59" in rest and "bad-49" not in rest
    assert "showing" not in _said("--all")
    assert "showing" not in _said("--limit", "60")
    page = json.loads(runner.invoke(app, ["quarantine", "list", "--limit", "5", "--offset",
                                          "10", "--json"]).stdout)
    assert (page["total"], page["limit"], page["offset"]) == (60, 5, 10)
    assert [row["event_id"] for row in page["rows"]] == [f"bad-{n}" for n in range(10, 15)]
    every = json.loads(runner.invoke(app, ["quarantine", "list", "--all", "--json"]).stdout)
    assert (every["total"], every["limit"], len(every["rows"])) == (60, None, 60)


def test_quarantine_status_help_lists_every_status():
    said = " ".join(runner.invoke(app, ["quarantine", "list", "--help"]).output.split())
    assert "pending, replayed, superseded, discarded or all" in said


def test_an_unknown_status_is_exit_2_naming_the_choices(quarantined):
    result = runner.invoke(app, ["quarantine", "list", "--status", "lost"])
    assert result.exit_code == 2 and "discarded" in result.output


def test_alerts_list_pages_the_same_way(engine, database_url, monkeypatch):  # noqa: ANN001
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert runner.invoke(app, ["init"]).exit_code == 0
    with engine.begin() as connection:
        raise_alerts(connection, [Alert(kind="anomaly", dedupe_key=f"page-{n}",
                                        severity="warning", message=f"spike {n}",
                                        period="2026-10") for n in range(3)])
    said = " ".join(runner.invoke(app, ["alerts", "list", "--limit", "2"]).output.split())
    assert "showing 2 of 3; --offset 2 for more (or --all)" in said
    page = json.loads(runner.invoke(app, ["alerts", "list", "--offset", "2", "--json"]).stdout)
    assert (page["total"], page["limit"], page["offset"]) == (3, 50, 2)
    assert [alert["message"] for alert in page["alerts"]] == ["spike 0"]
