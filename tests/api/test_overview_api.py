"""GET /v1/overview and the statement's review page, against the functions they show.

The organisation page for finance must print the figures the statements, budgets, coverage,
the KPI review and the alerts print, so each is checked against its own endpoint; a team key
may not read it. The statement PDF is read back with pdfplumber: its KPI page shows the team's
review as GET /v1/kpis gives it, and its promoted-changes section the measure GET
/v1/levers/realised gives.
"""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import pdfplumber
import pytest
from dashboard_support import CARDS
from fastapi.testclient import TestClient
from overview_support import seed_finance_world
from typer.testing import CliRunner

from billing.api.app import create_app
from billing.cli import app
from billing.money import round_line
from invoices.formatting import format_date, format_percent, format_unit_price

CLOSED = "2026-10"


@pytest.fixture(scope="module")
def world(database_url, tmp_path_factory):  # noqa: ANN001, ANN201
    settings, keys = seed_finance_world(database_url, tmp_path_factory.mktemp("documents"))
    with TestClient(create_app(settings)) as client:
        yield client, keys


def _get(client: TestClient, key: str, path: str) -> object:
    response = client.get(path, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text
    return response.json()


def test_only_finance_and_admin_keys_read_the_overview(world):
    client, keys = world
    path = f"/v1/overview?period={CLOSED}"
    response = client.get(path, headers={"Authorization": f"Bearer {keys['team']}"})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "finance" in response.json()["detail"]
    assert client.get(path).status_code == 401
    assert _get(client, keys["admin"], path)["teams"] == _get(client, keys["finance"],
                                                              path)["teams"]
    bad = client.get("/v1/overview?period=2026-13",
                     headers={"Authorization": f"Bearer {keys['finance']}"})
    assert bad.status_code == 422


def test_the_overview_shows_what_each_owning_endpoint_shows(world):
    client, keys = world
    key = keys["finance"]
    overview = _get(client, key, f"/v1/overview?period={CLOSED}")
    assert overview["closed"] is True
    budgets = {b["team"]: b for b in _get(client, key, f"/v1/budgets?period={CLOSED}")
               if b["scope"] == "team"}
    teams = {row["team"]: row for row in overview["teams"]}
    assert set(teams) >= {"support", "search", "legal-ops"}
    for name, row in teams.items():
        [statement] = _get(client, key, f"/v1/teams/{name}/statements?period={CLOSED}")["data"]
        assert row["total"] == statement["total"] == row["statement"]["total"], name
        assert row["statement"]["number"] == statement["number"]
        showback = _get(client, key, f"/v1/showback/{name}?period={CLOSED}")
        assert (row["usage_total"], row["total"]) == (showback["usage_total"],
                                                      showback["total"]), name
        if name in budgets:
            assert row["budget"]["amount"] == budgets[name]["amount"]
            assert row["budget"]["variance"] == budgets[name]["variance"]
        else:
            assert row["budget"] is None
        # forecast vs actual: what September's close forecast for October, scored
        assert row["forecast"]["forecast_taken_at_close_of"] == "2026-09"
        forecast, actual = Decimal(row["forecast"]["forecast"]), Decimal(row["forecast"]["actual"])
        assert Decimal(row["forecast"]["error_percent"]) == ((actual - forecast) / forecast
                                                            * 100).quantize(Decimal("0.1"))
    [total] = overview["totals"]
    assert Decimal(total["total"]) == sum(Decimal(row["total"]) for row in teams.values())

    coverage = _get(client, key, f"/v1/coverage?period={CLOSED}")["spend"]
    shown = overview["coverage"]
    assert {name: shown[name] for name in coverage} == coverage
    assert Decimal(shown["unattributed"]) == round_line(
        Decimal(coverage["spend"]) - Decimal(coverage["attributed_after_rules"]), "USD") > 0
    assert all(row["team"] is None or row["use_case"] is None for row in shown["sources"])

    assert overview["kpis"]["use_cases"] == _get(client, key,
                                                 f"/v1/kpis?period={CLOSED}")["use_cases"]
    anomalies = _get(client, key, f"/v1/alerts?period={CLOSED}&kind=anomaly")
    assert [a["id"] for a in overview["anomalies"]] == [a["id"] for a in anomalies]
    assert anomalies, "the demo month's anomalies"
    numbers = {d["number"] for d in overview["documents"]}
    assert {row["statement"]["number"] for row in teams.values()} <= numbers
    assert any(number.startswith("INV-") for number in numbers)
    assert all(d["pdf_url"] and "pdf_path" not in d for d in overview["documents"])


def _review_page(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        pages = [page.extract_text() or "" for page in document.pages]
    [page] = [text for text in pages if "KPI review" in text]
    return page


def test_the_statement_prints_the_team_kpis_and_the_promoted_change(world):
    client, keys = world
    key = keys["team"]
    review = _get(client, key, f"/v1/kpis?period={CLOSED}")
    response = client.get(f"/v1/statements/ST-{CLOSED}-support.pdf",
                          headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    page = _review_page(response.content)
    lines = page.splitlines()
    assert "Team support" in page
    for row in review["use_cases"]:
        assert f"{row['use_case']} · owner: {row['owner']}" in page
        kpis = row["kpis"]
        for name, label in (("input_share", "Input share of token spend"),
                            ("cache_hit_rate", "Cache hit rate")):
            kpi = kpis[name]
            side = "≥" if name == "cache_hit_rate" else "≤"
            expected = (f"{label} {format_percent(Decimal(kpi['value']) / 100, 'en_US')} "
                        f"{side} {format_percent(Decimal(kpi['target']) / 100, 'en_US')} "
                        f"{kpi['status']}")
            assert any(line.startswith(expected) for line in lines), (expected, row["use_case"])
        cost = kpis["cost_per_outcome"]
        if cost["cost_per_accepted_outcome"] is not None:
            each = format_unit_price(Decimal(cost["cost_per_accepted_outcome"]), "USD", "en_US")
            assert f"{each} per accepted outcome" in page
    [team] = review["teams"]
    variance = team["budget_variance"]
    assert (f"Budget variance {format_percent(Decimal(variance['value']) / 100, 'en_US')}"
            in page)
    assert f"≤ {format_percent(Decimal(variance['target']) / 100, 'en_US')} " \
           f"{variance['status']}" in page
    promoted = review["use_cases"][0]["kpis"]["eval_pass_rate_at_promotion"]
    assert promoted["status"] == "green"
    flat = " ".join(lines)
    assert "gated-compression-routing against baseline current" in flat

    measured = _get(client, key, "/v1/levers/realised?use_case=support-copilot"
                                 "&name=gated-compression-routing&until=2026-10-31")
    assert "Promoted changes and their measured effect" in page
    before, after, change = measured["before"], measured["after"], measured["change"]
    moved = format_percent(Decimal(change["cost_per_call_percent"]) / 100, "en_US", signed=True)
    per_call = (f"{format_unit_price(Decimal(before['cost_per_call']), 'USD', 'en_US')} → "
                f"{format_unit_price(Decimal(after['cost_per_call']), 'USD', 'en_US')}")
    assert per_call in flat and f"({moved})" in flat, per_call  # a cell wraps its change
    assert f"{before['pass_rate']}% → {after['pass_rate']}%" in flat
    shipped_on = format_date(date.fromisoformat(measured["shipped_on"]), "en_US")
    first = format_date(date.fromisoformat(before["from"]), "en_US")
    last = format_date(date.fromisoformat(after["to"]), "en_US")
    assert shipped_on in flat
    assert (f"support-copilot · gated-compression-routing: measured {shipped_on} – {last} "
            f"against {first} –") in flat

    twin = _get(client, key, f"/v1/statements/ST-{CLOSED}-support")["content"]
    values = {(k["subject"], k["kpi"]): k["value"] for k in twin["kpis"]}
    for row in review["use_cases"]:
        for name, kpi in row["kpis"].items():
            assert values[(row["use_case"], name)] == kpi["value"], (row["use_case"], name)
    [shipped] = twin["promoted_changes"]
    assert (shipped["cost_per_call_before"], shipped["cost_per_call_after"]) == (
        before["cost_per_call"], after["cost_per_call"])


def test_billing_overview_prints_what_the_api_gives(world, database_url, monkeypatch):
    client, keys = world
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("BILLING_TEAM_CARD", CARDS["team_card"])
    monkeypatch.setenv("BILLING_CUSTOMER_CARD", CARDS["customer_card"])
    done = CliRunner().invoke(app, ["overview", "--period", CLOSED, "--json"])
    assert done.exit_code == 0, done.output
    cli = json.loads(done.output)
    api = _get(client, keys["finance"], f"/v1/overview?period={CLOSED}")
    for name in ("teams", "totals", "coverage", "kpis", "closed"):
        assert cli[name] == api[name], name
    assert [d["number"] for d in cli["documents"]] == [d["number"] for d in api["documents"]]
    table = CliRunner().invoke(app, ["overview", "--period", CLOSED])
    assert table.exit_code == 0, table.output
    [support] = [row for row in api["teams"] if row["team"] == "support"]
    assert support["total"] in table.output and support["statement"]["number"] in table.output
    assert f"Unattributed spend: {api['coverage']['unattributed']} USD" in table.output
