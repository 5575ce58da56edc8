"""The demo month carries latency and outcome status: every tier shows attainment, and one
external customer (umbrella, slow and rate-limited) breaches its good tier's SLO."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from billing.budgets.slo import period_attainment
from billing.close.sla_credits import propose
from billing.rating.rate import cards_in_use, rate


def test_the_demo_month_shows_attainment_and_one_customer_breach(month, close_settings):
    rate(month, cards_in_use(month, close_settings.team_card, close_settings.customer_card),
         zone=ZoneInfo("UTC"))
    with month.connect() as connection:
        everyone = period_attainment(connection, "2026-10")
        umbrella = {a.tier: a for a in period_attainment(connection, "2026-10",
                                                         customer="umbrella")}
        others = {customer: period_attainment(connection, "2026-10", customer=customer)
                  for customer in ("acme", "globex", "initech")}
    assert {a.tier for a in everyone} == {"good", "better", "best"}
    assert all(a.service.p95_ms and a.service.calls for a in everyone)
    assert [i.name for i in umbrella["good"].breached] == ["p95_latency_ms", "availability"]
    assert umbrella["good"].service.rate_limited > 0
    for customer, tiers in others.items():
        good = next(a for a in tiers if a.tier == "good")
        assert "p95_latency_ms" not in [i.name for i in good.breached], customer
    result = propose(month, "2026-10")
    assert result.proposed == []  # the shipped external card offers no SLA credit
    assert any(note.startswith("umbrella good: missed") for note in result.skipped)
