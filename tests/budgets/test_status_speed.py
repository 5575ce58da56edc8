"""The gateway's budget check answers from memory: once warm, a request makes no database
query at all, not even to verify its API key, and a key revoked by another process stops
working within `VERIFIED_FOR` seconds (issue 19)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, update

from billing import api_keys
from billing.api.app import create_app
from billing.api_keys import authenticate, create_key
from billing.budgets import live_state
from billing.models import ApiKey
from tests_support import publish_policy

STATUS = "/v1/budgets/support/status?period=2026-11&use_case=chat"


@pytest.fixture
def client(engine, settings):  # noqa: ANN001
    publish_policy(engine, "parties", "teams:\n  support: {owner: Dana Lee}\n")
    with TestClient(create_app(settings)) as client:
        client.put("/v1/budgets/support/2026-11", headers={"Authorization": "Bearer test-key"},
                   json={"amount": "100.00", "currency": "USD", "hard_cap": True})
        yield client


def _statements(engine):  # noqa: ANN001, ANN202
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, sql, *_: seen.append(sql))
    return seen


def test_a_warm_status_check_makes_no_query(client, engine):  # noqa: ANN001
    # the worker's database outlives a test: a state kept from an earlier test would find, at
    # its next background check, that that test's totals are gone, and rightly read anew
    live_state._states.clear()
    token, _ = create_key(engine, "gateway")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(STATUS, headers=headers).json()["decision"] == "allow"
    seen = _statements(engine)
    for _ in range(20):
        answer = client.get(STATUS, headers=headers)
        assert answer.status_code == 200 and answer.json()["decision"] == "allow"
    assert [sql for sql in seen if "api_key" in sql] == []
    assert seen == [] or all("max(" in sql.lower() for sql in seen)  # the 2-second fingerprint


def test_a_key_revoked_by_another_process_is_refused_once_rechecked(client, engine,
                                                                      monkeypatch):  # noqa: ANN001
    token, described = create_key(engine, "gateway")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(STATUS, headers=headers).status_code == 200
    monkeypatch.setattr(api_keys, "VERIFIED_FOR", 0.2)
    with engine.begin() as connection:  # as `billing keys revoke` in another process does
        connection.execute(update(ApiKey.__table__)
                           .where(ApiKey.__table__.c.key_id == described["key_id"])
                           .values(revoked_at=datetime.now(UTC)))
    time.sleep(0.25)
    refused = client.get(STATUS, headers=headers)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]


def test_a_remembered_key_still_expires(engine):  # noqa: ANN001
    token, _ = create_key(engine, "gateway", expires_at=datetime.now(UTC) + timedelta(hours=1))
    assert authenticate(engine, token, None) is not None
    assert authenticate(engine, token, None, now=datetime.now(UTC) + timedelta(hours=2)) is None
