"""Policies come only from the database: files in the working directory and the old variables
change nothing; commands amend pools by publishing, closed months keep theirs; the API takes
its settings by dependency."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from billing.api.app import create_app
from billing.cli import app
from billing.close.period_close import close_period
from billing.config import get_settings, load_settings
from billing.policies.document import PolicyValidationError
from billing.policies.in_force import policies_for
from billing.policies.registry import published_versions, version_for
from tests_support import POOLS, REGISTRY, pools_in_force, publish_pools

USAGE = Path(__file__).parent.parent / "fixtures" / "usage"
runner = CliRunner()


@pytest.fixture
def cli(engine, database_url, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert runner.invoke(app, ["ingest", str(USAGE / "native.jsonl")]).exit_code == 1  # bad rows
    assert runner.invoke(app, ["rate"]).exit_code == 0
    return engine


def test_files_in_the_working_directory_and_old_variables_change_nothing(
        cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "overhead.yaml").write_text(POOLS)
    (tmp_path / "registry.yaml").write_text(REGISTRY)
    (tmp_path / "attribution.yaml").write_text(
        "rules:\n  - {name: all, match: {model: gpt-4o}, set: {team: hijacked}}\n")
    monkeypatch.setenv("BILLING_OVERHEAD_POOLS", str(tmp_path / "overhead.yaml"))
    shown = runner.invoke(app, ["showback", "--team", "support", "--period", "2026-10",
                                "--json"])
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.stdout)
    assert report["overhead"] == [] and Decimal(report["charged_overhead"]) == 0
    assert "BILLING_OVERHEAD_POOLS no longer read" in shown.stderr
    assert "billing policy import" in shown.stderr
    policies = policies_for(cli, "2026-10")
    assert (policies.pools, policies.rules.rules, policies.registry.customers) == ([], (), {})
    assert load_settings().legacy_policy_env == ("BILLING_OVERHEAD_POOLS",)

    imported = runner.invoke(app, ["policy", "import", "--dir", str(tmp_path), "--json"])
    assert imported.exit_code == 0, imported.output
    after = json.loads(runner.invoke(app, ["showback", "--team", "support", "--period",
                                           "2026-10", "--json"]).stdout)
    assert [share["pool"] for share in after["overhead"]] == ["observability", "platform"]


def test_overhead_set_publishes_from_the_first_open_month_and_a_closed_month_keeps_its_pools(
        cli, close_settings):
    first = runner.invoke(app, ["overhead", "set", "gpu", "--amount", "100.00", "--driver",
                                "even", "-m", "gpu cluster", "--json"])
    assert first.exit_code == 0, first.output
    made = json.loads(first.stdout)
    assert (made["version"], made["effective_from"]) == ("overhead@2000-01.1", "2000-01")
    assert [p.name for p in pools_in_force(cli)] == ["observability", "platform", "gpu"]
    again = json.loads(runner.invoke(app, ["overhead", "set", "gpu", "--amount", "100.00",
                                           "--driver", "even", "--json"]).stdout)
    assert again["version"] is None  # the same pool again publishes nothing

    closed = close_period(cli, close_settings, "2026-10", now=datetime(2026, 11, 2, tzinfo=UTC))
    assert closed.status == "closed" and closed.policies["overhead"] == "overhead@2000-01.1"
    later = json.loads(runner.invoke(app, ["overhead", "set", "gpu", "--amount", "999.00",
                                           "--driver", "even", "--json"]).stdout)
    assert later["effective_from"] == "2026-11"
    assert version_for(cli, "overhead", "2026-10").ref == "overhead@2000-01.1"
    assert next(p.amount for p in pools_in_force(cli, "2026-11") if p.name == "gpu") == 999
    refused = runner.invoke(app, ["overhead", "remove", "gpu", "--from", "2026-10"])
    assert refused.exit_code == 2 and isinstance(refused.exception, SystemExit)
    assert "2026-10 is closed" in " ".join(refused.output.split())
    assert version_for(cli, "overhead", "2026-10").ref == "overhead@2000-01.1"


def test_no_new_version_may_be_in_force_in_a_closed_month(month, close_settings):
    close_period(month, close_settings, "2026-10", now=datetime(2026, 11, 2, tzinfo=UTC))
    before = [v.ref for v in published_versions(month)]
    with pytest.raises(PolicyValidationError) as refused:
        publish_pools(month, POOLS, effective_from="2026-09")
    problem = refused.value.problems[0]
    assert problem.field == "effective_from" and "2026-10 is closed" in problem.message
    assert [v.ref for v in published_versions(month)] == before
    publish_pools(month, POOLS, effective_from="2026-11")  # after the closed month: fine


def test_the_api_takes_its_settings_by_dependency(engine, settings, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    api = create_app()
    api.dependency_overrides[get_settings] = lambda: settings
    with TestClient(api) as client:
        assert client.get("/v1/coverage?period=2026-10").status_code == 401
        ok = client.get("/v1/coverage?period=2026-10",
                        headers={"Authorization": f"Bearer {settings.api_key}"})
        assert ok.status_code == 200, ok.text
    assert get_settings() is get_settings()  # read once per process
