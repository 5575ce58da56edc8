"""The FOCUS and showback exports against the rated ledger, on SQLite and PostgreSQL.

The export must reconcile with what teams are shown: its BilledCost, rounded per statement
line, is the showback to the cent, and its charged overhead rows are the overhead shares.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from billing.api.app import create_app
from billing.api_keys import create_key
from billing.cli import app
from billing.close.showback import showback
from billing.exports.focus import COLUMNS
from billing.exports.focus_data import NoRatedUsage, focus_dataset
from billing.exports.showback_table import NoShowback, showback_rows, teams_with_usage
from billing.models import RatedLine
from billing.money import round_line
from tests_support import pools_in_force

PERIOD = "2026-10"
runner = CliRunner()


def _showbacks(engine, settings) -> dict:  # noqa: ANN001
    pools = pools_in_force(engine)
    return {team: showback(engine, team, PERIOD, pools=pools)
            for team in teams_with_usage(engine, PERIOD)}


def test_billed_cost_is_the_showback_to_the_cent(rated_month, close_settings):  # noqa: ANN001
    rows = focus_dataset(rated_month, close_settings, PERIOD).rows
    by_line: dict[tuple, Decimal] = defaultdict(Decimal)
    overhead: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        if row["x_OverheadPool"]:
            overhead[row["x_Team"]] += row["BilledCost"]
        elif row["x_Team"]:
            by_line[(row["x_Team"], row["x_UseCase"], row["x_Model"], row["x_Tier"],
                     row["x_Environment"])] += row["BilledCost"]
    showbacks = _showbacks(rated_month, close_settings)
    assert showbacks and sum(overhead.values()) == Decimal("4800.00")  # the charged pool
    for team, report in showbacks.items():
        lines = {(team, line.use_case, line.model, line.tier, line.environment): line.amount
                 for line in report.lines}
        assert {key for key in by_line if key[0] == team} == set(lines)
        assert {key: round_line(by_line[key], "USD") for key in lines} == lines
        assert overhead[team] == report.charged_overhead
        assert sum(lines.values()) + overhead[team] == report.total


def test_costs_equal_the_rated_ledger_exactly(rated_month, close_settings):  # noqa: ANN001
    rated = RatedLine.__table__
    with rated_month.connect() as connection:
        ledger = connection.execute(
            select(rated.c.amount, rated.c.provider_cost).where(
                rated.c.view == "showback", rated.c.period == PERIOD,
                rated.c.amount.is_not(None))).all()
    dataset = focus_dataset(rated_month, close_settings, PERIOD)
    usage = [row for row in dataset.rows if not row["x_OverheadPool"]]
    assert sum(row["ContractedCost"] for row in usage) == sum(line.amount for line in ledger)
    # BilledCost is what the documents bill: each line rounded once, spread over its rows
    exact = sum(line.amount for line in ledger)
    billed = sum(row["BilledCost"] for row in usage)
    assert billed == billed.quantize(Decimal("0.01")) and abs(billed - exact) < Decimal("0.50")
    assert sum(row["ListCost"] for row in usage) == sum(line.provider_cost for line in ledger)
    assert dataset.unpriced_lines == 0  # the demo's self-hosted model is on a capacity card


def test_chargeback_view_is_customers_without_overhead(rated_month, close_settings):  # noqa: ANN001
    rows = focus_dataset(rated_month, close_settings, PERIOD, "chargeback").rows
    assert rows and all(row["x_Customer"] and row["BillingAccountType"] == "Customer"
                        for row in rows)
    assert not any(row["x_OverheadPool"] for row in rows)
    with pytest.raises(NoRatedUsage, match="2026-09"):
        focus_dataset(rated_month, close_settings, "2026-09")


@pytest.fixture
def cli_env(rated_month, close_settings, database_url, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setenv("DATABASE_URL", database_url)
    return close_settings


def test_cli_writes_focus_csv_and_parquet(cli_env, tmp_path: Path):  # noqa: ANN001
    target = tmp_path / "focus.csv"
    result = runner.invoke(app, ["export", "focus", "--period", PERIOD, "-o", str(target),
                                 "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    with target.open(newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        rows = list(reader)
    assert summary["rows"] == len(rows) and summary["overhead_rows"] == 6
    assert not any("E" in row["BilledCost"] or "e" in row["BilledCost"] for row in rows)
    billed = sum(Decimal(row["BilledCost"]) for row in rows)
    assert str(billed.normalize()) == str(Decimal(summary["totals"]["USD"]["billed_cost"])
                                          .normalize())
    parquet = tmp_path / "focus.parquet"
    result = runner.invoke(app, ["export", "focus", "--period", PERIOD, "--format", "parquet",
                                 "-o", str(parquet), "--view", "chargeback"])
    assert result.exit_code == 0, result.output
    table = pq.read_table(parquet)
    assert table.num_rows > 0 and str(table.schema.field("BilledCost").type) == (
        "decimal128(38, 18)")
    assert all(isinstance(value, Decimal) for value in table.column("BilledCost").to_pylist())


def test_cli_errors_say_what_to_do(cli_env, tmp_path: Path):  # noqa: ANN001
    empty = runner.invoke(app, ["export", "focus", "--period", "2026-09", "-o",
                                str(tmp_path / "x.csv")])
    assert empty.exit_code == 2 and "no rated usage in 2026-09" in empty.output
    bad = runner.invoke(app, ["export", "focus", "--period", PERIOD, "--format", "xlsx", "-o",
                              str(tmp_path / "x.xlsx")])
    assert bad.exit_code == 2 and "csv or parquet" in bad.output
    for command in (["export", "--help"], ["export", "focus", "--help"],
                    ["export", "showback", "--help"]):
        assert runner.invoke(app, command).exit_code == 0


def test_a_format_contradicting_the_output_name_is_refused_or_inferred(cli_env, tmp_path):  # noqa: ANN001
    for command in ("focus", "showback"):
        wrong = tmp_path / f"{command}.csv"
        refused = runner.invoke(app, ["export", command, "--period", PERIOD, "--format",
                                      "parquet", "-o", str(wrong)])
        said = " ".join(refused.output.split())
        assert refused.exit_code == 2 and not wrong.exists(), said
        assert f"--format parquet contradicts the output name {command}.csv" in said
        assert "change the extension to .parquet, or drop --format" in said
        inferred = tmp_path / f"{command}.parquet"
        result = runner.invoke(app, ["export", command, "--period", PERIOD, "-o",
                                     str(inferred), "--json"])
        assert result.exit_code == 0 and json.loads(result.output)["format"] == "parquet"
        assert pq.read_table(inferred).num_rows > 0
        plain = tmp_path / f"{command}-table"
        result = runner.invoke(app, ["export", command, "--period", PERIOD, "-o", str(plain),
                                     "--json"])
        assert result.exit_code == 0 and json.loads(result.output)["format"] == "csv"


def test_showback_table_adds_up_to_each_team(cli_env, rated_month, tmp_path: Path):  # noqa: ANN001
    showbacks = _showbacks(rated_month, cli_env)
    rows = showback_rows(rated_month, cli_env, PERIOD)
    for team, report in showbacks.items():
        mine = [row for row in rows if row["team"] == team and row["kind"] != "central_overhead"]
        assert sum(row["amount"] for row in mine) == report.total
    target = tmp_path / "support.csv"
    result = runner.invoke(app, ["export", "showback", "--period", PERIOD, "--team", "support",
                                 "-o", str(target), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["totals"]["USD"] == str(showbacks["support"].total)
    written = list(csv.DictReader(target.open(newline="")))
    assert {row["team"] for row in written} == {"support"}
    assert all(row["amount"].count(".") == 1 and len(row["amount"].split(".")[1]) == 2
               for row in written)
    parquet = tmp_path / "all.parquet"
    assert runner.invoke(app, ["export", "showback", "--period", PERIOD, "--format", "parquet",
                               "-o", str(parquet)]).exit_code == 0
    assert pq.read_table(parquet).num_rows == len(rows)
    with pytest.raises(NoShowback):
        showback_rows(rated_month, cli_env, PERIOD, "no-such-team")


def test_api_streams_focus_csv_to_finance_only(rated_month, close_settings):  # noqa: ANN001
    finance, _ = create_key(rated_month, "finance")
    team, _ = create_key(rated_month, "team", team="support")
    with TestClient(create_app(close_settings)) as client:
        url = f"/v1/export/focus?period={PERIOD}&format=csv"
        response = client.get(url, headers={"Authorization": f"Bearer {finance}"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        assert "focus-1.2-2026-10-showback.csv" in response.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(response.text)))
        expected = focus_dataset(rated_month, close_settings, PERIOD).rows
        assert len(rows) == len(expected)
        assert sum(Decimal(row["BilledCost"]) for row in rows) == sum(
            row["BilledCost"] for row in expected)
        admin = client.get(url, headers={"Authorization": "Bearer test-key"})
        assert admin.status_code == 200
        denied = client.get(url, headers={"Authorization": f"Bearer {team}"})
        assert denied.status_code == 403
        assert denied.headers["content-type"].startswith("application/problem+json")
        assert client.get(url).status_code == 401
        none = client.get("/v1/export/focus?period=2026-09",
                          headers={"Authorization": f"Bearer {finance}"})
        assert none.status_code == 404 and "2026-09" in none.json()["detail"]
        assert client.get("/v1/export/focus?period=2026-10&format=xml",
                          headers={"Authorization": f"Bearer {finance}"}).status_code == 422
        spec = client.get("/openapi.json").json()["paths"]["/v1/export/focus"]["get"]
        assert {"200", "401", "403", "404", "422"} <= set(spec["responses"])


def test_closed_period_rows_carry_their_document_numbers(rated_month, close_settings):  # noqa: ANN001
    from datetime import UTC, datetime

    from billing.close.document_store import list_documents
    from billing.close.period_close import close_period

    close_period(rated_month, close_settings, PERIOD, now=datetime(2026, 11, 2, tzinfo=UTC))
    [statement] = list_documents(rated_month, kinds="statement", subject="support",
                                 period=PERIOD, after_id=None, limit=5)
    [invoice] = list_documents(rated_month, kinds="invoice", subject="acme", period=PERIOD,
                               after_id=None, limit=5)
    showback_rows_ = focus_dataset(rated_month, close_settings, PERIOD).rows
    assert {row["InvoiceId"] for row in showback_rows_ if row["x_Team"] == "support"} == {
        statement["number"]}
    chargeback_rows = focus_dataset(rated_month, close_settings, PERIOD, "chargeback").rows
    assert {row["InvoiceId"] for row in chargeback_rows if row["x_Customer"] == "acme"} == {
        invoice["number"]}
