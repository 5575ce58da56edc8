"""POST /v1/usage over HTTP with real bodies: good, mixed, malformed, oversized, empty."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from billing.api.app import create_app
from billing.models import QuarantinedRow, UsageEvent

AUTH = {"Authorization": "Bearer test-key"}


@pytest.fixture
def client(engine, settings):  # noqa: ANN001
    with TestClient(create_app(settings)) as client:
        yield client


def _event(n: int, **extra) -> dict:  # noqa: ANN003
    return {"event_id": f"api-{n}", "occurred_at": "2026-10-05T10:00:00Z", "team": "support",
            "use_case": "support-copilot", "model": "gpt-4o-mini", "input_tokens": 100,
            "output_tokens": 20, **extra}


def _count(engine, table=UsageEvent.__table__) -> int:  # noqa: ANN001
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def test_json_array_is_ingested_idempotently(client, engine):
    body = [_event(1), _event(2)]
    first = client.post("/v1/usage", json=body, headers=AUTH)
    assert first.status_code == 200
    assert first.json() | {"batch_id": None} == {
        "batch_id": None, "accepted": 2, "duplicates": 0, "rejected": 0, "errors": []
    }
    again = client.post("/v1/usage", json=body, headers=AUTH).json()
    assert (again["accepted"], again["duplicates"]) == (0, 2)
    assert _count(engine) == 2


def test_ndjson_with_bad_rows_lands_the_good_ones_and_lists_each_error(client, engine):
    lines = [
        json.dumps(_event(1)),
        json.dumps(_event(2, input_tokens="lots")),
        "{not json",
        json.dumps(_event(4, occurred_at="2026-13-45T00:00:00Z")),
        json.dumps(_event(5, environment="Prod Env")),
        json.dumps(_event(6)),
    ]
    response = client.post("/v1/usage", content="\n".join(lines),
                           headers=AUTH | {"Content-Type": "application/x-ndjson"})
    assert response.status_code == 200
    result = response.json()
    assert (result["accepted"], result["rejected"]) == (2, 4)
    assert [(e["index"], e["event_id"], e["field"]) for e in result["errors"]] == [
        (1, "api-2", "input_tokens"), (2, None, None), (3, "api-4", "occurred_at"),
        (4, "api-5", "environment"),
    ]
    assert _count(engine) == 2
    assert _count(engine, QuarantinedRow.__table__) == 4


def test_wrong_types_in_an_array_are_per_row_errors(client):
    response = client.post("/v1/usage", json=[_event(1), 42, _event(3, requests=[1])],
                           headers=AUTH)
    result = response.json()
    assert result["accepted"] == 1
    assert [(e["index"], e["field"]) for e in result["errors"]] == [(1, None), (2, "requests")]


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ("[{\"event_id\": ", 400, "invalid JSON"),
        ("", 400, "no events"),
        ("[]", 400, "no events"),
        (json.dumps(_event(1)), 400, "wrap it in an array"),
        ('{"oops":', 400, "not valid JSON: Expecting value at line 1, column 9"),
        ('{\n  "event_id": "x",\n  "oops"', 400, "not valid JSON: Expecting ':' delimiter "
         "at line 3, column 9"),
    ],
)
def test_malformed_or_empty_bodies_are_clear_problems(client, engine, body, status, words):
    response = client.post("/v1/usage", content=body,
                           headers=AUTH | {"Content-Type": "application/json"})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert words in response.json()["detail"]
    assert _count(engine) == 0


def test_an_oversized_batch_is_413_and_nothing_lands(client, engine):
    body = "\n".join(json.dumps(_event(n)) for n in range(50_001))
    response = client.post("/v1/usage", content=body,
                           headers=AUTH | {"Content-Type": "application/x-ndjson"})
    assert response.status_code == 413
    assert "at most 50,000" in response.json()["detail"]
    assert _count(engine) == 0


def test_a_body_over_the_byte_limit_is_413(client, engine, monkeypatch):
    from billing.api import usage

    monkeypatch.setattr(usage, "MAX_BODY_BYTES", 1000)
    response = client.post("/v1/usage", json=[_event(n) for n in range(50)], headers=AUTH)
    assert response.status_code == 413
    assert _count(engine) == 0


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": "Basic dGVzdA=="}])
def test_without_the_key_nothing_is_written(client, engine, headers):
    response = client.post("/v1/usage", json=[_event(1)], headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert _count(engine) == 0


def test_openapi_documents_the_usage_endpoint(client):
    schema = client.get("/openapi.json").json()
    assert "/v1/usage" in schema["paths"]
