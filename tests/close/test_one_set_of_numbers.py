"""One set of numbers: on a closed demo month every surface shows each team's and each
customer's money as its statement or invoice does, to the cent.

Surfaces: the statement's JSON twin and PDF, GET /v1/showback (plain and grouped by day and
customer), `billing showback --json`, GET /v1/budgets and `billing budgets list --json` (usage
and total variance), GET /v1/trends, GET /v1/outcomes/unit-economics and `billing outcomes
report --json`, the FOCUS export (showback and chargeback views), the showback table export,
and, for customers, the invoices in Stripe (the real SDK against a local Stripe).
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pdfplumber
import pytest
import stripe_server
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from billing.api.app import create_app
from billing.api_keys import create_key
from billing.budgets.budget import Budget, Scope
from billing.budgets.store import set_budget
from billing.cli import app
from billing.close.period_close import close_period
from billing.ledger.outcomes import ingest_outcomes
from billing.models import Document
from billing.rating.card_registry import published_versions
from billing.rating.rate import Cards, rate

PERIOD = "2026-10"
NOW = datetime(2026, 11, 2, 6, tzinfo=UTC)
runner = CliRunner()


@pytest.fixture
def fake():  # noqa: ANN201
    with stripe_server.FakeStripe() as server:
        yield server


@pytest.fixture
def closed(month, close_settings, database_url, monkeypatch, tmp_path, fake):  # noqa: ANN001, ANN201
    close_settings = replace(close_settings, stripe_api_key=fake.api_key,
                             stripe_api_base=fake.url)
    rate(month, Cards(team=published_versions(month, "internal"),
                      customer=published_versions(month, "external")), zone=close_settings.zone)
    for team, amount in (("support", "40.00"), ("search", "900.00"), ("legal-ops", "1.00")):
        set_budget(month, Budget(Scope.of(team), PERIOD, Decimal(amount), "USD"))
    set_budget(month, Budget(Scope.of("support", "support-copilot"), PERIOD, Decimal("5.00"),
                             "USD"))
    outcomes = [{"outcome_id": f"o-{n}", "use_case": use_case, "team": team,
                 "occurred_at": "2026-10-10T10:00:00Z", "accepted": n % 3 != 0}
                for n, (team, use_case) in enumerate(
                    [("support", "support-copilot"), ("search", "search-answers"),
                     ("legal-ops", "contract-extraction")] * 40)]
    ingest_outcomes(month, outcomes, zone=ZoneInfo("UTC"))
    result = close_period(month, close_settings, PERIOD, now=NOW)
    assert result.status == "closed" and result.stripe and not result.stripe["failed"]
    for name, value in (("DATABASE_URL", database_url),
                        ("BILLING_DOCUMENTS_DIR", str(close_settings.documents_dir))):
        monkeypatch.setenv(name, value)
    key = create_key(month, "finance")[0]
    with TestClient(create_app(close_settings)) as client:
        yield month, client, {"Authorization": f"Bearer {key}"}, tmp_path, fake


def _documents(engine, kind: str) -> dict[str, dict]:  # noqa: ANN001
    table = Document.__table__
    with engine.connect() as connection:
        rows = connection.execute(table.select().where(table.c.kind == kind,
                                                       table.c.period == PERIOD)).all()
    return {row.subject: {**json.loads(row.content), "pdf_path": row.pdf_path} for row in rows}


def _cli(*args: str) -> object:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _money(value: str | None) -> Decimal:
    return Decimal(value or "0")


def test_every_surface_shows_each_team_what_its_statement_says(closed):
    engine, client, finance, tmp_path, fake = closed
    statements = _documents(engine, "statement")
    assert len(statements) >= 4
    budgets_api = {(item["scope"], item["scope_key"]): item for item in client.get(
        f"/v1/budgets?period={PERIOD}", headers=finance).json()}
    budgets_cli = {(item["scope"], item["scope_key"]): item
                   for item in _cli("budgets", "list", "--period", PERIOD)}
    assert budgets_api == budgets_cli
    economics_api = client.get(f"/v1/outcomes/unit-economics?period={PERIOD}",
                               headers=finance).json()
    economics_cli = _cli("outcomes", "report", "--period", PERIOD)
    assert [(e["team"], e["use_case"], e["cost_per_accepted_outcome"]) for e in economics_api] \
        == [(e["team"], e["use_case"], e["cost_per_accepted_outcome"]) for e in economics_cli]
    economics = {(item["team"], item["use_case"]): item for item in economics_api}
    focus = tmp_path / "focus.csv"
    _cli("export", "focus", "--period", PERIOD, "-o", str(focus))
    table = tmp_path / "showback.csv"
    _cli("export", "showback", "--period", PERIOD, "-o", str(table))
    focus_by_team: dict[str, Decimal] = defaultdict(Decimal)
    with focus.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["x_Team"]:
                focus_by_team[row["x_Team"]] += Decimal(row["BilledCost"])
    table_by_team: dict[str, Decimal] = defaultdict(Decimal)
    with table.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["kind"] != "central_overhead":
                table_by_team[row["team"]] += Decimal(row["amount"])

    for team, twin in statements.items():
        usage, total = Decimal(twin["usage_total"]), Decimal(twin["total"])
        api = client.get(f"/v1/showback/{team}?period={PERIOD}", headers=finance).json()
        cli = _cli("showback", "--team", team, "--period", PERIOD)
        assert api == cli
        assert (_money(api["usage_total"]), _money(api["total"])) == (usage, total), team
        assert [Decimal(line["amount"]) for line in api["lines"]] and sorted(
            Decimal(line["amount"]) for line in api["lines"]) == sorted(
            Decimal(line["amount"]) for line in twin["lines"])
        assert {(s["pool"], s["amount"]) for s in api["overhead"]} == {
            (s["pool"], s["amount"]) for s in twin["overhead"]}
        for by in ("day", "customer", "model"):
            grouped = client.get(f"/v1/showback/{team}?period={PERIOD}&group_by={by}",
                                 headers=finance).json()
            assert _money(grouped["total"]) == usage, (team, by)
            assert sum(_money(line["amount"]) for line in grouped["lines"]) == usage
        trends = client.get(f"/v1/trends/{team}?until={PERIOD}&months=2",
                            headers=finance).json()
        assert (_money(trends["total"][-1]), _money(trends["total_with_overhead"][-1])) == (
            usage, total)
        assert sum(_money(s["values"][-1]) for s in trends["by_use_case"]) == usage
        assert focus_by_team[team] == total, team
        assert table_by_team[team] == total, team
        budget = budgets_api.get(("team", team))
        if twin["budget"] is not None:
            assert budget is not None
            assert _money(budget["variance"]["actual"]) == usage
            assert _money(budget["variance"]["absolute"]) == Decimal(twin["variance"])
            assert _money(budget["total_variance"]["actual"]) == total
            side = "over budget" if Decimal(twin["variance"]) > 0 else "under budget"
            assert budget["variance"]["standing"] == side
        for outcome in twin["outcomes"]:
            item = economics[(team, outcome["use_case"])]
            assert item["cost_per_accepted_outcome"] == outcome["cost_per_accepted"], team
            assert _money(item["cost"]) == Decimal(outcome["cost"])
        with pdfplumber.open(Path(twin["pdf_path"])) as pdf:
            text = "\n".join(page.extract_text() or "" for page in pdf.pages)
        assert f"${total:,.2f}" in text, team
        for outcome in twin["outcomes"]:
            if outcome["cost_per_accepted"]:
                each = Decimal(outcome["cost_per_accepted"])  # printed without trailing 0s
                assert f"${each:,.4f}" in text or f"${each.normalize():,f}" in text, team

    copilot = budgets_api[("use_case", "support/support-copilot")]
    copilot_lines = sum((Decimal(line["amount"]) for line in statements["support"]["lines"]
                         if line["use_case"] == "support-copilot"), Decimal(0))
    assert _money(copilot["variance"]["actual"]) == copilot_lines


def test_every_surface_shows_each_customer_what_its_invoice_says(closed):
    engine, client, finance, tmp_path, fake = closed
    invoices = _documents(engine, "invoice")
    assert invoices
    focus = tmp_path / "chargeback.csv"
    _cli("export", "focus", "--period", PERIOD, "--view", "chargeback", "-o", str(focus))
    by_customer: dict[str, Decimal] = defaultdict(Decimal)
    with focus.open(newline="") as handle:
        for row in csv.DictReader(handle):
            by_customer[row["x_Customer"]] += Decimal(row["BilledCost"])
    in_stripe = {item["metadata"]["invoice_number"]: item for item in fake.of("invoice")}
    for customer, twin in invoices.items():
        assert by_customer[customer] == Decimal(twin["subtotal"]), customer
        pushed = in_stripe[twin["invoice_number"]]
        assert Decimal(pushed["total"]) / 100 == Decimal(twin["total"]), customer
        assert sorted(Decimal(line["amount"]) / 100 for line in pushed["lines"]["data"]) == \
            sorted([*(Decimal(line["amount"]) for line in twin["lines"]),
                    *([Decimal(twin["tax"])] if Decimal(twin["tax"]) else [])])
        listed = client.get(f"/v1/customers/{customer}/invoices", headers=finance).json()
        assert [Decimal(item["total"]) for item in listed["data"]] == [Decimal(twin["total"])]
