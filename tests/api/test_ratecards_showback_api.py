"""Rate cards, quotes and showback over HTTP."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from billing.api.app import create_app
from billing.ledger.metering import ingest_lines
from billing.rating.card_registry import publish_shipped, published_versions
from billing.rating.rate import Cards, rate

AUTH = {"Authorization": "Bearer test-key"}


@pytest.fixture
def client(engine, settings):  # noqa: ANN001
    publish_shipped(engine)
    with TestClient(create_app(settings)) as client:
        yield client


def test_list_and_get_cards(client):
    cards = client.get("/v1/ratecards", headers=AUTH).json()
    assert {"internal", "external"} <= {c["card"] for c in cards}
    card = client.get("/v1/ratecards/internal/2026-10", headers=AUTH).json()
    assert card["tiers"]["good"]["models"]["gpt-4o-mini"]["input"] == "0.15"
    assert card["tiers"]["good"]["slo"]["availability"] == "99.5%"
    missing = client.get("/v1/ratecards/internal/1999-01", headers=AUTH)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_quote(client):
    body = {"model": "gpt-4o-mini", "input_tokens": 1_000_000, "output_tokens": 100_000,
            "cached_input_tokens": 200_000, "requests": 10, "at": "2026-10-15T00:00:00Z"}
    quoted = client.post("/v1/quote", json=body, headers=AUTH).json()
    assert (quoted["version"], quoted["internal_price"]) == ("2026-10", "0.23725")
    unpriced = client.post("/v1/quote", json=body | {"model": "nope"}, headers=AUTH)
    assert unpriced.status_code == 422 and unpriced.json()["field"] == "model"
    bad = client.post("/v1/quote", json=body | {"input_tokens": -1}, headers=AUTH)
    assert bad.status_code == 422 and bad.json()["field"] == "input_tokens"
    assert client.post("/v1/quote", json=body).status_code == 401


def test_showback(client, engine):
    event = {"event_id": "s1", "occurred_at": "2026-10-05T10:00:00Z", "team": "support",
             "use_case": "copilot", "model": "gpt-4o-mini", "input_tokens": 1_000_000,
             "output_tokens": 100_000, "cached_input_tokens": 200_000, "requests": 10}
    ingest_lines(engine, [json.dumps(event)], zone=ZoneInfo("UTC"))
    rate(engine, Cards(published_versions(engine, "internal"),
                       published_versions(engine, "external")),
         zone=ZoneInfo("UTC"))
    report = client.get("/v1/showback/support?period=2026-10", headers=AUTH).json()
    assert report["lines"][0]["amount"] == "0.24"   # 0.23725 rounded once, half-up
    assert report["total"] == "0.24" and report["currency"] == "USD"
    assert client.get("/v1/showback/nobody?period=2026-10", headers=AUTH).status_code == 404
    assert client.get("/v1/showback/support?period=2026-13", headers=AUTH).status_code == 422


def test_showback_group_by_and_filters(month, close_settings):  # noqa: ANN001
    from decimal import Decimal

    from fastapi.testclient import TestClient

    from billing.api.app import create_app
    from billing.rating.card_registry import published_versions
    from billing.rating.rate import Cards, rate

    rate(month, Cards(team=published_versions(month, "internal"),
                      customer=published_versions(month, "external")), zone=close_settings.zone)
    auth = {"Authorization": "Bearer test-key"}
    with TestClient(create_app(close_settings)) as client:
        base = "/v1/showback/support?period=2026-10"
        by_env = client.get(f"{base}&group_by=environment", headers=auth).json()
        assert {line["environment"] for line in by_env["lines"]} <= {
            "production", "staging", "development", "test"}
        assert Decimal(by_env["total"]) == sum(Decimal(x["amount"]) for x in by_env["lines"])
        production = client.get(f"{base}&group_by=model&environment=production",
                                headers=auth).json()
        [prod_line] = [x for x in by_env["lines"] if x["environment"] == "production"]
        assert abs(Decimal(production["total"]) - Decimal(prod_line["amount"])) <= Decimal(
            "0.005") * len(production["lines"])
        by_day = client.get(f"{base}&group_by=day", headers=auth).json()
        days = [line["day"] for line in by_day["lines"]]
        assert days == sorted(days) and days[0].startswith("2026-10-")
        bad = client.get(f"{base}&group_by=colour", headers=auth)
        assert bad.status_code == 422 and "colour" in bad.json()["detail"]
        none = client.get(f"{base}&model=no-such-model", headers=auth)
        assert none.status_code == 404
