"""Helpers for the budgets tests: a card with round prices, so every expected amount can be
worked out by hand, and usage events written as JSON lines."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from billing.rating.rate import Cards
from ratecards import load_card

UTC = ZoneInfo("UTC")
# Per million tokens, no markup, no fee: m-cheap costs 1.00 per million tokens, m-good 4.00,
# m-mixed 3.00 in and 6.00 out.
CARD = load_card("""
card: budgeted
version: "2026-01"
effective_from: 2026-01-01
currency: USD
tiers:
  good:
    description: cheap
    slo: {p95_latency_ms: 2000, availability: "99.5%"}
    markup: "0"
    per_request_fee: "0"
    models:
      m-cheap: {provider: openai, input: "1.00", output: "1.00", cached_input: "1.00"}
      m-mixed: {provider: openai, input: "3.00", output: "6.00", cached_input: "3.00"}
  better:
    description: good
    slo: {p95_latency_ms: 4000, availability: "99.9%"}
    markup: "0"
    per_request_fee: "0"
    models:
      m-good: {provider: anthropic, input: "4.00", output: "4.00", cached_input: "4.00"}
  best:
    description: none
    slo: {p95_latency_ms: 9000, availability: "99.9%"}
    markup: "0"
    per_request_fee: "0"
    models: {}
""", "budgeted.yaml")
CARDS = Cards(team=[CARD], customer=[CARD])


def event(event_id: str, when: str, model: str = "m-cheap", input_tokens: int = 1_000_000,
          output_tokens: int = 0, requests: int = 1, **who: str) -> str:
    """One usage event as a JSON line; `when` is a day (2026-11-05) or a full timestamp."""
    occurred = when if "T" in when else f"{when}T12:00:00Z"
    return json.dumps({"event_id": event_id, "occurred_at": occurred, "model": model,
                       "input_tokens": input_tokens, "output_tokens": output_tokens,
                       "requests": requests, **who})
