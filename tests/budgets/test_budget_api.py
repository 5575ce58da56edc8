"""Budgets, outcomes, forecasts and alerts over HTTP, on the real app."""

from __future__ import annotations

import pytest
from budget_support import event
from fastapi.testclient import TestClient

from billing.api.app import create_app
from tests_support import publish_policy

AUTH = {"Authorization": "Bearer test-key"}


@pytest.fixture
def client(engine, settings, tmp_path):  # noqa: ANN001
    # support is budgeted before its first usage, so the parties policy lists it
    publish_policy(engine, "parties", "teams:\n  support: {owner: Dana Lee}\n")
    with TestClient(create_app(settings)) as client:
        yield client


def test_put_budget_then_the_gateway_status(client, usage):
    put = client.put("/v1/budgets/support/2026-11", headers=AUTH,
                     json={"amount": "100.00", "currency": "USD", "hard_cap": True})
    assert put.status_code == 200 and put.json()["created"] is True
    assert client.get("/v1/budgets/support/status?period=2026-11",
                      headers=AUTH).json()["decision"] == "allow"
    usage([event("h1", "2026-11-03", input_tokens=85_000_000, team="support",
                 use_case="chat")])
    status = client.get("/v1/budgets/support/status", params={"period": "2026-11"},
                        headers=AUTH).json()
    assert {k: status[k] for k in ("decision", "spent", "remaining", "budget", "currency",
                                   "percent_used", "hard_cap")} == {
        "decision": "warn", "spent": "85.00", "remaining": "15.00", "budget": "100.00",
        "currency": "USD", "percent_used": "85.00", "hard_cap": True}
    usage([event("h2", "2026-11-04", input_tokens=15_000_000, team="support")])
    assert client.get("/v1/budgets/support/status?period=2026-11",
                      headers=AUTH).json()["decision"] == "block"
    replaced = client.put("/v1/budgets/support/2026-11", headers=AUTH,
                          json={"amount": "200.00", "currency": "USD", "hard_cap": True})
    assert replaced.json()["created"] is False
    assert client.get("/v1/budgets/support/status?period=2026-11",
                      headers=AUTH).json()["decision"] == "allow"
    listed = client.get("/v1/budgets?period=2026-11", headers=AUTH).json()
    assert [(b["team"], b["amount"], b["status"]["spent"]) for b in listed] == [
        ("support", "200.00", "100.00")]
    alerts = client.get("/v1/alerts?period=2026-11", headers=AUTH).json()
    assert {a["kind"] for a in alerts} == {"threshold", "hard_cap"}


def test_budget_errors_are_problems(client):
    number = client.put("/v1/budgets/support/2026-11", headers=AUTH, json={"amount": 100.5})
    assert number.status_code == 422
    assert number.headers["content-type"] == "application/problem+json"
    bad = client.put("/v1/budgets/support/2026-13", headers=AUTH,
                     json={"amount": "1", "currency": "USD"})
    assert bad.status_code == 422 and "YYYY-MM" in bad.json()["detail"]
    negative = client.put("/v1/budgets/support/2026-11", headers=AUTH,
                          json={"amount": "-1", "currency": "USD"})
    assert negative.status_code == 422 and negative.json()["field"] == "amount"
    thresholds = client.put("/v1/budgets/support/2026-11", headers=AUTH, json={
        "amount": "10", "currency": "USD", "thresholds": [25, "90"], "warn_percent": 90,
        "use_case": "chat"})
    assert thresholds.json()["thresholds"] == ["25", "90"]
    assert thresholds.json()["scope_key"] == "support/chat"
    assert client.get("/v1/budgets/support/status").status_code == 401
    assert client.put("/v1/budgets/support/2026-11",
                      json={"amount": "1"}).status_code == 401


def test_post_outcomes_and_unit_economics(client, usage):
    usage([event("o1", "2026-11-03", input_tokens=6_000_000, requests=10, team="support",
                 use_case="copilot")])
    rows = [{"outcome_id": f"t{n}", "use_case": "copilot", "team": "support",
             "occurred_at": "2026-11-04T10:00:00Z", "accepted": n < 3} for n in range(4)]
    first = client.post("/v1/outcomes", headers=AUTH, json=rows + [{"outcome_id": "bad"}])
    assert first.status_code == 200
    assert (first.json()["accepted"], first.json()["rejected"]) == (4, 1)
    assert client.post("/v1/outcomes", headers=AUTH, json=rows).json()["duplicates"] == 4
    assert client.post("/v1/outcomes", headers=AUTH, json={"x": 1}).status_code == 400
    [item] = client.get("/v1/outcomes/unit-economics?period=2026-11", headers=AUTH).json()
    assert (item["cost_per_accepted_outcome"], item["cost_per_outcome"], item["pass_rate"]) == (
        "2.0000", "1.5000", "0.7500")


def test_forecast_over_http(client, usage):
    usage([event("f1", "2026-10-07", model="m-mixed", input_tokens=6_000_000,
                 output_tokens=2_000_000, requests=1_000, team="support")])
    result = client.get("/v1/forecast/support", headers=AUTH, params={
        "period": "2026-10", "scenario": ["growth=calls:+40%",
                                          "levers=calls:+40%,tokens:9100,rate:0.0042"]}).json()
    assert [(s["scenario"], s["cost"], s["change"]) for s in result["scenarios"]] == [
        ("today", "30.00", "0.00"), ("growth", "42.00", "12.00"), ("levers", "53.51", "23.51")]
    bad = client.get("/v1/forecast/support", headers=AUTH, params={"scenario": "oops"})
    assert bad.status_code == 422 and bad.json()["field"] == "scenario"


def test_unknown_teams_and_use_cases_are_problems(client, usage):
    usage([event("u1", "2026-10-03", team="search", use_case="chat")])
    put = client.put("/v1/budgets/nosuch/2026-11", headers=AUTH,
                     json={"amount": "10.00", "currency": "USD"})
    assert put.status_code == 404 and put.json()["field"] == "team"
    assert put.headers["content-type"] == "application/problem+json"
    assert "no team named 'nosuch'" in put.json()["detail"]
    assert client.put("/v1/budgets/search/2026-11", headers=AUTH,
                      json={"amount": "10.00", "currency": "USD"}).status_code == 200
    forecast = client.get("/v1/forecast/nosuch?period=2026-10", headers=AUTH)
    assert forecast.status_code == 404 and forecast.json()["field"] == "team"
    assert client.get("/v1/forecast/search?period=2026-10", headers=AUTH).status_code == 200
    outcomes = client.post("/v1/outcomes", headers=AUTH, json=[
        {"outcome_id": "x1", "use_case": "chat", "occurred_at": "2026-10-09T00:00:00Z",
         "accepted": True},
        {"outcome_id": "x2", "use_case": "nosuch-uc", "occurred_at": "2026-10-09T00:00:00Z",
         "accepted": True},
        {"outcome_id": "x3", "use_case": "chat", "team": "support",
         "occurred_at": "2026-10-09T00:00:00Z", "accepted": True}]).json()
    assert (outcomes["accepted"], outcomes["rejected"]) == (1, 2)
    assert [(e["index"], e["field"]) for e in outcomes["errors"]] == [
        (1, "use_case"), (2, "use_case")]
