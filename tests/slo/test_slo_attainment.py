"""Golden test "SLO attainment from events with latency": p50/p95 by nearest rank, error and
429 rates per tier, recomputed here from the events the test itself sent, on SQLite and
PostgreSQL."""

from __future__ import annotations

import math
from decimal import Decimal

from slo_support import events, setup_month

from billing.budgets.slo import attainment, period_attainment


def _nearest_rank(latencies: list[int], p: int) -> int:
    ordered = sorted(latencies)
    return ordered[math.ceil(p / 100 * len(ordered)) - 1]


def _expected(tier: str, customer_events: list[dict]) -> dict:
    card_tier = {"gpt-4o-mini": "good", "gpt-4o": "better"}
    mine = [e for e in customer_events if "status" in e
            and e.get("tier", card_tier[e["model"]]) == tier]
    calls = sum(e["requests"] for e in mine)
    by = {s: sum(e["requests"] for e in mine if e["status"] == s)
          for s in ("ok", "error", "rate_limited", "timeout", "refused")}
    timed = [e["latency_ms"] for e in mine if e["status"] == "ok" and "latency_ms" in e
             for _ in range(e["requests"])]
    six = Decimal("0.000001")
    return {"calls": calls, "by": by, "p50": _nearest_rank(timed, 50),
            "p95": _nearest_rank(timed, 95), "timed": len(timed),
            "error_rate": (Decimal(by["error"] + by["timeout"]) / calls).quantize(six),
            "rate_limited_rate": (Decimal(by["rate_limited"]) / calls).quantize(six),
            "availability": (Decimal(by["ok"] + by["refused"]) / calls).quantize(six)}


def test_slo_attainment_from_events_with_latency(engine, settings):
    setup_month(engine, settings)
    sent = events()
    with engine.connect() as connection:
        found = {a.tier: a for a in period_attainment(connection, "2026-10", customer="acme")}
        support = {a.tier: a for a in period_attainment(connection, "2026-10", team="support")}
    assert sorted(found) == ["better", "good"]
    for tier, got in found.items():
        want = _expected(tier, sent)
        service = got.service
        assert (service.calls, service.timed, service.p50_ms, service.p95_ms) == (
            want["calls"], want["timed"], want["p50"], want["p95"])
        assert {s: getattr(service, s) for s in want["by"]} == want["by"]
        assert (service.error_rate, service.rate_limited_rate, service.availability) == (
            want["error_rate"], want["rate_limited_rate"], want["availability"])
        assert got.card == "slo-external@v1"
    good = found["good"]
    assert [item.name for item in good.breached] == ["p95_latency_ms", "availability"]
    assert found["better"].breached == ()
    team = _expected("good", [e for e in sent if e["team"] == "support"])
    assert (support["good"].service.calls, support["good"].service.p95_ms) == (
        team["calls"], team["p95"])


def test_attainment_is_a_pure_comparison_with_the_tier_slo():
    from billing.budgets.slo import TierService
    service = TierService("good", calls=1000, ok=994, refused=1, error=5, timed=994,
                          p50_ms=800, p95_ms=2000)
    items = attainment(service, {"p95_latency_ms": "2000", "availability": "99.5%"})
    assert [(i.name, i.met) for i in items] == [("p95_latency_ms", True), ("availability", True)]
    worse = attainment(TierService("good", calls=1000, ok=994, error=6, p95_ms=2001),
                       {"p95_latency_ms": "2000", "availability": "99.5%"})
    assert [i.met for i in worse] == [False, False]
    assert attainment(TierService("good"), {"p95_latency_ms": "2000"})[0].met is None
