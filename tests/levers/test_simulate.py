"""What-if pricing, recomputed here by hand with Decimal from the card's own numbers.

A small card (two tiers, a batch price for one model) and three days of one use case's usage;
each lever's spend is worked out below from the formula on the card, never read back from
the code under test, and the combined run shows it is computed (compression shrinks the
tokens routing then prices), not summed.
"""

from __future__ import annotations

import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from billing.api.app import create_app
from billing.budgets.levers.spec import LeverError, parse_lever
from billing.budgets.levers.what_if import what_if
from billing.cli import app
from billing.ledger.metering import ingest_lines
from billing.rating.card_registry import publish, published_versions
from billing.rating.rate import Cards, rate

CARD = """
card: levers-internal
version: "2026-10"
effective_from: 2026-10-01
currency: USD
tiers:
  good:
    description: small
    slo: {p95_latency_ms: 2000, availability: "99.5%"}
    markup: "0.05"
    per_request_fee: "0.0001"
    models:
      mini: {provider: openai, input: "0.20", output: "0.80", cached_input: "0.05"}
  best:
    description: strong
    slo: {p95_latency_ms: 9000, availability: "99.9%"}
    markup: "0.10"
    per_request_fee: "0.0005"
    models:
      big: {provider: openai, input: "10.00", output: "40.00", cached_input: "2.50",
            batch: {input: "5.00", output: "20.00", cached_input: "1.25"}}
"""
EXTERNAL = CARD.replace("card: levers-internal", "card: levers-external")
# card versions are immutable and outlive a test: these names are this module's own
PRICES = {  # model: (input, output, cached, markup, fee), per 1M tokens / per request
    "mini": (Decimal("0.20"), Decimal("0.80"), Decimal("0.05"), Decimal("0.05"),
             Decimal("0.0001")),
    "big": (Decimal("10.00"), Decimal("40.00"), Decimal("2.50"), Decimal("0.10"),
            Decimal("0.0005")),
}
BATCH_BIG = (Decimal("5.00"), Decimal("20.00"), Decimal("1.25"))
M = Decimal(1_000_000)
# (day, model, requests, input, output, cached): one event each
EVENTS = [
    ("2026-10-03", "big", 10, 120_000, 20_000, 30_000),
    ("2026-10-04", "big", 4, 20_000, 8_000, 0),
    ("2026-10-05", "mini", 50, 400_000, 60_000, 100_000),
]


def _cost(model: str, requests: Decimal, inp: Decimal, out: Decimal, cached: Decimal,
          batch: bool = False) -> Decimal:
    i, o, c, markup, fee = PRICES[model]
    if batch:
        i, o, c = BATCH_BIG
    return (inp * i + out * o + cached * c) / M * (1 + markup) + requests * fee


def _actual() -> Decimal:
    return sum((_cost(m, Decimal(r), Decimal(i), Decimal(o), Decimal(c))
                for _, m, r, i, o, c in EVENTS), Decimal(0))


def _cents(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP"))


@pytest.fixture
def usage(engine):  # noqa: ANN001
    publish(engine, CARD, "internal.yaml")
    publish(engine, EXTERNAL, "external.yaml")
    lines = [json.dumps({
        "event_id": f"e{n}", "occurred_at": f"{day}T10:00:00Z", "team": "support",
        "use_case": "copilot", "model": model, "requests": requests, "input_tokens": inp,
        "output_tokens": out, "cached_input_tokens": cached})
        for n, (day, model, requests, inp, out, cached) in enumerate(EVENTS)]
    lines.append(json.dumps({"event_id": "other", "occurred_at": "2026-10-03T10:00:00Z",
                             "team": "search", "use_case": "ranker", "model": "big",
                             "input_tokens": 999_999, "output_tokens": 1}))
    ingest_lines(engine, lines, zone=ZoneInfo("UTC"))
    rate(engine, Cards(published_versions(engine, "levers-internal"),
                       published_versions(engine, "levers-external")), zone=ZoneInfo("UTC"))
    return engine


def _spend(result: dict, index: int | None = None) -> str:
    return (result["combined"] if index is None else result["levers"][index])["spend"]


def test_before_is_the_ledger_and_each_lever_is_priced_from_the_card(usage):
    levers = ["routing:best->good:40%", "compression:input-35%", "caching:hit-rate+20pp",
              "batch:30%", "policy:max-input=5000"]
    result = what_if(usage, "copilot", "2026-10", levers)
    assert result["before"]["spend"] == _cents(_actual())
    assert result["before"]["calls"] == 64

    share = Decimal("0.4")
    routed = Decimal(0)
    for _, model, r, i, o, c in EVENTS:
        args = [Decimal(x) for x in (r, i, o, c)]
        if model == "big":  # 40% of the calls and their tokens priced as the good tier's model
            routed += _cost("big", *[a * (1 - share) for a in args])
            routed += _cost("mini", *[a * share for a in args])
        else:
            routed += _cost(model, *args)
    assert _spend(result, 0) == _cents(routed)

    keep = Decimal("0.65")
    compressed = sum((_cost(m, Decimal(r), i * keep, Decimal(o), c * keep)
                      for _, m, r, i, o, c in EVENTS), Decimal(0))
    assert _spend(result, 1) == _cents(compressed)

    cached_more = Decimal(0)
    for _, m, r, i, o, c in EVENTS:
        read = Decimal(i + c)
        hit = min(Decimal(1), Decimal(c) / read + Decimal("0.20"))
        cached_more += _cost(m, Decimal(r), read - read * hit, Decimal(o), read * hit)
    assert _spend(result, 2) == _cents(cached_more)

    batched = Decimal(0)
    for _, m, r, i, o, c in EVENTS:
        args = [Decimal(x) for x in (r, i, o, c)]
        if m == "big":
            batched += _cost(m, *[a * Decimal("0.7") for a in args])
            batched += _cost(m, *[a * Decimal("0.3") for a in args], batch=True)
        else:
            batched += _cost(m, *args)
    assert _spend(result, 3) == _cents(batched)
    assert any("no batch price for mini" in note for note in result["levers"][3]["notes"])

    capped = Decimal(0)
    for _, m, r, i, o, c in EVENTS:  # 5,000 input tokens a call at most, on the day's average
        prompt, cap = Decimal(i + c), Decimal(5000 * r)
        factor = min(Decimal(1), cap / prompt)
        capped += _cost(m, Decimal(r), i * factor, Decimal(o), c * factor)
    assert _spend(result, 4) == _cents(capped)
    assert capped < _actual()  # day one averages 15,000 a call: the cap bites


def test_combined_is_computed_in_order_not_summed(usage):
    result = what_if(usage, "copilot", "2026-10",
                     ["routing:big->mini:50%", "compression:input-50%"])
    expected = Decimal(0)
    for _, m, r, i, o, c in EVENTS:
        inp, cached = Decimal(i) / 2, Decimal(c) / 2  # compression first
        args = [Decimal(r), inp, Decimal(o), cached]
        if m == "big":
            expected += _cost("big", *[a / 2 for a in args]) + _cost("mini",
                                                                     *[a / 2 for a in args])
        else:
            expected += _cost(m, *args)
    assert _spend(result) == _cents(expected)
    actual = Decimal(result["before"]["spend"])
    parts = sum((actual - Decimal(_spend(result, n)) for n in range(2)), Decimal(0))
    assert Decimal(result["combined"]["saving"]) != parts
    assert Decimal(result["combined"]["saving"]) == actual - Decimal(_spend(result))


@pytest.mark.parametrize("text", ["routing:best->best:10%", "compression:input-0%",
                                  "batch:130%", "caching:hit-rate+x", "policy:max-input=0",
                                  "speed:2x", "routing:best->better"])
def test_a_lever_written_wrong_is_refused_with_the_forms(text):
    with pytest.raises(LeverError, match="write one of"):
        parse_lever(text)


def test_cli_and_api_give_the_same_simulation(usage, settings, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    args = ["-u", "copilot", "-p", "2026-10", "-l", "routing:best->good:40%", "-l",
            "compression:input-35%"]
    done = CliRunner().invoke(app, ["levers", "simulate", *args, "--json"])
    assert done.exit_code == 0, done.output
    with TestClient(create_app(settings)) as client:
        got = client.get("/v1/levers/simulate", params={
            "use_case": "copilot", "period": "2026-10",
            "lever": ["routing:best->good:40%", "compression:input-35%"]},
            headers={"Authorization": "Bearer test-key"})
        assert got.status_code == 200
        assert got.json() == json.loads(done.output)
        bad = client.get("/v1/levers/simulate", params={
            "use_case": "copilot", "period": "2026-10", "lever": "warp:9"},
            headers={"Authorization": "Bearer test-key"})
        assert bad.status_code == 422 and bad.json()["field"] == "lever"
        missing = client.get("/v1/levers/simulate", params={
            "use_case": "nobody", "period": "2026-10", "lever": "batch:10%"},
            headers={"Authorization": "Bearer test-key"})
        assert missing.status_code == 404
    table = CliRunner().invoke(app, ["levers", "simulate", *args])
    assert "combined" in table.output and "not the sum of the parts" in " ".join(
        table.output.split())
    wrong = CliRunner().invoke(app, ["levers", "simulate", "-u", "copilot", "-p", "2026-10",
                                     "-l", "warp:9"])
    assert wrong.exit_code == 2 and "write one of" in wrong.output


CAPACITY_CARD = CARD.replace("card: levers-internal", "card: levers-capacity-internal") + """
capacity:
  llama-selfhosted:
    provider: internal
    tier: best
    fixed_amount: "300.00"
    capacity_tokens: 30000000
    idle: central
"""


def test_a_model_priced_by_capacity_stays_at_its_rated_amount_and_says_so(engine):
    """A self-hosted model has no price per token to simulate with: no traceback, a note."""
    publish(engine, CAPACITY_CARD, "capacity.yaml")
    publish(engine, EXTERNAL.replace("levers-external", "levers-capacity-external"),
            "capacity-external.yaml")
    lines = [json.dumps({"event_id": f"cap{n}", "occurred_at": "2026-10-03T10:00:00Z",
                         "team": "platform", "use_case": "reviewer", "model": model,
                         "requests": 10, "input_tokens": 100_000, "output_tokens": 10_000})
             for n, model in enumerate(("big", "llama-selfhosted"))]
    ingest_lines(engine, lines, zone=ZoneInfo("UTC"))
    rate(engine, Cards(published_versions(engine, "levers-capacity-internal"),
                       published_versions(engine, "levers-capacity-external")),
         zone=ZoneInfo("UTC"))
    result = what_if(engine, "reviewer", "2026-10", ["compression:input-35%"])
    assert result["before"]["calls"] == 20
    assert Decimal(result["levers"][0]["saving"]) > 0
    assert any("llama-selfhosted kept at its rated amount" in note
               for note in result["levers"][0]["notes"])
