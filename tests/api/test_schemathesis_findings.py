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
