"""The endpoints the dashboard added: who am I, a team's trends, a team's own coverage.

Each trend point must equal the figure the rest of the API gives for that month (showback
grouped by use case or model, unit economics), and a team key never reads another team.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from dashboard_support import CARDS, CLOSED, seed_dashboard
from fastapi.testclient import TestClient

from billing.api.app import create_app
from billing.api_keys import create_key
from billing.money import round_line


@pytest.fixture
def dashboard(engine, close_settings):  # noqa: ANN001, ANN201
    close_settings = replace(close_settings, **CARDS)
    seed_dashboard(engine, close_settings)
    keys = {role: create_key(engine, role)[0] for role in ("finance", "ingest")}
    keys["team"] = create_key(engine, "team", team="support")[0]
    with TestClient(create_app(close_settings)) as client:
        yield client, {role: {"Authorization": f"Bearer {key}"} for role, key in keys.items()}


def test_me_tells_each_key_what_it_can_read(dashboard):
    client, keys = dashboard
    team = client.get("/v1/me", headers=keys["team"]).json()
    assert team["role"] == "team" and team["teams"] == ["support"]
    assert team["periods"] == ["2026-10", "2026-09", "2026-08"]
    assert team["currency"] == "USD" and len(team["current_period"]) == 7
    finance = client.get("/v1/me", headers=keys["finance"]).json()
    assert {"support", "search", "legal-ops"} <= set(finance["teams"])
    assert client.get("/v1/me", headers=keys["ingest"]).json()["teams"] == []
    assert client.get("/v1/me").status_code == 401


def test_trends_equal_the_showback_and_unit_economics_of_each_month(dashboard):
    client, keys = dashboard
    trends = client.get(f"/v1/trends/support?until={CLOSED}&months=3",
                        headers=keys["team"]).json()
    assert trends["periods"] == ["2026-08", "2026-09", "2026-10"]
    for index, period in enumerate(trends["periods"]):
        totals = {}
        for key, series in (("use_case", trends["by_use_case"]), ("model", trends["by_model"])):
            grouped = client.get(f"/v1/showback/support?period={period}&group_by={key}",
                                 headers=keys["team"]).json()
            expected = {line[key]: line["amount"] for line in grouped["lines"]}
            got = {item[key]: item["values"][index] for item in series
                   if item["values"][index] is not None}
            assert got == expected, (period, key)
            totals[key] = grouped["total"]
        assert trends["total"][index] == totals["use_case"]  # the sum of the bars' segments
        units = client.get(f"/v1/outcomes/unit-economics?period={period}&team=support",
                           headers=keys["team"]).json()
        for item in trends["unit_economics"]:
            [unit] = [u for u in units if u["use_case"] == item["use_case"]]
            assert item["cost_per_accepted_outcome"][index] == unit["cost_per_accepted_outcome"]
            assert item["pass_rate"][index] == unit["pass_rate"]
    triage = next(i for i in trends["unit_economics"] if i["use_case"] == "ticket-triage")
    assert triage["accepted"] == [45, 44, 30] and triage["pass_rate"][2] == "0.5000"


def test_team_coverage_is_the_share_of_its_spend_with_a_use_case(dashboard):
    client, keys = dashboard
    mine = client.get(f"/v1/coverage/support?period={CLOSED}", headers=keys["team"]).json()
    spend = mine["spend"]
    grouped = client.get(f"/v1/showback/support?period={CLOSED}&group_by=use_case",
                         headers=keys["team"]).json()
    [untagged] = [line["amount"] for line in grouped["lines"] if line["use_case"] is None]
    without = Decimal(spend["spend"]) - Decimal(spend["attributed_after_rules"])
    assert round_line(without, "USD") == Decimal(untagged)
    assert Decimal(spend["share_after_rules"]) == (
        Decimal(spend["attributed_after_rules"]) / Decimal(spend["spend"])).quantize(
        Decimal("0.0001"))
    assert client.get("/v1/coverage/support?period=2026-01",
                      headers=keys["team"]).status_code == 404


@pytest.mark.parametrize("path", ["/v1/trends/search", f"/v1/coverage/search?period={CLOSED}"])
def test_a_team_key_never_reads_another_team(dashboard, path):
    client, keys = dashboard
    hidden = client.get(path, headers=keys["team"])
    assert hidden.status_code == 404 and "application/problem+json" in hidden.headers[
        "content-type"]
    assert client.get(path, headers=keys["finance"]).status_code == 200
    assert client.get(path, headers=keys["ingest"]).status_code == 403


def test_the_page_is_served_with_a_strict_policy(dashboard):
    client, _ = dashboard
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "connect-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/dashboard/app.js").status_code == 200
    assert "/" not in client.get("/openapi.json").json()["paths"]
