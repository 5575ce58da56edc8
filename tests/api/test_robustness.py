"""Hostile or careless requests get a clear 4xx and write nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from billing.api.app import create_app
from billing.models import UsageEvent

AUTH = {"Authorization": "Bearer test-key"}
usage = UsageEvent.__table__


@pytest.fixture
def client(engine, settings):  # noqa: ANN001, ANN201
    with TestClient(create_app(settings)) as client:
        yield client


def _events(engine) -> int:  # noqa: ANN001
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(usage)).scalar_one()


def test_deeply_nested_json_is_a_400(client, engine):
    body = "[" * 5000 + "]" * 5000
    response = client.post("/v1/usage", content=body,
                           headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert _events(engine) == 0


def test_wrong_content_type_is_refused_with_what_to_send(client, engine):
    response = client.post("/v1/usage", content=b"\x00\x01binary",
                           headers={**AUTH, "Content-Type": "application/octet-stream"})
    assert 400 <= response.status_code < 500
    assert "application/json" in response.json()["detail"]
    assert _events(engine) == 0


@pytest.mark.parametrize("team", ["\u00e9quipe-\u00fc", "a%2F..%2F.."])
def test_odd_team_names_without_data_are_a_plain_404(client, team):
    response = client.get(f"/v1/showback/{team}?period=2026-10", headers=AUTH)
    assert response.status_code == 404
    statements = client.get(f"/v1/teams/{team}/statements", headers=AUTH)
    assert statements.status_code in (200, 404)
    assert statements.status_code == 404 or statements.json()["data"] == []


@pytest.mark.parametrize("team", ["\U0001f600", "x" * 300])
def test_names_no_team_can_have_are_a_422_naming_the_team(client, team):
    for address in (f"/v1/showback/{team}?period=2026-10", f"/v1/teams/{team}/statements"):
        response = client.get(address, headers=AUTH)
        assert (response.status_code, response.json()["field"]) == (422, "team")


def test_a_huge_body_is_a_413_and_nothing_is_written(client, engine):
    line = ('{"event_id": "big-%d", "occurred_at": "2026-10-01T00:00:00Z", "model": "m",'
            ' "input_tokens": 1, "output_tokens": 1}\n')
    body = "".join(line % n for n in range(50_001))
    response = client.post("/v1/usage", content=body,
                           headers={**AUTH, "Content-Type": "application/x-ndjson"})
    assert response.status_code == 413 and "50,000" in response.json()["detail"]
    assert _events(engine) == 0


def test_alerts_page_with_a_cursor(client, engine):
    from datetime import UTC, datetime

    from billing.models import Alert

    with engine.begin() as connection:
        for n in range(3):
            connection.execute(Alert.__table__.insert().values(
                kind="anomaly", dedupe_key=f"k{n}", severity="warning", message=f"m{n}",
                details="{}", raised_at=datetime.now(UTC)))
    first = client.get("/v1/alerts?limit=2", headers=AUTH)
    assert [a["message"] for a in first.json()] == ["m2", "m1"]
    cursor = first.headers["X-Next-Cursor"]
    second = client.get(f"/v1/alerts?limit=2&cursor={cursor}", headers=AUTH)
    assert [a["message"] for a in second.json()] == ["m0"]
    assert "X-Next-Cursor" not in second.headers


@pytest.mark.parametrize(("path", "field"), [
    ("/v1/showback/support?period=2026-13", "period"),
    ("/v1/coverage?period=oct", "period"),
    ("/v1/budgets?period=2026-1", "period"),
    ("/v1/budgets/support/status?period=202610", "period"),
    ("/v1/forecast/support?period=10-2026", "period"),
    ("/v1/alerts?period=x", "period"),
    ("/v1/export/focus?period=2026", "period"),
    ("/v1/teams/support/statements?period=2026-00", "period"),
    ("/v1/trends/support?until=2026-1x", "until"),
    ("/v1/coverage?period=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96-10", "period"),  # fullwidth digits
    ("/v1/coverage?period=2026-10%0A", "period"),
])
def test_a_bad_period_says_how_to_write_one(client, path, field):
    response = client.get(path, headers=AUTH)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["field"] == field
    assert problem["detail"] == f"{field} must be a month written YYYY-MM, such as 2026-10"


def test_a_bad_budget_period_in_the_path_says_how_to_write_one(client):
    response = client.put("/v1/budgets/support/2026-13", json={"amount": "10.00"}, headers=AUTH)
    assert response.status_code == 422 and response.json()["field"] == "period"
    assert "a month written YYYY-MM, such as 2026-10" in response.json()["detail"]
