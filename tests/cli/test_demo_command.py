"""The demo leaves behind the configuration every later command reads, so their numbers agree."""

from __future__ import annotations

import json
from decimal import Decimal

from typer.testing import CliRunner

from billing.cli import app

runner = CliRunner()


def test_commands_after_the_demo_agree_with_its_statements(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "BILLING_ATTRIBUTION_RULES", "BILLING_OVERHEAD_POOLS",
                 "BILLING_REGISTRY", "BILLING_DOCUMENTS_DIR", "BILLING_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'billing.db'}")
    demo = runner.invoke(app, ["demo", "--events", "4000", "--json"])
    assert demo.exit_code == 0, demo.output
    assert all((tmp_path / name).is_file()
               for name in ("attribution.yaml", "overhead.yaml", "registry.yaml"))
    closed = json.loads(demo.stdout)["close"]
    assert closed["status"] == "closed" and closed["warnings"] == []

    statements = json.loads(runner.invoke(app, ["statements", "list", "--json"]).stdout)
    assert statements and all((tmp_path / item["pdf_path"]).is_file() for item in statements)
    for item in statements:
        report = json.loads(runner.invoke(app, ["showback", "--team", item["subject"],
                                                "--period", "2026-10", "--json"]).stdout)
        assert Decimal(report["charged_overhead"]) > 0
        assert Decimal(report["total"]) == Decimal(item["total"]), item["subject"]

    edited = (tmp_path / "overhead.yaml").read_text() + "\n# edited\n"
    (tmp_path / "overhead.yaml").write_text(edited)
    again = runner.invoke(app, ["demo", "--events", "4000", "--json"])
    assert again.exit_code == 0 and (tmp_path / "overhead.yaml").read_text() == edited
