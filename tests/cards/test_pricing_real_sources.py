"""Pricing what real sources report: the defaults of a quote, the provider service tier, the
1-hour cache-write price and model aliases, each checked against prices worked out by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ratecards import UnpricedModel, load_card, quote

CARD = load_card("""
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
        batch: {input: "0.075", output: "0.30", cached_input: "0.0375", cache_write_input: "0.5"}
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
        aliases: [claude-sonnet-4-20250514]
  best:
    description: none
    slo: {p95_latency_ms: 2000, availability: "99.5%"}
    markup: "0"
    per_request_fee: "0"
    models: {}
""", "real.yaml")
D = Decimal


def test_a_quote_with_only_input_and_output_is_one_request_of_totals_at_standard_prices():
    priced = quote(CARD, "claude-sonnet-4", input_tokens=1_000_000, output_tokens=100_000)
    assert (priced.requests, priced.cached_input_tokens, priced.cache_write_input_tokens,
            priced.tokens, priced.service_tier, priced.priced_model) == (
        1, 0, 0, "total", "standard", "claude-sonnet-4")
    # 3.00 + 1.50 = 4.50; x 0.20 markup = 0.90; one request x 0.002
    assert (priced.provider_cost, priced.markup_amount, priced.request_fees,
            priced.internal_price) == (D("4.50"), D("0.900"), D("0.002"), D("5.402"))
    assert priced.cache_write_input_price == D("3.75")


@pytest.mark.parametrize(("ttl", "price"), [("1h", "6.00"), ("5m", "3.75"), ("1H", "3.75")])
def test_one_hour_cache_writes_have_their_own_price(ttl, price):
    priced = quote(CARD, "claude-sonnet-4", input_tokens=1_000_000, output_tokens=0,
                   cache_write_input_tokens=2_000_000, cache_ttl=ttl)
    assert priced.cache_write_input_price == D(price)
    assert (priced.input_price, priced.output_price, priced.cached_input_price) == (
        D("3.00"), D("15.00"), D("0.30"))
    assert priced.provider_cost == D("3.00") + 2 * D(price)


def test_one_hour_cache_writes_of_a_model_without_a_one_hour_price_keep_the_cache_write_price():
    priced = quote(CARD, "gpt-4o-mini", input_tokens=0, output_tokens=0,
                   cache_write_input_tokens=1_000_000, cache_ttl="1h")
    # no cache_write_input on the card: cache writes cost the input price
    assert (priced.cache_write_input_price, priced.provider_cost) == (D("0.15"), D("0.15"))


def test_a_service_tier_the_card_prices_uses_its_prices_and_says_so():
    batch = quote(CARD, "gpt-4o-mini", input_tokens=1_000_000, output_tokens=1_000_000,
                  cached_input_tokens=1_000_000, cache_write_input_tokens=1_000_000,
                  service_tier="batch", requests=2)
    assert (batch.service_tier, batch.input_price, batch.output_price, batch.cached_input_price,
            batch.cache_write_input_price) == ("batch", D("0.075"), D("0.30"), D("0.0375"),
                                               D("0.5"))
    assert batch.provider_cost == D("0.9125")
    assert batch.internal_price == D("0.9125") * D("1.10") + 2 * D("0.001")
    flex = quote(CARD, "gpt-4o-mini", input_tokens=1_000_000, output_tokens=0,
                 service_tier="flex")
    assert (flex.service_tier, flex.provider_cost) == ("standard", D("0.15"))


def test_an_alias_prices_as_its_model_in_every_respect():
    alias = quote(CARD, "claude-sonnet-4-20250514", input_tokens=1_000_000, output_tokens=0,
                  cache_write_input_tokens=1_000_000, cache_ttl="1h", tier="better")
    assert (alias.model, alias.priced_model, alias.tier, alias.provider) == (
        "claude-sonnet-4-20250514", "claude-sonnet-4", "better", "anthropic")
    assert alias.provider_cost == D("9.00")
    batch = quote(CARD, "gpt-4o-mini-2024-07-18", input_tokens=1_000_000, output_tokens=0,
                  service_tier="batch")
    assert (batch.priced_model, batch.service_tier, batch.provider_cost) == (
        "gpt-4o-mini", "batch", D("0.075"))
    with pytest.raises(UnpricedModel) as refused:
        quote(CARD, "claude-sonnet-4-20250514", input_tokens=1, output_tokens=1, tier="good")
    assert str(refused.value) == (
        "model 'claude-sonnet-4-20250514' is in tier better of real@2026-10, not good")


SEARCH_CARD = load_card("""
card: search
version: "2026-10"
effective_from: 2026-10-01
currency: USD
tiers:
  good:
    description: small
    slo: {p95_latency_ms: 2000, availability: "99.5%"}
    markup: "0"
    per_request_fee: "0"
    models:
      gpt-4o-mini: {provider: openai, input: "0.15", output: "0.60", cached_input: "0.075"}
  better:
    description: mid
    slo: {p95_latency_ms: 2000, availability: "99.5%"}
    markup: "0.20"
    per_request_fee: "0"
    models:
      claude-sonnet-4:
        provider: anthropic
        input: "3.00"
        output: "15.00"
        cached_input: "0.30"
        web_search_per_1k: "10.00"
  best:
    description: none
    slo: {p95_latency_ms: 2000, availability: "99.5%"}
    markup: "0"
    per_request_fee: "0"
    models: {}
capacity:
  llama-selfhosted:
    provider: internal
    tier: better
    gpu_hours: "10"
    gpu_hour_rate: "2"
    capacity_tokens: 1000000
    idle: central
""", "search.yaml")


def test_web_searches_are_priced_per_thousand_inside_provider_cost_and_marked_up():
    """Anthropic's own usage example: 10 searches at 10.00 per 1,000 cost 0.10."""
    priced = quote(SEARCH_CARD, "claude-sonnet-4", input_tokens=0, output_tokens=0,
                   web_search_requests=10)
    assert (priced.web_search_requests, priced.web_search_price, priced.web_search_fees) == (
        10, D("10.00"), D("0.10"))
    assert priced.provider_cost == D("0.10")
    assert priced.markup_amount == D("0.020")
    assert priced.internal_price == D("0.120")
    tokens = quote(SEARCH_CARD, "claude-sonnet-4", input_tokens=1_000_000, output_tokens=0,
                   web_search_requests=1_000)
    assert tokens.provider_cost == D("3.00") + D("10.00")


def test_web_searches_on_a_model_without_a_search_price_name_the_card_model_and_tier():
    with pytest.raises(UnpricedModel) as refused:
        quote(SEARCH_CARD, "gpt-4o-mini", input_tokens=1, output_tokens=1,
              web_search_requests=1)
    error = refused.value
    assert (error.card, error.version, error.model, error.tier) == (
        "search", "2026-10", "gpt-4o-mini", "good")
    assert str(error) == ("search@2026-10 prices no web searches for gpt-4o-mini; give the "
                          "model a web_search_per_1k price (per 1,000 searches) on the card")
    assert quote(SEARCH_CARD, "gpt-4o-mini", input_tokens=1, output_tokens=1).web_search_fees \
        == D(0)


def test_a_capacity_model_is_not_quoted_at_a_token_price_and_says_where_its_price_comes_from():
    with pytest.raises(UnpricedModel) as refused:
        quote(SEARCH_CARD, "llama-selfhosted", input_tokens=1, output_tokens=1)
    error = refused.value
    assert (error.card, error.version, error.model, error.tier) == (
        "search", "2026-10", "llama-selfhosted", None)
    assert str(error) == (
        "model 'llama-selfhosted' is priced by its capacity on search@2026-10: its price per "
        "million tokens is set by a period's throughput when usage is rated (`billing "
        "ratecards show` prints its full-use price)")
    with pytest.raises(UnpricedModel, match="is not priced by search@2026-10") as unknown:
        quote(SEARCH_CARD, "no-such-model", input_tokens=1, output_tokens=1)
    assert (unknown.value.card, unknown.value.version, unknown.value.tier) == (
        "search", "2026-10", None)
