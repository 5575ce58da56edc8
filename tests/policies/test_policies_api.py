"""The API reads policies for finance and admin and lets only admin publish."""

from __future__ import annotations

import random

import pytest
from fastapi.testclient import TestClient

from billing.api.app import create_app
from billing.api_keys import create_key


@pytest.fixture
def world(engine, settings):  # noqa: ANN001, ANN201
    keys = {role: create_key(engine, role)[0] for role in ("admin", "finance", "ingest")}
    keys["team"] = create_key(engine, "team", team="support")[0]
    with TestClient(create_app(settings)) as client:
        yield client, keys, random.randrange(3000, 9999)


def document(year: int, version: str, amount: str, start: str, end: str) -> str:
    return (f"kind: overhead\nversion: '{year}-{version}'\neffective_from: '{year}-{start}'\n"
            f"effective_to: '{year}-{end}'\npools:\n  - {{name: platform, amount: '{amount}', "
            "currency: USD, driver: even}\n")


def call(client, method, path, key, body=None):  # noqa: ANN001, ANN201
    return client.request(method, path, json=body, headers={"Authorization": f"Bearer {key}"})


def test_admin_publishes_finance_reads_others_are_refused(world):
    client, keys, year = world
    body = {"source": document(year, "a", "10.00", "01", "06"), "filename": "o.yaml",
            "change_note": "first pools"}
    for role in ("finance", "team", "ingest"):
        assert call(client, "POST", "/v1/policies", keys[role], body).status_code == 403
    made = call(client, "POST", "/v1/policies", keys["admin"], body)
    assert made.status_code == 200 and made.json()["status"] == "published"
    assert call(client, "POST", "/v1/policies", keys["admin"], body).json()["status"] == \
        "unchanged"
    call(client, "POST", "/v1/policies", keys["admin"],
         body | {"source": document(year, "b", "30.00", "07", "12")})
    for role in ("admin", "finance"):
        listed = call(client, "GET", "/v1/policies", keys[role]).json()
        assert {f"{year}-a", f"{year}-b"} <= {row["version"] for row in listed}
        shown = call(client, "GET", f"/v1/policies/overhead/{year}-a", keys[role]).json()
        assert shown["body"]["pools"][0]["amount"] == "10.00"
        changed = call(client, "GET", f"/v1/policies/overhead/{year}-a/diff/{year}-b",
                       keys[role]).json()
        assert [(c["field"], c["old"], c["new"]) for c in changed] == [
            ("pools.[platform].amount", "10.00", "30.00")]
    for role in ("team", "ingest"):
        assert call(client, "GET", "/v1/policies", keys[role]).status_code == 403
    assert call(client, "GET", "/v1/policies/overhead/nope", keys["finance"]).status_code == 404


def test_a_bad_or_changed_document_is_a_problem_not_a_500(world):
    client, keys, year = world
    good = {"source": document(year, "a", "10.00", "01", "12")}
    assert call(client, "POST", "/v1/policies", keys["admin"], good).status_code == 200
    changed = call(client, "POST", "/v1/policies", keys["admin"],
                   {"source": document(year, "a", "99.00", "01", "12")})
    assert changed.status_code == 409
    overlapping = call(client, "POST", "/v1/policies", keys["admin"],
                       {"source": document(year, "b", "1.00", "03", "04")})
    assert overlapping.status_code == 422 and overlapping.json()["field"] == "effective_from"
    for source in ("", "kind: [", "kind: overhead\n", "- 1\n- 2\n"):
        response = call(client, "POST", "/v1/policies", keys["admin"], {"source": source})
        assert response.status_code == 422, (source, response.text)
