"""Realised savings of a promoted candidate, measured from the ledger and the outcomes.

Ten days on prompt v1 with the strong model, then ten on v2 with the small one; outcomes each
day. The expected figures are worked out here from the card's prices with Decimal.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from billing.api.app import create_app
from billing.budgets.levers.store import LeverStoreError, ingest_evaluations, propose, run_gate
from billing.cli import app
from billing.ledger.metering import ingest_lines
from billing.ledger.outcomes import ingest_outcomes
from billing.rating.card_registry import publish, published_versions
from billing.rating.rate import Cards, rate
from tests.levers.test_simulate import CARD, EXTERNAL, _cost

pytestmark = pytest.mark.usefixtures("engine")
UTC = ZoneInfo("UTC")


@pytest.fixture
def shipped(engine):  # noqa: ANN001
    publish(engine, CARD.replace("levers-internal", "realised-internal"), "i.yaml")
    publish(engine, EXTERNAL.replace("levers-external", "realised-external"), "e.yaml")
    lines, outcomes = [], []
    for day in range(1, 21):
        v2 = day > 10
        lines.append(json.dumps({
            "event_id": f"r{day}", "occurred_at": f"2026-10-{day:02d}T09:00:00Z",
            "team": "support", "use_case": "copilot", "model": "mini" if v2 else "big",
            "prompt_version": "v2" if v2 else "v1", "requests": 10, "input_tokens": 20_000,
            "output_tokens": 5_000}))
        for n in range(4):  # v1 passes 3 of 4 a day, v2 4 of 4 on even days, 3 on odd
            accepted = n < 3 or (v2 and day % 2 == 0)
            outcomes.append({"outcome_id": f"o{day}-{n}", "use_case": "copilot",
                             "team": "support", "occurred_at": f"2026-10-{day:02d}T12:00:00Z",
                             "accepted": accepted})
    ingest_lines(engine, lines, zone=UTC)
    ingest_outcomes(engine, outcomes, zone=UTC)
    rate(engine, Cards(published_versions(engine, "realised-internal"),
                       published_versions(engine, "realised-external")), zone=UTC)
    propose(engine, "copilot", "base", {"model": "big", "prompt_version": "v1"}, baseline=True)
    propose(engine, "copilot", "v2-small", {"model": "mini", "prompt_version": "v2"})
    ingest_evaluations(engine, [
        {"evaluation_id": "e1", "use_case": "copilot", "candidate": "base", "calls": 200,
         "passes": 150, "cost": "40.00", "currency": "USD"},
        {"evaluation_id": "e2", "use_case": "copilot", "candidate": "v2-small", "calls": 200,
         "passes": 170, "cost": "2.00", "currency": "USD"}])
    return engine


def _four(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def test_before_and_after_the_ship_date(shipped, settings, monkeypatch):
    from billing.budgets.levers.realised import realised

    with pytest.raises(LeverStoreError, match="levers gate"):
        realised(shipped, "copilot", "v2-small", until=_day(20), zone=UTC)
    run_gate(shipped, "copilot", record=True)
    result = realised(shipped, "copilot", "v2-small", until=_day(20), zone=UTC)
    assert result["shipped_on"] == "2026-10-11"
    per_day_big = _cost("big", Decimal(10), Decimal(20_000), Decimal(5_000), Decimal(0))
    per_day_mini = _cost("mini", Decimal(10), Decimal(20_000), Decimal(5_000), Decimal(0))
    big_spend, mini_spend = per_day_big * 10, per_day_mini * 10  # exact: rounded on documents
    before, after = result["before"], result["after"]
    assert (before["from"], before["to"], after["from"], after["to"]) == (
        "2026-10-01", "2026-10-10", "2026-10-11", "2026-10-20")
    assert Decimal(before["spend"]) == big_spend and Decimal(after["spend"]) == mini_spend
    assert before["cost_per_call"] == _four(big_spend / 100)
    assert (before["accepted"], after["accepted"]) == (30, 35)
    assert (before["pass_rate"], after["pass_rate"]) == ("75.0", "87.5")
    assert after["cost_per_accepted_outcome"] == _four(mini_spend / 35)
    old, new = Decimal(before["cost_per_call"]), Decimal(after["cost_per_call"])
    change = ((new - old) / old * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    assert result["change"]["cost_per_call_percent"] == str(change)
    assert change < -90  # the strong model cost fifty times more per call
    assert result["change"]["pass_rate_points"] == "12.5"

    early = realised(shipped, "copilot", "v2-small", until=_day(9), zone=UTC)
    assert early["status"] == "not shipped yet"

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    done = CliRunner().invoke(app, ["levers", "realised", "-u", "copilot", "-n", "v2-small",
                                    "--until", "2026-10-20", "--json"])
    assert json.loads(done.output) == result
    with TestClient(create_app(settings)) as client:
        got = client.get("/v1/levers/realised", params={
            "use_case": "copilot", "name": "v2-small", "until": "2026-10-20"},
            headers={"Authorization": "Bearer test-key"})
        assert got.status_code == 200 and got.json() == result
        refused = client.get("/v1/levers/realised", params={
            "use_case": "copilot", "name": "base", "until": "2026-10-20"},
            headers={"Authorization": "Bearer test-key"})
        assert refused.status_code == 409


def _day(n: int):  # noqa: ANN202
    from datetime import date

    return date(2026, 10, n)
