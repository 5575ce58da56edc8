"""Rating what real sources report: cache hits and failed calls counted but not billed, the
provider service tier kept on the line and priced by the card, a reported cost added at its
nano-dollar value, the 1-hour cache writes priced at their own price, and a model reported by
an alias priced as the card's model. Small data, SQLite, pure functions where possible."""

from __future__ import annotations

import json
from datetime import UTC, date
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from billing.ledger.metering import ingest_lines
from billing.models import UsageEvent
from billing.rating.attribution import RuleSet
from billing.rating.rate import _aggregate, _merge, price_line
from ratecards import load_card, quote

DAY = date(2026, 10, 5)
UTC_ZONE = ZoneInfo("UTC")
CARD_TEXT = """
card: real
version: "2026-10"
effective_from: 2026-10-01
currency: USD
tiers:
  good:
    description: small
    slo: {p95_latency_ms: 2000, availability: "99.5%"}
    markup: "0.10"
    per_request_fee: "0.001"
    models:
      gpt-4o-mini:
        provider: openai
        input: "0.15"
        output: "0.60"
        cached_input: "0.075"
        aliases: [gpt-4o-mini-2024-07-18]
        batch: {input: "0.075", output: "0.30", cached_input: "0.0375"}
  better:
    description: mid
    slo: {p95_latency_ms: 2000, availability: "99.5%"}
    markup: "0.20"
    per_request_fee: "0.002"
    models:
      claude-sonnet-4:
        provider: anthropic
        input: "3.00"
        output: "15.00"
        cached_input: "0.30"
        cache_write_input: "3.75"
        cache_write_1h_input: "6.00"
  best:
    description: none
    slo: {p95_latency_ms: 2000, availability: "99.5%"}
    markup: "0"
    per_request_fee: "0"
    models: {}
"""
CARD = load_card(CARD_TEXT, "real.yaml")
EURO = load_card(CARD_TEXT.replace("currency: USD", "currency: EUR"), "euro.yaml")
NO_RULES = RuleSet("none", ())


def _event(event_id: str, **fields) -> str:  # noqa: ANN003
    return json.dumps({"event_id": event_id, "occurred_at": "2026-10-05T10:00:00Z",
                       "team": "t", "use_case": "u", "provider": "anthropic",
                       "model": "claude-sonnet-4", "input_tokens": 10, "output_tokens": 5,
                       **fields})


def _merged(engine, events: list[str]) -> dict:  # noqa: ANN001
    result = ingest_lines(engine, events, zone=UTC)
    assert result.rejected == 0, result.errors
    with engine.connect() as connection:
        high = connection.execute(select(func.max(UsageEvent.__table__.c.id))).scalar_one()
        merged = _merge(_aggregate(connection, 0, high, None), lambda _: NO_RULES)
    return {(key[7], key[10]): totals for key, totals in merged.items()}


def test_cache_hits_and_failed_calls_are_counted_but_carry_no_usage(engine):
    merged = _merged(engine, [
        _event("ok", reported_cost="0.25", cache_write_input_tokens=30,
               cache_write_1h_input_tokens=20),
        _event("hit", call_status="cache_hit", reported_cost="1", cache_write_input_tokens=9,
               cache_write_1h_input_tokens=9),
        _event("failed", call_status="failed", requests=4, cached_input_tokens=3),
        _event("ok2", input_tokens=1, output_tokens=2, cache_write_input_tokens=7,
               cache_write_1h_input_tokens=5, reported_cost="0.000000003", requests=2),
        _event("batch", service_tier="batch", input_tokens=100, output_tokens=0),
        _event("plain", model="gpt-4o-mini", provider="openai", input_tokens=1,
               output_tokens=1),
    ])
    # events, requests, input, output, cached, cache-write tokens, reported nanos, 1h tokens,
    # web searches
    assert merged == {
        ("claude-sonnet-4", "standard"): [4, 3, 11, 7, 0, 37, 250_000_003, 25, 0],
        ("claude-sonnet-4", "batch"): [1, 1, 100, 0, 0, 0, 0, 0, 0],
        ("gpt-4o-mini", "standard"): [1, 1, 1, 1, 0, 0, 0, 0, 0],
    }


def _key(model: str = "claude-sonnet-4", service_tier: str = "standard", tier: str | None = None,
         ) -> tuple:
    return ("2026-10", DAY, "t", "u", None, "production", "anthropic", model, tier, None,
            service_tier)


def _line(totals: list[int], *, versions: list | None = None, cache_ttl: str = "5m",
          **key) -> dict:  # noqa: ANN003
    return price_line("showback", _key(**key), totals, versions or [CARD], UTC_ZONE, {},
                      cache_ttl=cache_ttl)


def test_a_reported_cost_is_added_to_the_token_cost_with_the_tier_markup():
    # 1,000,000 input x 3.00 + 100,000 output x 15.00 = 4.50; reported 0.25
    line = _line([2, 2, 1_000_000, 100_000, 0, 0, 250_000_000])
    tokens = quote(CARD, "claude-sonnet-4", input_tokens=1_000_000, output_tokens=100_000,
                   requests=2)
    assert line["reported_cost_nanos"] == 250_000_000
    assert line["provider_cost"] == Decimal("4.50") + Decimal("0.25") == Decimal("4.75")
    assert line["amount"] == tokens.internal_price + Decimal("0.25") * Decimal("1.20")
    assert line["amount"] == Decimal("4.75") * Decimal("1.20") + 2 * Decimal("0.002")
    assert "unpriced_reason" not in line


def test_without_a_reported_cost_the_line_is_the_quote():
    line = _line([1, 1, 1_000_000, 0, 0, 0, 0])
    assert (line["provider_cost"], line["amount"]) == (
        Decimal("3.00"), Decimal("3.00") * Decimal("1.20") + Decimal("0.002"))


def test_a_reported_cost_alone_prices_a_model_the_card_does_not_list_at_that_cost():
    line = _line([3, 3, 0, 0, 0, 0, 40_000_000], model="dall-e-3")
    assert {name: line[name] for name in ("card", "card_version", "currency", "markup",
                                          "per_request_fee", "provider_cost", "amount")} == {
        "card": "real", "card_version": "2026-10", "currency": "USD", "markup": Decimal(0),
        "per_request_fee": Decimal(0), "provider_cost": Decimal("0.04"),
        "amount": Decimal("0.04")}
    assert "unpriced_reason" not in line


def test_a_reported_cost_with_tokens_of_an_unlisted_model_is_unpriced():
    for totals in ([1, 1, 5, 0, 0, 0, 1], [1, 1, 0, 5, 0, 0, 1], [1, 1, 0, 0, 5, 0, 1],
                   [1, 1, 0, 0, 0, 5, 1], [1, 1, 5, 0, 0, 0, 0]):
        line = _line(totals, model="dall-e-3")
        assert line["unpriced_reason"] == "model 'dall-e-3' is not priced by real@2026-10"
        assert line["unpriced_card"] == "real" and "amount" not in line


def test_a_reported_cost_in_usd_on_a_card_in_another_currency_is_unpriced_with_why():
    line = _line([1, 1, 10, 0, 0, 0, 500_000_000], versions=[EURO])
    assert line["unpriced_reason"] == (
        "the source reported a cost of 0.5 USD but real@2026-10 is in EUR; price the model on "
        "the card or convert the reported cost before ingest")
    assert "amount" not in line
    plain = _line([1, 1, 1_000_000, 0, 0, 0, 0], versions=[EURO])
    assert (plain["currency"], plain["provider_cost"]) == ("EUR", Decimal("3.00"))


def test_the_service_tier_is_priced_by_the_card_and_kept_on_the_line():
    batch = _line([1, 1, 1_000_000, 1_000_000, 0, 0, 0], model="gpt-4o-mini",
                  service_tier="batch")
    assert (batch["service_tier"], batch["input_price"], batch["output_price"]) == (
        "batch", Decimal("0.075"), Decimal("0.30"))
    assert batch["provider_cost"] == Decimal("0.375")
    flex = _line([1, 1, 1_000_000, 0, 0, 0, 0], model="gpt-4o-mini", service_tier="flex")
    assert (flex["service_tier"], flex["input_price"]) == ("flex", Decimal("0.15"))


def test_one_hour_cache_writes_are_priced_at_their_own_price():
    hour = _line([0, 0, 0, 0, 0, 1_000_000, 0], cache_ttl="1h")
    assert (hour["cache_write_input_price"], hour["provider_cost"]) == (
        Decimal("6.00"), Decimal("6.00"))
    five = _line([0, 0, 0, 0, 0, 1_000_000, 0])
    assert (five["cache_write_input_price"], five["provider_cost"]) == (
        Decimal("3.75"), Decimal("3.75"))


def test_a_model_reported_by_an_alias_is_priced_as_the_cards_model():
    line = _line([1, 1, 1_000_000, 0, 0, 0, 0], model="gpt-4o-mini-2024-07-18")
    assert (line["model"], line["priced_model"], line["tier"], line["input_price"]) == (
        "gpt-4o-mini-2024-07-18", "gpt-4o-mini", "good", Decimal("0.15"))


def test_aggregates_that_become_one_line_add_their_reported_cost_and_one_hour_writes(engine):
    # unattributed usage is grouped by its prompt version (the rules may read it); with no
    # rules both aggregates become one line
    merged = _merged(engine, [
        _event(f"p{n}", team=None, prompt_version=f"v{n}", reported_cost=cost,
               cache_write_input_tokens=10, cache_write_1h_input_tokens=hour)
        for n, cost, hour in ((1, "0.25", 4), (2, "0.5", 6))])
    assert merged == {("claude-sonnet-4", "standard"): [2, 2, 20, 10, 0, 20, 750_000_000, 10, 0]}
