"""close, statements list, invoices list and credit as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from billing.cli import app

USAGE = Path(__file__).parent.parent / "fixtures" / "usage"
runner = CliRunner()


@pytest.fixture
def env(engine, database_url, monkeypatch, tmp_path):  # noqa: ANN001
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name in ("BILLING_ATTRIBUTION_RULES", "BILLING_OVERHEAD_POOLS", "BILLING_REGISTRY"):
        monkeypatch.setenv(name, str(tmp_path / "none.yaml"))
    monkeypatch.setenv("BILLING_DOCUMENTS_DIR", str(tmp_path / "documents"))
    assert runner.invoke(app, ["init"]).exit_code == 0
    runner.invoke(app, ["ingest", str(USAGE / "native.jsonl")])
    return tmp_path


def test_close_dry_run_then_close_then_again(env):
    preview = json.loads(runner.invoke(app, ["close", "--period", "2026-10", "--dry-run",
                                             "--json"]).stdout)
    assert preview["status"] == "dry_run" and not (env / "documents").exists()
    closed = runner.invoke(app, ["close", "--period", "2026-10"])
    assert closed.exit_code == 0 and "2026-10 closed" in closed.output
    assert "warning:" in closed.output and "add it under `customers:`" in closed.output
    again = runner.invoke(app, ["close", "--period", "2026-10"])
    assert "nothing new produced" in again.output
    statements = json.loads(runner.invoke(app, ["statements", "list", "--json"]).stdout)
    assert statements and all(Path(item["pdf_path"]).exists() for item in statements)
    invoices = json.loads(runner.invoke(app, ["invoices", "list", "--json"]).stdout)
    # a few tokens, under a cent, trued up to acme's commitment on the external card
    assert [item["total"] for item in invoices] == ["2500.00"]
    credit = runner.invoke(app, ["invoices", "credit", invoices[0]["number"], "--amount",
                                 "2500.01", "--reason", "goodwill"])
    assert credit.exit_code == 2 and "at most 2500.00 can be" in credit.output
    human = runner.invoke(app, ["invoices", "list"])
    assert invoices[0]["number"] in human.output


def test_close_refuses_an_open_month_and_says_what_to_do(env):
    result = runner.invoke(app, ["close", "--period", "2099-01"])
    assert result.exit_code == 2 and "not over" in result.output


def test_stripe_commands_need_a_key(env):
    result = runner.invoke(app, ["stripe", "push", "--period", "2026-10"])
    assert result.exit_code == 2 and "STRIPE_API_KEY" in result.output


@pytest.mark.parametrize("columns", ["80", "200"])
def test_document_lists_show_whole_numbers_and_where_the_pdfs_are(env, columns):
    assert runner.invoke(app, ["close", "--period", "2026-10"]).exit_code == 0
    statements = json.loads(runner.invoke(app, ["statements", "list", "--json"]).stdout)
    human = runner.invoke(app, ["statements", "list"], env={"COLUMNS": columns})
    assert "…" not in human.output
    table = [line for line in human.output.splitlines() if line[:1] in "┏┃┡│└"]
    assert table and max(len(line) for line in table) <= int(columns)
    for item in statements:
        assert item["number"] in human.output and f"{item['total']} USD" in human.output
    folder = str(Path(statements[0]["pdf_path"]).parent)
    assert f"PDFs in {folder}, named by document number." in human.output.replace("\n", "")
    invoices = runner.invoke(app, ["invoices", "list"], env={"COLUMNS": columns})
    assert "INV-2026-00001" in invoices.output and "…" not in invoices.output
