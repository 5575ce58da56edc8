"""latency_ms and status on the usage event: bad values refused per row with the field named
(over HTTP too, good rows of the batch kept), good ones stored, the fingerprint unchanged for
events that carry neither."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from billing.api.app import create_app
from billing.api_keys import create_key
from billing.ledger.usage_event import InvalidEvent, validate
from billing.models import UsageEvent

UTC = ZoneInfo("UTC")
EVENT = {"event_id": "e1", "occurred_at": "2026-10-05T12:00:00Z", "model": "gpt-4o-mini",
         "input_tokens": 10, "output_tokens": 5}


@pytest.mark.parametrize(("value", "said"), [
    (-1, ">= 0"), ("fast", "number of milliseconds"), (3_600_001, "more than an hour"),
    (10**30, "more than an hour"), (True, "number of milliseconds"), ("NaN", "milliseconds"),
    ([5], "milliseconds"),
])
def test_bad_latency_is_refused_by_name(value, said):  # noqa: ANN001
    with pytest.raises(InvalidEvent) as caught:
        validate({**EVENT, "latency_ms": value}, UTC)
    assert caught.value.field == "latency_ms" and said in caught.value.message


def test_a_bad_status_is_refused_by_name():
    with pytest.raises(InvalidEvent) as caught:
        validate({**EVENT, "status": "429"}, UTC)
    assert caught.value.field == "status" and "rate_limited" in caught.value.message


def test_service_fields_are_stored_and_fingerprinted_only_when_given():
    plain = validate(EVENT, UTC)
    assert (plain["latency_ms"], plain["status"]) == (None, None)
    timed = validate({**EVENT, "latency_ms": "850.4", "status": "timeout"}, UTC)
    assert (timed["latency_ms"], timed["status"]) == (850, "timeout")
    assert timed["content_hash"] != plain["content_hash"]


def test_bad_latency_over_http_is_a_row_error_and_good_rows_land(engine, settings):
    key = {"Authorization": f"Bearer {create_key(engine, 'ingest')[0]}"}
    rows = [{**EVENT, "event_id": "ok-1", "latency_ms": 900, "status": "ok"},
            {**EVENT, "event_id": "bad-1", "latency_ms": -5},
            {**EVENT, "event_id": "bad-2", "latency_ms": "slow"},
            {**EVENT, "event_id": "bad-3", "latency_ms": 10**12},
            {**EVENT, "event_id": "bad-4", "status": "oops"}]
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        response = client.post("/v1/usage", content="\n".join(json.dumps(r) for r in rows),
                               headers={**key, "Content-Type": "application/x-ndjson"})
    assert response.status_code < 500, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (1, 4), body
    assert [(e["index"], e["event_id"], e["field"]) for e in body["errors"]] == [
        (1, "bad-1", "latency_ms"), (2, "bad-2", "latency_ms"), (3, "bad-3", "latency_ms"),
        (4, "bad-4", "status")]
    table = UsageEvent.__table__
    with engine.connect() as connection:
        stored = connection.execute(select(table.c.event_id, table.c.latency_ms,
                                           table.c.status)).all()
    assert [tuple(row) for row in stored] == [("ok-1", 900, "ok")]
