"""The KPI review: each number recomputed here from the usage sent, each status from the
use case's own targets."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from billing.api.app import create_app
from billing.budgets.levers.store import ingest_evaluations, propose, run_gate
from billing.cli import app
from billing.close.kpi_review import kpi_review
from billing.ledger.metering import ingest_lines
from billing.ledger.outcomes import ingest_outcomes
from billing.policies.in_force import policies_for
from billing.rating.card_registry import publish_shipped, published_versions
from billing.rating.rate import Cards, rate
from tests_support import publish_policy

USE_CASES = """
use_cases:
  copilot:
    team: support
    owner: jane@example.com
    kpi_targets: {input_share: 60, cache_hit_rate: 30, cost_per_outcome_rise: 5,
                  pass_rate_tolerance: 1}
"""
# gpt-4o-mini on the internal card: input 0.15, output 0.60, cached 0.075 per 1M tokens
IN, OUT, CACHED = Decimal("0.15"), Decimal("0.60"), Decimal("0.075")
MONTHS = {"2026-10": (100, 800_000, 100_000, 200_000, 40),   # requests, in, out, cached, ok
          "2026-11": (100, 600_000, 100_000, 400_000, 45)}


def _one(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@pytest.fixture
def reviewed(engine, close_settings):  # noqa: ANN001
    publish_shipped(engine)
    publish_policy(engine, "use_cases", USE_CASES)
    for period, (requests, inp, out, cached, accepted) in MONTHS.items():
        ingest_lines(engine, [json.dumps({
            "event_id": f"k-{period}", "occurred_at": f"{period}-02T10:00:00Z",
            "team": "support", "use_case": "copilot", "model": "gpt-4o-mini",
            "requests": requests, "input_tokens": inp, "output_tokens": out,
            "cached_input_tokens": cached})], zone=ZoneInfo("UTC"))
        ingest_outcomes(engine, [{"outcome_id": f"{period}-{n}", "use_case": "copilot",
                                  "team": "support", "accepted": n < accepted,
                                  "occurred_at": f"{period}-03T10:00:00Z"}
                                 for n in range(50)], zone=ZoneInfo("UTC"))
    rate(engine, Cards(published_versions(engine, "internal"),
                       published_versions(engine, "external")), zone=ZoneInfo("UTC"))
    propose(engine, "copilot", "base", {"model": "gpt-4o-mini"}, baseline=True)
    propose(engine, "copilot", "short", {"model": "gpt-4o-mini", "prompt_version": "v2"})
    ingest_evaluations(engine, [
        {"evaluation_id": "b", "use_case": "copilot", "candidate": "base", "calls": 100,
         "passes": 90, "cost": "1.00", "currency": "USD"},
        {"evaluation_id": "s", "use_case": "copilot", "candidate": "short", "calls": 100,
         "passes": 89, "cost": "0.50", "currency": "USD"}])
    run_gate(engine, "copilot", tolerance_pp=Decimal(1), record=True)
    return engine


def test_each_kpi_is_recomputed_and_judged_by_the_use_cases_targets(reviewed, close_settings):
    policies = policies_for(reviewed, "2026-11")
    review = kpi_review(reviewed, "2026-11", pools=policies.pools,
                        use_cases=policies.use_cases, zone=ZoneInfo("UTC"),
                        now=datetime(2026, 12, 3, tzinfo=UTC))
    row = next(r for r in review["use_cases"] if r["use_case"] == "copilot")
    assert row["owner"] == "jane@example.com"
    kpis = row["kpis"]
    requests, inp, out, cached, _ = MONTHS["2026-11"]
    inputs = inp * IN + cached * CACHED
    share = inputs / (inputs + out * OUT) * 100
    assert kpis["input_share"]["value"] == _one(share)
    assert kpis["input_share"]["status"] == ("green" if share <= 60 else
                                             "amber" if share <= 70 else "red")
    hit = Decimal(cached) / (inp + cached) * 100   # 40.0%
    assert kpis["cache_hit_rate"] == {"value": _one(hit), "target": "30", "status": "green",
                                      "note": ""}
    promotion = kpis["eval_pass_rate_at_promotion"]
    assert promotion["value"] == "89.0" and promotion["status"] == "green"
    assert promotion["target"] == ">= 89.0"
    # cost per accepted outcome: the statement's rounded usage plus the charged pool (the test
    # pools: observability, 4,800.00 by spend, all of it this one team's; platform is central)
    def per_accepted(period: str) -> Decimal:
        requests, inp, out, cached, accepted = MONTHS[period]
        exact = (inp * IN + out * OUT + cached * CACHED) / 1_000_000 * Decimal("1.05") \
            + requests * Decimal("0.0001")
        usage = exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return ((usage + Decimal("4800.00")) / accepted).quantize(Decimal("0.0001"))

    now, before = per_accepted("2026-11"), per_accepted("2026-10")
    cost = kpis["cost_per_outcome"]
    assert cost["cost_per_accepted_outcome"] == str(now)
    assert cost["value"] == _one((now - before) / before * 100)
    assert cost["status"] == "green"  # cheaper per accepted outcome than in October
    assert review["organisation"]["attribution_coverage"]["value"] == "100.0"
    team = next(t for t in review["teams"] if t["team"] == "support")
    assert team["budget_variance"]["note"] == "no budget"
    assert team["forecast_accuracy"]["status"] == "no data"


def test_cli_and_api_give_the_same_review(reviewed, close_settings, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", close_settings.database_url)
    done = CliRunner().invoke(app, ["kpis", "--period", "2026-11", "--team", "support",
                                    "--json"])
    assert done.exit_code == 0, done.output
    cli = json.loads(done.output)
    with TestClient(create_app(close_settings)) as client:
        got = client.get("/v1/kpis", params={"period": "2026-11", "team": "support"},
                         headers={"Authorization": "Bearer test-key"})
        assert got.status_code == 200 and got.json() == cli
    assert cli["organisation"] is None  # a team's review has no company-wide row
    table = CliRunner().invoke(app, ["kpis", "--period", "2026-11"])
    assert "support/copilot" in table.output and "40.0% green" in table.output
