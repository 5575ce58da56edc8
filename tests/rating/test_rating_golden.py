"""A hand-computed month: three teams, two pools, a price cut mid-month and a project rule.

Card `golden` (good: markup 10%, fee 0.0002/request; better: markup 20%, no fee):
  m-small (good)  input 0.15 -> 0.10 from 2026-10-16, output 0.60, cached 0.075 per M tokens
  m-big (better)  input 3.00, output 15.00, cached 0.30 per M tokens

  a/a1  10-05 m-small 1,000,000 in 200,000 out 100 req: (0.15+0.12)x1.1+0.02 = 0.317
  a/a1  10-20 m-small 1,000,000 in 200,000 out 100 req: (0.10+0.12)x1.1+0.02 = 0.262
  b/b1  10-10 m-big 100,000 in 10,000 out 50,000 cached 10 req: (0.3+0.15+0.015)x1.2 = 0.558
  proj_c (rule -> c/c1) 10-07 m-small 2,000,000 in 1 req: 0.30x1.1+0.0002 = 0.3302

Showback lines, rounded once: a 0.579 -> 0.58, b 0.558 -> 0.56, c 0.3302 -> 0.33.
Pool "observability" 10.00 by spend (charged): exact 3.946.., 3.803.., 2.250..; floors
3.94 + 3.80 + 2.25 = 9.99, the last cent to the largest remainder (a): 3.95, 3.80, 2.25.
Pool "platform" 100.00 even (central): 33.34 (a, ties broken by name), 33.33, 33.33.
Team a total = 0.58 + 3.95 = 4.53 (central pools are shown, not added).
"""

from __future__ import annotations

import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from billing.close.showback import showback
from billing.ledger.metering import ingest_lines
from billing.rating.attribution import load_rules
from billing.rating.overhead import load_pools
from billing.rating.rate import Cards, rate
from ratecards import load_card

UTC = ZoneInfo("UTC")
CARD = """
card: golden
version: "{version}"
effective_from: {effective}
currency: USD
tiers:
  good:
    description: small models
    slo: {{p95_latency_ms: 2000, availability: "99.5%"}}
    markup: "0.10"
    per_request_fee: "0.0002"
    models:
      m-small: {{provider: openai, input: "{small_input}", output: "0.60", cached_input: "0.075"}}
  better:
    description: big models
    slo: {{p95_latency_ms: 5000, availability: "99.9%"}}
    markup: "0.20"
    per_request_fee: "0"
    models:
      m-big: {{provider: anthropic, input: "3.00", output: "15.00", cached_input: "0.30"}}
  best:
    description: none yet
    slo: {{p95_latency_ms: 9000, availability: "99.9%"}}
    markup: "0.30"
    per_request_fee: "0"
    models: {{}}
"""
CARDS = [
    load_card(CARD.format(version="2026-10", effective="2026-10-01", small_input="0.15"), "a"),
    load_card(CARD.format(version="2026-10b", effective="2026-10-16", small_input="0.10"), "b"),
]
RULES = load_rules("""
rules:
  - name: project c
    match: {provider_project: proj_c}
    set: {team: c, use_case: c1}
""")
POOLS = load_pools("""
pools:
  - {name: observability, amount: "10.00", currency: USD, driver: spend, treatment: charged}
  - {name: platform, amount: "100.00", currency: USD, driver: even, treatment: central}
""")


def _usage(event_id, day, model, inp, out, requests, cached=0, **who):  # noqa: ANN001, ANN003
    return json.dumps({"event_id": event_id, "occurred_at": f"2026-10-{day}T12:00:00Z",
                       "model": model, "input_tokens": inp, "output_tokens": out,
                       "cached_input_tokens": cached, "requests": requests, **who})


MONTH = [
    _usage("g1", "05", "m-small", 600_000, 150_000, 60, team="a", use_case="a1"),
    _usage("g2", "05", "m-small", 400_000, 50_000, 40, team="a", use_case="a1"),
    _usage("g3", "20", "m-small", 1_000_000, 200_000, 100, team="a", use_case="a1"),
    _usage("g4", "10", "m-big", 100_000, 10_000, 10, cached=50_000, team="b", use_case="b1"),
    _usage("g5", "07", "m-small", 2_000_000, 0, 1, provider="openai",
           tags={"provider_project": "proj_c"}),
]


@pytest.fixture
def rated(engine):  # noqa: ANN001
    ingest_lines(engine, MONTH, zone=UTC)
    rate(engine, Cards(team=CARDS, customer=CARDS), zone=UTC, rules=RULES)
    return engine


def test_golden_showback_lines_and_pools(rated):
    a = showback(rated, "a", "2026-10", pools=POOLS)
    assert [(x.use_case, x.model, x.tier, x.amount, x.provider_cost) for x in a.lines] == [
        ("a1", "m-small", "good", Decimal("0.58"), Decimal("0.49"))
    ]
    assert a.lines[0].card_versions == ("golden@2026-10", "golden@2026-10b")
    assert {(s.pool, s.amount) for s in a.overhead} == {
        ("observability", Decimal("3.95")), ("platform", Decimal("33.34"))
    }
    assert a.total == Decimal("4.53")
    b = showback(rated, "b", "2026-10", pools=POOLS)
    c = showback(rated, "c", "2026-10", pools=POOLS)
    assert (b.usage_total, c.usage_total) == (Decimal("0.56"), Decimal("0.33"))
    assert (b.charged_overhead, c.charged_overhead) == (Decimal("3.80"), Decimal("2.25"))
    assert a.charged_overhead + b.charged_overhead + c.charged_overhead == Decimal("10.00")


def test_rating_twice_changes_nothing(rated):
    second = rate(rated, Cards(team=CARDS, customer=CARDS), zone=UTC, rules=RULES)
    assert second.nothing_to_do
    assert showback(rated, "a", "2026-10").usage_total == Decimal("0.58")


def test_new_usage_is_rated_incrementally_and_rerate_gives_the_same_totals(rated):
    ingest_lines(rated, [_usage("g6", "21", "m-small", 1_000_000, 0, 1, team="a",
                                use_case="a1")], zone=UTC)
    result = rate(rated, Cards(team=CARDS, customer=CARDS), zone=UTC, rules=RULES)
    assert result.events == 1
    # 0.10 x 1.1 + 0.0002 = 0.1102 more: 0.579 + 0.1102 = 0.6892 -> 0.69
    assert showback(rated, "a", "2026-10").usage_total == Decimal("0.69")
    rate(rated, Cards(team=CARDS, customer=CARDS), zone=UTC, rules=RULES,
         rerate_period="2026-10")
    assert showback(rated, "a", "2026-10").usage_total == Decimal("0.69")


def test_unpriced_model_is_listed_never_priced_at_zero(engine):
    ingest_lines(engine, [_usage("u1", "05", "llama-local", 100, 10, 1, team="a",
                                 use_case="a1")], zone=UTC)
    result = rate(engine, Cards(team=CARDS, customer=CARDS), zone=UTC)
    assert [item["model"] for item in result.unpriced] == ["llama-local"]
    assert "llama-local" in result.unpriced[0]["reason"]


def test_without_the_rule_the_project_stays_unattributed(engine):
    ingest_lines(engine, MONTH, zone=UTC)
    rate(engine, Cards(team=CARDS, customer=CARDS), zone=UTC)
    with pytest.raises(LookupError):
        showback(engine, "c", "2026-10")
