"""The demo keeps its policies in its own folder and publishes them into its own database:
later commands on that database agree with its statements, and nothing else is changed."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from billing.cli import app
from billing.db import engine_for
from billing.policies.in_force import policies_for

FIXTURES = Path(__file__).parent.parent / "fixtures" / "usage"
runner = CliRunner()


def test_commands_after_the_demo_agree_with_its_statements(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "BILLING_ATTRIBUTION_RULES", "BILLING_OVERHEAD_POOLS",
                 "BILLING_REGISTRY", "BILLING_DOCUMENTS_DIR", "BILLING_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'billing.db'}")
    demo = runner.invoke(app, ["demo", "--events", "4000", "--json"])
    assert demo.exit_code == 0, demo.output
    kept = sorted(path.name for path in (tmp_path / "demo" / "policies").iterdir())
    assert kept == ["attribution.yaml", "overhead.yaml", "parties.yaml"]
    left = {path.name for path in tmp_path.iterdir()}
    assert left <= {"billing.db", "billing.db-wal", "billing.db-shm", "demo", "documents"}, left
    closed = json.loads(demo.stdout)["close"]
    assert closed["status"] == "closed" and closed["warnings"] == []
    assert closed["policies"]["overhead"] == "overhead@demo"

    statements = json.loads(runner.invoke(app, ["statements", "list", "--json"]).stdout)
    assert statements and all((tmp_path / item["pdf_path"]).is_file() for item in statements)
    for item in statements:
        report = json.loads(runner.invoke(app, ["showback", "--team", item["subject"],
                                                "--period", "2026-10", "--json"]).stdout)
        assert Decimal(report["charged_overhead"]) > 0
        assert Decimal(report["total"]) == Decimal(item["total"]), item["subject"]

    edited = (tmp_path / "demo" / "policies" / "overhead.yaml")
    edited.write_text(edited.read_text().replace("4800.00", "1.00"))
    again = runner.invoke(app, ["demo", "--events", "4000"])
    assert again.exit_code == 0, again.output
    assert "not published" in again.output and "1.00" in edited.read_text()
    assert [row["version"] for row in json.loads(runner.invoke(
        app, ["policy", "list", "--json"]).stdout) if row["kind"] == "overhead"] == ["demo"]


def test_the_demo_changes_nothing_another_database_computes(tmp_path, monkeypatch):
    """Another database run from the demo's folder sees none of its policies: they live in
    the demo's database, not in files the engine would pick up from the folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BILLING_CONFIG", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'billing.db'}")
    assert runner.invoke(app, ["demo", "--events", "2000", "--json"]).exit_code == 0
    other = tmp_path / "other.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{other}")
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert runner.invoke(app, ["ingest", str(FIXTURES / "native.jsonl")]).exit_code == 1  # bad rows
    assert runner.invoke(app, ["rate"]).exit_code == 0
    engine = engine_for(f"sqlite:///{other}")
    policies = policies_for(engine, "2026-10")
    assert policies.pools == [] and policies.rules.rules == ()
    assert set(policies.versions.values()) == {"none"}
    listed = json.loads(runner.invoke(app, ["overhead", "list", "--json"]).stdout)
    assert listed["pools"] == [] and listed["version"] == "none"
