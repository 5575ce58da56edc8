"""Issue 16 part B: a bad value rejects its row, not the batch; odd parameters are 4xx problems;
an oversized NDJSON body stops at the row limit."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from billing.api.app import create_app
from billing.models import UsageEvent

AUTH = {"Authorization": "Bearer test-key"}
JSON = {**AUTH, "Content-Type": "application/json"}


@pytest.fixture
def client(engine, settings):  # noqa: ANN001, ANN201
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def _events(engine) -> int:  # noqa: ANN001
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(UsageEvent.__table__)).scalar_one()


def _event(n: int, **fields: object) -> dict:
    return {"event_id": f"hb-{n}", "occurred_at": "2026-10-01T12:00:00Z", "team": "support",
            "model": "gpt-4o-mini", "input_tokens": 10, "output_tokens": 5} | fields


@pytest.mark.parametrize(("field", "value"), [
    ("input_tokens", "\u00b2"),
    ("output_tokens", "\u0663"),
    ("occurred_at", "9999-12-31T23:59:59-12:00"),
    ("occurred_at", "0001-01-01T00:00:00+14:00"),
])
def test_a_bad_value_rejects_its_row_and_the_good_rows_land(client, engine, field, value):
    batch = [_event(1), _event(2, **{field: value}), _event(3)]
    response = client.post("/v1/usage", content=json.dumps(batch), headers=JSON)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["accepted"], result["rejected"]) == (2, 1)
    assert result["errors"][0]["field"] == field and result["errors"][0]["index"] == 1
    assert _events(engine) == 2


@pytest.mark.parametrize("scenario", ["big=calls:+1e308%", "big=tokens:1e999999",
                                      "big=rate:1e999999", "big=calls:NaN%"])
def test_an_absurd_forecast_scenario_is_a_422(client, scenario):
    response = client.get("/v1/forecast/support", params={"scenario": scenario}, headers=AUTH)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["field"] == "scenario"


@pytest.mark.parametrize("name", ["calls", "tokens", "rate"])
def test_an_absurd_forecast_driver_is_a_422(client, name):
    response = client.get("/v1/forecast/support", params={name: "1e999999"}, headers=AUTH)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == name


def test_a_group_by_of_thousands_of_repeated_fields_is_a_422(client):
    response = client.get("/v1/showback/support",
                          params={"period": "2026-10", "group_by": ",".join(["model"] * 5000)},
                          headers=AUTH)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "group_by"


def test_a_hundred_thousand_deep_json_body_is_a_400(client, engine):
    body = '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = client.post("/v1/usage", content=body, headers=JSON)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert _events(engine) == 0


@pytest.mark.parametrize("path", ["/v1/alerts", "/v1/teams/support/statements",
                                  "/v1/customers/acme/invoices"])
@pytest.mark.parametrize("cursor", [2**63, 2**64 + 5, 10**30])
def test_a_cursor_past_64_bits_is_a_422(client, path, cursor):
    response = client.get(path, params={"cursor": cursor}, headers=AUTH)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "cursor"


def test_a_server_error_is_a_problem_logged_with_the_request_id_and_counted(
        engine, settings, caplog):  # noqa: ANN001
    app = create_app(settings)

    @app.get("/v1/boom-for-test")
    def boom() -> dict:
        raise RuntimeError("secret-internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/v1/boom-for-test", headers={**AUTH, "X-Request-ID": "req-boom-1"})
        assert response.status_code == 500
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == 500
        assert "secret-internals" not in response.text
        assert any("req-boom-1" in (record.getMessage() + str(record.__dict__))
                   for record in caplog.records if record.levelname == "ERROR")
        metrics = client.get("/metrics", headers=AUTH).text
    counted = [line for line in metrics.splitlines()
               if line.startswith("billing_http_server_errors_total")]
    assert counted and float(counted[0].split()[-1]) >= 1


def test_an_ndjson_body_over_the_row_limit_is_a_413_naming_the_limit(client, engine, settings):
    body = b"1\n" * 2_000_000
    response = client.post("/v1/usage", content=body,
                           headers={**AUTH, "Content-Type": "application/x-ndjson"})
    assert response.status_code == 413
    assert f"{settings.max_batch_events:,}" in response.json()["detail"]
    assert _events(engine) == 0


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity", "1e309", '"\\ud800"'])
def test_a_json_array_with_one_unparseable_value_rejects_only_that_row(client, engine, bad):
    good = [json.dumps(_event(n)) for n in (1, 3)]
    broken = json.dumps(_event(2)).replace('"input_tokens": 10', f'"input_tokens": {bad}')
    body = f"[{good[0]}, {broken}, {good[1]}]"
    response = client.post("/v1/usage", content=body, headers=JSON)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["accepted"], result["rejected"]) == (2, 1)
    assert result["errors"][0]["index"] == 1
    assert _events(engine) == 2


@pytest.mark.parametrize("ndjson", [False, True])
def test_a_duplicate_key_in_one_row_is_a_row_error_naming_the_field(client, engine, ndjson):
    good = [json.dumps(_event(n)) for n in (1, 3)]
    dup = json.dumps(_event(2)).replace('"team": "support"', '"team": "support", "team": "x"')
    if ndjson:
        body = "\n".join([good[0], dup, good[1]])
        headers = {**AUTH, "Content-Type": "application/x-ndjson"}
    else:
        body, headers = f"[{good[0]}, {dup}, {good[1]}]", JSON
    response = client.post("/v1/usage", content=body, headers=headers)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["accepted"], result["rejected"]) == (2, 1)
    assert result["errors"][0]["field"] == "team"
    assert _events(engine) == 2


@pytest.mark.parametrize("body", ['"abc"', "null", "[1,2,3]", "{}", "42", "true"])
def test_a_body_that_is_not_a_batch_is_a_400(client, engine, body):
    response = client.post("/v1/usage", content=body, headers=JSON)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert _events(engine) == 0


@pytest.mark.parametrize("sent", ["abc\r\nX-Evil: 1", "<script>", "a" * 200, "id\x1b[31m",
                                  "caf\u00e9"])
def test_a_request_id_is_sanitised_before_it_is_echoed(client, sent):
    response = client.get("/healthz", headers={"X-Request-ID": sent.encode("utf-8")})
    echoed = response.headers["X-Request-ID"]
    assert echoed != sent
    assert re.fullmatch(r"[A-Za-z0-9._:-]{1,64}", echoed)


def test_a_safe_request_id_is_echoed_as_sent(client):
    response = client.get("/healthz", headers={"X-Request-ID": "gw-01:abc.def_9"})
    assert response.headers["X-Request-ID"] == "gw-01:abc.def_9"


@pytest.mark.parametrize("day", ["2026-13-45", "2026-02-30", "0000-00-00"])
def test_a_date_parameter_that_is_no_date_is_a_422_naming_it(client, day):
    response = client.get("/v1/showback/support",
                          params={"period": "2026-10", "day": day}, headers=AUTH)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "day"
