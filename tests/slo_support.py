"""A card with SLA credits and a seeded month of events with latency and outcome status, for
the SLO tests; the tests recompute every percentile and rate from these events themselves."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from zoneinfo import ZoneInfo

from billing.config import Settings
from billing.ledger.metering import ingest_lines
from billing.rating.card_registry import publish, publish_shipped
from billing.rating.rate import cards_in_use, rate

UTC = ZoneInfo("UTC")
CARD = """card: slo-external
version: "v1"
effective_from: 2026-01-01
currency: USD
tiers:
  good:
    description: small models
    slo: {p95_latency_ms: 2000, availability: "99.5%", sla_credit_pct: "10%"}
    markup: "0.10"
    per_request_fee: "0"
    models:
      gpt-4o-mini: {provider: openai, input: "1.00", output: "4.00", cached_input: "0.50"}
  better:
    description: mid models
    slo: {p50_latency_ms: 1500, p95_latency_ms: 5000, availability: "98.0%", sla_credit_pct: "5"}
    markup: "0.10"
    per_request_fee: "0"
    models:
      gpt-4o: {provider: openai, input: "2.50", output: "10.00", cached_input: "1.25"}
"""
STATUSES = ["ok"] * 90 + ["error"] * 3 + ["rate_limited"] * 4 + ["timeout"] + ["refused"] * 2


def events(seed: int = 7, count: int = 400) -> list[dict]:
    """acme's calls: the good tier slow and often failing (breaches both items), the better
    tier fast and healthy; tiers come from the card (no tier field) or from the event."""
    rng = random.Random(seed)
    found = []
    for n in range(count):
        good = n % 3 != 0
        status = rng.choice(STATUSES) if good else ("ok" if n % 50 else "error")
        event = {"event_id": f"slo-{n}", "occurred_at": f"2026-10-{1 + n % 28:02d}T10:00:00Z",
                 "team": "support" if n % 2 else "sales", "use_case": "support-copilot",
                 "customer": "acme", "provider": "openai",
                 "model": "gpt-4o-mini" if good else "gpt-4o",
                 "input_tokens": 1_000_000, "output_tokens": 100_000,
                 "requests": 1 + n % 4, "status": status,
                 "latency_ms": rng.randint(300, 4000) if good else rng.randint(200, 3000)}
        if n % 7 == 0:
            event["tier"] = "good" if good else "better"
        if n % 11 == 0:
            del event["latency_ms"]
        found.append(event)
    found.append({"event_id": "slo-quiet", "occurred_at": "2026-10-03T10:00:00Z",
                  "team": "support", "customer": "acme", "model": "gpt-4o-mini",
                  "input_tokens": 10, "output_tokens": 1})  # reports nothing: left out
    return found


def setup_month(engine, settings: Settings) -> Settings:  # noqa: ANN001
    """The card published, the events ingested and rated; settings billing customers on it."""
    publish_shipped(engine)
    publish(engine, CARD, "slo-external.yaml")
    result = ingest_lines(engine, [json.dumps(event) for event in events()], zone=UTC,
                          source="slo")
    assert result.rejected == 0, result.errors
    settings = replace(settings, customer_card="slo-external")
    rate(engine, cards_in_use(engine, settings.team_card, settings.customer_card), zone=UTC)
    return settings
