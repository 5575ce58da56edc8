"""The status fast path against the FastAPI routes it stands in front of (issue 19): for every
request in the table both apps give the same status, headers and body, byte for byte; the
fast path answers the ordinary warm checks and leaves everything else to the routes."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from budget_support import event
from fastapi import FastAPI
from fastapi.testclient import TestClient

from billing.api.app import create_app
from billing.api.status_fast import StatusFastPath
from billing.api_keys import create_key, revoke_key
from billing.budgets import live_state
from tests_support import publish_policy

ADMIN = "test-key"
STATUS = "/v1/budgets/{}/status"
BATCH = "/v1/budgets/status"
SCOPES = [{"team": "support"}, {"team": "search", "use_case": "chat"},
          {"team": "ops", "customer": "acme"}, {"team": "support", "use_case": "chat",
                                                "customer": "acme"}]


def _without_fast_path(app: FastAPI) -> FastAPI:
    app.user_middleware = [m for m in app.user_middleware if m.cls is not StatusFastPath]
    return app


@pytest.fixture
def world(engine, settings, usage):  # noqa: ANN001, ANN201
    publish_policy(engine, "parties", "teams:\n  support: {owner: Dana Lee}\n"
                   "  search: {owner: Ann Li}\n  ops: {owner: Bo Yu}\n")
    live_state._states.clear()  # no state kept from an earlier test on this database
    fast, plain = create_app(settings), _without_fast_path(create_app(settings))
    with TestClient(fast) as fast_client, TestClient(plain) as plain_client:
        admin = {"Authorization": f"Bearer {ADMIN}"}
        for team, amount in (("support", "100.00"), ("search", "10.00"), ("ops", "1000.00")):
            assert plain_client.put(f"/v1/budgets/{team}/2026-11", headers=admin, json={
                "amount": amount, "currency": "USD", "hard_cap": True}).status_code == 200
        assert plain_client.put("/v1/budgets/support/2026-11", headers=admin, json={
            "amount": "50.00", "currency": "USD", "use_case": "chat"}).status_code == 200
        assert plain_client.put("/v1/budgets/support/2026-11", headers=admin, json={
            "amount": "20.00", "currency": "USD", "customer": "acme",
            "hard_cap": True}).status_code == 200
        usage([event("s1", "2026-11-03", input_tokens=85_000_000, team="support",
                     use_case="chat", customer="acme"),
               event("q1", "2026-11-03", input_tokens=15_000_000, team="search"),
               event("o1", "2026-11-03", input_tokens=5_000_000, team="ops")])
        expired, _ = create_key(engine, "gateway",
                                expires_at=datetime.now(UTC) - timedelta(minutes=1))
        revoked, described = create_key(engine, "gateway")
        revoke_key(engine, described["key_id"])
        keys = {"admin": ADMIN, "gateway": create_key(engine, "gateway")[0],
                "finance": create_key(engine, "finance")[0],
                "team": create_key(engine, "team", team="support")[0],
                "ingest": create_key(engine, "ingest")[0],
                "expired": expired, "revoked": revoked, "wrong": "bk_000000000000_nope"}
        yield fast, fast_client, plain_client, keys


def _auth(keys: dict[str, str], who: str | None) -> dict[str, str]:
    return {} if who is None else {"Authorization": f"Bearer {keys.get(who, who)}"}


# (who, path, query): who is a key of the world, None for no key, else the header's key
GETS: list[tuple[str | None, str, str, bool]] = [
    ("admin", "support", "period=2026-11", True),                      # warn
    ("gateway", "search", "period=2026-11", True),                     # block (hard cap)
    ("gateway", "ops", "period=2026-11", True),                        # allow
    ("gateway", "support", "period=2026-11&use_case=chat", True),
    ("gateway", "support", "period=2026-11&customer=acme", True),      # block (customer cap)
    ("gateway", "support", "period=2026-11&use_case=chat&customer=acme", True),
    ("finance", "support", "period=2026-11", True),
    ("team", "support", "period=2026-11&use_case=chat", True),
    ("gateway", "nobody", "period=2026-11", True),                     # unknown team: allow
    ("gateway", "support", "period=2026-11&use_case=caf%C3%A9", True),  # escaped, NFC
    ("gateway", "support", "period=2026-11&use_case=a+b", True),       # + is a space
    ("gateway", "support", "period=2026-11&cache=1", True),            # unknown: ignored
    ("gateway", "support", "", True),                                   # current period
    ("team", "search", "period=2026-11", False),                       # another team: 404
    ("team", "support", "period=2026-11&customer=acme", False),        # customer: 404
    ("ingest", "support", "period=2026-11", False),                    # role: 403
    (None, "support", "period=2026-11", False),                        # 401
    ("expired", "support", "period=2026-11", False),
    ("revoked", "support", "period=2026-11", False),
    ("wrong", "support", "period=2026-11", False),
    ("not-a-key", "support", "period=2026-11", False),
    ("gateway", "bad%3Cname%3E", "period=2026-11", False),             # identifier: 422
    ("gateway", "support%20", "period=2026-11", False),
    ("gateway", "support", "period=2026-13", False),
    ("gateway", "support", "period=", False),
    ("gateway", "support", "period=2026-11%0A", False),
    ("gateway", "support", "period=2026-11&period=2026-10", False),    # given twice
    ("gateway", "support", "period=2026-11&use_case=", False),
    ("gateway", "support", "period=2026-11&use_case=%F0%9F%98%80", False),
    ("gateway", "support", "period=2026-11&customer=e%CC%81", False),  # not NFC
    ("team", "bad%3Cname%3E", "period=2026-11", False),
    ("expired", "bad%3Cname%3E", "period=2026-13", False),
]

BATCHES: list[tuple[str | None, Any, dict[str, str], bool]] = [
    ("gateway", {"period": "2026-11", "scopes": SCOPES}, {}, True),
    ("finance", {"period": "2026-11", "scopes": SCOPES[:1]}, {}, True),
    ("admin", {"scopes": SCOPES}, {}, True),                           # current period
    ("gateway", {"period": None, "scopes": SCOPES}, {}, True),
    ("team", {"period": "2026-11", "scopes": SCOPES}, {}, False),      # role: 403
    (None, {"period": "2026-11", "scopes": SCOPES}, {}, False),
    ("revoked", {"period": "2026-11", "scopes": SCOPES}, {}, False),
    ("gateway", {"period": "2026-11", "scopes": []}, {}, False),
    ("gateway", {"period": "2026-11", "scopes": [{"team": "ops"}] * 1001}, {}, False),
    ("gateway", {"period": "2026-11", "scopes": [{"team": "bad/name"}]}, {}, False),
    ("gateway", {"period": "2026-11", "scopes": [{"team": 7}]}, {}, False),
    ("gateway", {"period": "2026-11", "scopes": [{"team": ["support"]}]}, {}, False),
    ("gateway", {"period": "2026-11", "scopes": [{"use_case": "chat"}]}, {}, False),
    ("gateway", {"period": "2026-11", "scopes": [{"team": "ops", "extra": 1}]}, {}, False),
    ("gateway", {"period": "2026-11", "scopes": SCOPES, "more": True}, {}, False),
    ("gateway", {"period": "2026-13", "scopes": SCOPES[:1]}, {}, False),
    ("gateway", {"period": "11/2026", "scopes": SCOPES[:1]}, {}, False),
    ("gateway", {"period": 202611, "scopes": SCOPES[:1]}, {}, False),
    ("gateway", [SCOPES], {}, False),
    ("gateway", b'{"period": "2026-11", "scopes": [', {}, False),          # not JSON
    ("gateway", {"period": "2026-11", "scopes": SCOPES},
     {"Content-Type": "text/plain"}, False),
    ("gateway", {"period": "2026-11", "scopes": SCOPES},
     {"Content-Type": "application/json; charset=utf-8"}, False),
]


def _same(fast_client: TestClient, plain_client: TestClient, method: str, path: str,
          headers: dict[str, str], **body: Any) -> tuple[int, Any]:
    """Send to both apps; assert the answers are identical; return the status and body."""
    answers = []
    for client in (plain_client, fast_client):
        sent = {**headers, "X-Request-ID": "diff-1"}
        answers.append(client.request(method, path, headers=sent, **body))
    plain, fast = answers
    assert fast.status_code == plain.status_code, (path, plain.text, fast.text)
    assert fast.headers.raw == plain.headers.raw, path
    assert fast.content == plain.content, path
    assert plain.status_code < 500, plain.text
    return plain.status_code, plain.content


def test_status_fast_path_and_route_answer_alike(world):  # noqa: ANN001
    app, fast_client, plain_client, keys = world
    counts = app.state.status_fast_path
    for who, team, query, answered in GETS:
        path = STATUS.format(team) + (f"?{query}" if query else "")
        before = counts.answered
        status, _ = _same(fast_client, plain_client, "GET", path, _auth(keys, who))
        assert counts.answered - before == (1 if answered else 0), (who, path, status)
        assert status == 200 or not answered


def test_batch_fast_path_and_route_answer_alike(world):  # noqa: ANN001
    app, fast_client, plain_client, keys = world
    counts = app.state.status_fast_path
    for who, body, headers, answered in BATCHES:
        sent = body if isinstance(body, bytes) else json.dumps(body).encode()
        before = counts.answered
        status, content = _same(fast_client, plain_client, "POST", BATCH,
                                {**_auth(keys, who), "Content-Type": "application/json",
                                 **headers}, content=sent)
        assert counts.answered - before == (1 if answered else 0), (who, body, status)
        if answered:
            assert [s["team"] for s in json.loads(content)] == [
                s["team"] for s in body["scopes"]]


def test_the_decisions_answered_by_the_fast_path(world):  # noqa: ANN001
    app, fast_client, _, keys = world
    gateway = _auth(keys, "gateway")
    decisions = {}
    for team in ("support", "search", "ops"):
        fast_client.get(STATUS.format(team) + "?period=2026-11", headers=gateway)
        answer = fast_client.get(STATUS.format(team) + "?period=2026-11", headers=gateway)
        decisions[team] = answer.json()["decision"]
    assert decisions == {"support": "warn", "search": "block", "ops": "allow"}
    assert app.state.status_fast_path.answered >= 3


def test_a_cold_status_goes_to_the_route_and_is_warm_after(world):  # noqa: ANN001
    app, fast_client, plain_client, keys = world
    counts = app.state.status_fast_path
    live_state._states.clear()
    path = STATUS.format("support") + "?period=2026-11"
    first = fast_client.get(path, headers=_auth(keys, "gateway"))
    assert first.status_code == 200 and counts.answered == 0 and counts.passed_on == 1
    again = fast_client.get(path, headers=_auth(keys, "gateway"))
    assert again.content == first.content and counts.answered == 1
    # a batch with one scope not in memory yet goes to the route, body and all
    body = {"period": "2026-11", "scopes": [{"team": "support"}, {"team": "fresh"}]}
    batch = fast_client.post(BATCH, json=body, headers=_auth(keys, "gateway"))
    assert batch.status_code == 200 and [s["team"] for s in batch.json()] == [
        "support", "fresh"]
    assert counts.answered == 1 and counts.passed_on == 2


def test_the_request_log_records_fast_answers_as_routed_ones(world, caplog):  # noqa: ANN001
    app, fast_client, plain_client, keys = world
    gateway = _auth(keys, "gateway")
    path = STATUS.format("ops") + "?period=2026-11"
    plain_client.get(path, headers=gateway)
    caplog.set_level(logging.INFO, logger="billing.api.request")
    logged = []
    for client in (plain_client, fast_client):
        caplog.clear()
        before = app.state.status_fast_path.answered
        client.get(path, headers={**gateway, "X-Request-ID": "log-1"})
        client.post(BATCH, json={"period": "2026-11", "scopes": SCOPES}, headers=gateway)
        records = [r for r in caplog.records if getattr(r, "event", "") == "request"]
        logged.append([(r.request_id if r.route.endswith("{team}/status") else "",
                        r.method, r.path, r.route, r.status, r.key_id) for r in records])
    assert app.state.status_fast_path.answered - before == 2
    assert logged[1] == logged[0]
    assert [row[3] for row in logged[1]] == ["/v1/budgets/{team}/status", BATCH]
    assert logged[1][0][0] == "log-1" and logged[1][0][5] is not None
    metrics = fast_client.get("/metrics").text
    assert 'route="/v1/budgets/{team}/status"' in metrics
    assert 'route="/v1/budgets/status"' in metrics


def test_a_batch_or_reservation_period_is_a_real_month(world):  # noqa: ANN001
    # as for the single status: 2026-13 is refused, not answered as a period of no spend
    _, fast_client, _, keys = world
    gateway = _auth(keys, "gateway")
    batch = fast_client.post(BATCH, json={"period": "2026-13", "scopes": SCOPES[:1]},
                             headers=gateway)
    reserve = fast_client.post("/v1/budgets/support/reservations", headers=gateway, json={
        "model": "m-cheap", "input_tokens": 10, "max_tokens": 10, "period": "2026-00"})
    for answer in (batch, reserve):
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == "period" and "YYYY-MM" in answer.json()["detail"]
