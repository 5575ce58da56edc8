"""POST /v1/usage?allow_backfill=true: events dated before 2000 or more than a day ahead land
only when an ingest (or admin) key says it is a backfill; without it each is rejected naming
occurred_at, and other keys asking for it are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from billing.api.app import create_app
from billing.api_keys import create_key
from billing.models import UsageEvent

ADMIN = {"Authorization": "Bearer test-key"}
FUTURE = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def client(engine, settings):  # noqa: ANN001, ANN201
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def _key(engine, role: str, **fields: str) -> dict[str, str]:  # noqa: ANN001
    return {"Authorization": f"Bearer {create_key(engine, role, **fields)[0]}"}


def _batch(prefix: str) -> list[dict]:
    return [{"event_id": f"{prefix}-{n}", "occurred_at": moment, "team": "support",
             "model": "gpt-4o-mini", "input_tokens": 10, "output_tokens": 5}
            for n, moment in enumerate(["1999-12-31T23:59:59Z", FUTURE,
                                        "2026-10-05T10:00:00Z"])]


def _events(engine) -> int:  # noqa: ANN001
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(UsageEvent.__table__)).scalar_one()


def test_without_the_flag_old_and_future_events_are_rejected_naming_occurred_at(client, engine):
    result = client.post("/v1/usage", json=_batch("w"), headers=_key(engine, "ingest")).json()
    assert (result["accepted"], result["rejected"]) == (1, 2), result
    assert [(e["index"], e["field"]) for e in result["errors"]] == [(0, "occurred_at"),
                                                                     (1, "occurred_at")]
    assert all("allow_backfill=true" in e["message"] for e in result["errors"]), result


@pytest.mark.parametrize("role", ["ingest", "admin"])
def test_an_ingest_or_admin_key_with_the_flag_lands_them(client, engine, role):
    headers = ADMIN if role == "admin" else _key(engine, "ingest")
    response = client.post("/v1/usage?allow_backfill=true", json=_batch(role), headers=headers)
    assert response.status_code == 200, response.text
    assert (response.json()["accepted"], response.json()["rejected"]) == (3, 0), response.text
    assert _events(engine) == 3


@pytest.mark.parametrize(("role", "fields"), [("team", {"team": "support"}), ("finance", {}),
                                              ("gateway", {})])
def test_other_keys_asking_for_a_backfill_are_refused(client, engine, role, fields):
    response = client.post("/v1/usage?allow_backfill=true", json=_batch(role),
                           headers=_key(engine, role, **fields))
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert _events(engine) == 0


def test_a_flag_that_is_not_a_boolean_is_a_422_naming_it(client, engine):
    response = client.post("/v1/usage?allow_backfill=maybe", json=_batch("m"), headers=ADMIN)
    assert (response.status_code, response.json()["field"]) == (422, "allow_backfill")
    assert _events(engine) == 0
