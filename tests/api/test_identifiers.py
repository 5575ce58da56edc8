"""One identifier rule for team, use case, customer and tag names, applied at ingest: a bad
name rejects its row, naming the field; good rows land."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from billing.api.app import create_app
from billing.identifiers import problem
from billing.models import UsageEvent

JSON = {"Authorization": "Bearer test-key", "Content-Type": "application/json"}
BAD = ["sup\x00port", "sup\nport", "sup\x1b[31mport", "sup\u202eport", "support\u200b",
       "\ufeffsupport", "a/b", "a\\b", "<script>alert(1)</script>", "x" * 201,
       "e\u0301quipe"]
GOOD = ["support", "support.v2", "\u00e9quipe", "\u652f\u63f4", "ops team", "a-b_c:d@e+f",
        "\u652f" * 200]


@pytest.fixture
def client(engine, settings):  # noqa: ANN001, ANN201
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def _event(n: int, **fields: object) -> dict:
    return {"event_id": f"id-{n}", "occurred_at": "2026-10-01T12:00:00Z", "team": "support",
            "model": "gpt-4o-mini", "input_tokens": 10, "output_tokens": 5} | fields


@pytest.mark.parametrize("name", BAD)
def test_the_rule_refuses_control_bidi_format_slash_markup_and_length(name):
    assert problem(name, "team")


@pytest.mark.parametrize("name", GOOD)
def test_the_rule_accepts_names_of_any_script(name):
    assert problem(name, "team") is None


@pytest.mark.parametrize("field", ["team", "use_case", "customer"])
@pytest.mark.parametrize("name", BAD)
def test_a_bad_name_at_ingest_rejects_its_row_naming_the_field(client, engine, field, name):
    batch = [_event(1), _event(2, **{field: name}), _event(3)]
    response = client.post("/v1/usage", content=json.dumps(batch), headers=JSON)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["accepted"], result["rejected"]) == (2, 1), result
    assert result["errors"][0]["field"] == field and result["errors"][0]["index"] == 1
    with engine.connect() as connection:
        assert connection.execute(
            select(func.count()).select_from(UsageEvent.__table__)).scalar_one() == 2


def test_a_bad_tag_name_rejects_its_row(client):
    batch = [_event(1), _event(2, tags={"a/b": "x"})]
    result = client.post("/v1/usage", content=json.dumps(batch), headers=JSON).json()
    assert (result["accepted"], result["rejected"]) == (1, 1)
    assert result["errors"][0]["field"] == "tags.a/b"


@pytest.mark.parametrize("name", GOOD)
def test_a_valid_non_ascii_name_is_accepted_at_ingest(client, name):
    response = client.post("/v1/usage", content=json.dumps([_event(1, team=name)]),
                           headers=JSON)
    assert response.json()["accepted"] == 1, response.text
