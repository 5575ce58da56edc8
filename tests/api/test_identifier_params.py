"""The identifier rule at the API's door: a path or query parameter naming a team, use case,
customer or environment that breaks the rule is a 422 problem naming the parameter, never a
500, an empty list or a 404 that reads like missing data; a well-formed name without data is
still a 404, and a valid name of any script works."""

from __future__ import annotations

import json
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from billing.api.app import create_app
from billing.api_keys import create_key
from billing.ledger.metering import ingest_lines
from billing.rating.card_registry import publish_shipped, published_versions
from billing.rating.rate import Cards, rate

ADMIN = {"Authorization": "Bearer test-key"}
PROBLEM = "application/problem+json"
BAD = {"nul": "sup\x00port", "newline": "sup\nport", "html": "<b>", "markup": "[x]",
       "bidi": "sup\u202eport", "zero-width": "support\u200b", "not-nfc": "e\u0301quipe",
       "too-long": "x" * 201, "slash": "a/b"}
KANA = "\u30b5\u30dd\u30fc\u30c8"  # サポート
# (method, address with {} for the name, the parameter, a JSON body)
PATHS = [
    ("GET", "/v1/showback/{}?period=2026-10", "team", None),
    ("GET", "/v1/trends/{}", "team", None),
    ("GET", "/v1/budgets/{}/status", "team", None),
    ("PUT", "/v1/budgets/{}/2026-11", "team", {"amount": "10.00"}),
    ("GET", "/v1/coverage/{}?period=2026-10", "team", None),
    ("GET", "/v1/teams/{}/statements", "team", None),
    ("GET", "/v1/forecast/{}", "team", None),
    ("GET", "/v1/customers/{}/invoices", "customer", None),
]
QUERIES = [
    ("GET", "/v1/showback/support?period=2026-10&use_case={}", "use_case", None),
    ("GET", "/v1/showback/support?period=2026-10&customer={}", "customer", None),
    ("GET", "/v1/showback/support?period=2026-10&environment={}", "environment", None),
    ("GET", "/v1/budgets?period=2026-10&team={}", "team", None),
    ("GET", "/v1/budgets/support/status?use_case={}", "use_case", None),
    ("GET", "/v1/budgets/support/status?customer={}", "customer", None),
    ("GET", "/v1/forecast/support?use_case={}", "use_case", None),
    ("GET", "/v1/outcomes/unit-economics?period=2026-10&team={}", "team", None),
    ("GET", "/v1/alerts?team={}", "team", None),
]


@pytest.fixture
def client(engine, settings):  # noqa: ANN001, ANN201
    publish_shipped(engine)
    events = [{"event_id": f"e{n}", "occurred_at": "2026-10-05T10:00:00Z", "team": team,
               "use_case": "copilot", "customer": "acme", "model": "gpt-4o-mini",
               "input_tokens": 1000, "output_tokens": 100}
              for n, team in enumerate(["support", KANA])]
    ingest_lines(engine, [json.dumps(event) for event in events], zone=ZoneInfo("UTC"))
    rate(engine, Cards(published_versions(engine, "internal"),
                       published_versions(engine, "external")), zone=ZoneInfo("UTC"))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def _call(client: TestClient, method: str, address: str, name: str, body: object,
          headers: dict[str, str] = ADMIN):  # noqa: ANN202
    return client.request(method, address.format(quote(name, safe="")), json=body,
                          headers=headers)


def _refused(response, field: str, case: str = "") -> None:  # noqa: ANN001
    assert response.status_code == 422, (case, response.status_code, response.text)
    assert response.headers["content-type"] == PROBLEM, case
    problem = response.json()
    assert problem["field"] == field, (case, problem)
    assert problem["detail"].startswith(f"{field} "), (case, problem)
    assert "letters and marks of any script" in problem["detail"] or "NFC" in problem["detail"] \
        or "at most 200" in problem["detail"], (case, problem)


@pytest.mark.parametrize(("method", "address", "field", "body"), PATHS,
                         ids=[f"{m} {a}" for m, a, _, _ in PATHS])
def test_a_bad_name_in_the_path_is_a_422_naming_it(client, method, address, field, body):
    for key, bad in BAD.items():
        if key != "slash":
            _refused(_call(client, method, address, bad, body), field, key)


@pytest.mark.parametrize(("method", "address", "field", "body"), QUERIES,
                         ids=[a.split("?")[0] + " " + f for _, a, f, _ in QUERIES])
def test_a_bad_name_in_the_query_is_a_422_naming_it(client, method, address, field, body):
    for key, bad in BAD.items():
        _refused(_call(client, method, address, bad, body), field, key)


def test_a_slash_in_a_path_name_is_a_problem_not_a_500(client):
    for method, address, _, body in PATHS:
        response = _call(client, method, address, "a/b", body)
        assert 400 <= response.status_code < 500, (address, response.text)
        assert response.headers["content-type"] == PROBLEM, address


@pytest.mark.parametrize("field", ["use_case", "customer"])
def test_a_bad_name_in_a_budget_body_is_a_422_naming_it(client, field):
    response = client.put("/v1/budgets/support/2026-11", headers=ADMIN,
                          json={"amount": "10.00", field: "sup\u202eport"})
    _refused(response, field)


def test_a_team_key_gets_422_for_a_bad_name_and_404_for_any_other_team(client, engine):
    key = {"Authorization": f"Bearer {create_key(engine, 'team', team='support')[0]}"}
    _refused(_call(client, "GET", "/v1/showback/{}?period=2026-10", "sup<b>", None, key), "team")
    foreign = client.get(f"/v1/showback/{quote(KANA)}?period=2026-10", headers=key)
    unknown = client.get("/v1/showback/nobody?period=2026-10", headers=key)
    assert foreign.status_code == unknown.status_code == 404
    assert "field" not in foreign.json() and "field" not in unknown.json()
    assert client.get("/v1/showback/sup%3Cb%3E?period=2026-10").status_code == 401


def test_a_valid_non_ascii_name_works_and_an_unknown_one_is_404(client):
    kana = quote(KANA)
    shown = client.get(f"/v1/showback/{kana}?period=2026-10", headers=ADMIN)
    assert shown.status_code == 200 and shown.json()["team"] == KANA, shown.text
    grouped = client.get(f"/v1/showback/{kana}?period=2026-10&customer=acme", headers=ADMIN)
    assert grouped.status_code == 200, grouped.text
    for address in (f"/v1/trends/{kana}", f"/v1/budgets/{kana}/status",
                    f"/v1/coverage/{kana}?period=2026-10", f"/v1/teams/{kana}/statements",
                    f"/v1/alerts?team={kana}", f"/v1/budgets?period=2026-10&team={kana}"):
        assert client.get(address, headers=ADMIN).status_code == 200, address
    assert client.get("/v1/showback/nobody?period=2026-10", headers=ADMIN).status_code == 404
    unknown_kana = quote("\u30ce\u30fc")
    assert client.get(f"/v1/showback/{unknown_kana}?period=2026-10",
                      headers=ADMIN).status_code == 404


@pytest.mark.parametrize("field", ["team", "use_case"])
def test_a_bad_name_in_an_outcome_rejects_its_row_naming_the_field(client, field):
    for number, bad in enumerate([BAD["bidi"], BAD["html"], BAD["not-nfc"]]):
        rows = [{"outcome_id": f"o{number}-{n}", "use_case": "copilot", "team": "support",
                 "occurred_at": "2026-10-05T11:00:00Z", "accepted": True} for n in range(3)]
        rows[1][field] = bad
        result = client.post("/v1/outcomes", json=rows, headers=ADMIN).json()
        assert (result["accepted"], result["rejected"]) == (2, 1), result
        [error] = result["errors"]
        assert (error["index"], error["field"]) == (1, field), error
        assert error["message"].startswith(f"{field} "), error
