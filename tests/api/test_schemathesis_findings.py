"""Requests the schemathesis run (tests/api/test_schemathesis.py) found answered with a server
error or an undocumented status, pinned one by one so they stay fixed."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from billing.api.app import create_app

AUTH = {"Authorization": "Bearer test-key"}


@pytest.fixture
def client(settings):  # noqa: ANN001, ANN201
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize(("until", "months", "first"), [
    ("1000-01", 24, "1000-01"), ("1001-03", 24, "1000-01"), ("1000-06", 2, "1000-05")])
def test_trends_near_the_first_year_stop_at_its_first_month(client, until, months, first):
    response = client.get("/v1/trends/support", params={"until": until, "months": months},
                          headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json()["periods"][0] == first
    assert response.json()["periods"][-1] == until


def test_outcomes_nested_too_deeply_are_a_400_not_a_500(client):
    response = client.post("/v1/outcomes", content=b"[" * 100_000 + b"]" * 100_000,
                           headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/v1/quote"), ("POST", "/v1/policies"), ("PUT", "/v1/budgets/support/2026-10")])
def test_a_body_that_cannot_be_read_is_a_documented_400_saying_so(client, method, path):
    response = client.request(method, path, content=b"[" * 100_000 + b"]" * 100_000,
                              headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["title"] == "Malformed request"
    assert "JSON" in response.json()["detail"]
    operation = client.get("/openapi.json").json()["paths"][path.replace(
        "support/2026-10", "{team}/{period}")][method.lower()]
    assert "400" in operation["responses"]
