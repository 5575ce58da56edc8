"""Pricing at its edges: what a quote says field by field, the errors a wrong model, tier or
date gets, price bands, and discounts at band boundaries. Pure functions, no database, except
one quote through the published cards."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from billing.rating.card_registry import publish_shipped
from billing.rating.quote import QuoteResult, quote_at, read_at
from ratecards import (
    PER_CALL,
    NoVersionInForce,
    UnpricedModel,
    VolumeBand,
    committed_use,
    graduated_discount,
    load_card,
    price_band,
    quote,
    shipped_card_files,
    tier_of,
    version_in_force,
    version_on,
)
from ratecards.schema import Commitment

CARDS = {f"{c.card}@{c.version}": c for c in
         (load_card(p.read_text(), p.name) for p in shipped_card_files())}
INTERNAL = CARDS["internal@2026-10"]
D = Decimal


def test_a_quote_says_what_it_priced_field_by_field():
    price = quote(INTERNAL, "claude-sonnet-4", input_tokens=1, output_tokens=2,
                  cached_input_tokens=3, cache_write_input_tokens=4)
    at = datetime(2026, 10, 5, 10, tzinfo=UTC)
    # 1 x 3 + 2 x 15 + 3 x 0.30 + 4 x 3.75 = 48.9 per million; markup 8 %; one request fee
    assert QuoteResult(at, date(2026, 10, 1), price).to_dict() == {
        "card": "internal", "version": "2026-10", "effective_from": "2026-10-01",
        "at": "2026-10-05T10:00:00+00:00", "currency": "USD", "tier": "better",
        "model": "claude-sonnet-4", "priced_model": "claude-sonnet-4", "provider": "anthropic",
        "tokens": "total", "requests": 1,
        "input_tokens": 1, "output_tokens": 2, "cached_input_tokens": 3,
        "cache_write_input_tokens": 4,
        "unit_prices": {"input": "3.00", "output": "15.00", "cached_input": "0.30",
                        "cache_write_input": "3.75"},
        "markup": "0.08", "per_request_fee": "0.0002", "provider_cost": "0.0000489",
        "markup_amount": "0.000003912", "request_fees": "0.0002",
        "internal_price": "0.000252812"}


def test_tiny_amounts_are_written_in_plain_decimals():
    price = quote(INTERNAL, "gpt-4o-mini", input_tokens=1, output_tokens=0)
    written = QuoteResult(datetime(2026, 10, 5, tzinfo=UTC), date(2026, 10, 1), price).to_dict()
    assert (written["provider_cost"], written["markup_amount"]) == ("0.00000015",
                                                                    "0.0000000075")


def test_unpriced_model_and_wrong_tier_name_the_card_version_model_and_tier():
    with pytest.raises(UnpricedModel) as unpriced:
        tier_of(INTERNAL, "gpt-9")
    assert str(unpriced.value) == "model 'gpt-9' is not priced by internal@2026-10"
    assert (unpriced.value.card, unpriced.value.version, unpriced.value.model,
            unpriced.value.tier) == ("internal", "2026-10", "gpt-9", None)
    with pytest.raises(UnpricedModel) as wrong:
        quote(INTERNAL, "gpt-4o-mini", tier="best", input_tokens=1, output_tokens=1)
    assert str(wrong.value) == "model 'gpt-4o-mini' is in tier good of internal@2026-10, not best"
    assert (wrong.value.card, wrong.value.version, wrong.value.model, wrong.value.tier) == (
        "internal", "2026-10", "gpt-4o-mini", "best")


def test_one_request_by_default():
    price = quote(INTERNAL, "gpt-4o-mini", input_tokens=1_000_000, output_tokens=0)
    assert (price.requests, price.request_fees) == (1, D("0.0001"))
    assert price.internal_price == D("0.15") * D("1.05") + D("0.0001")


def test_a_price_band_is_the_cheapest_and_dearest_typical_request_of_a_tier():
    # a typical request is 1,000 input and 500 output tokens
    for tier, band in INTERNAL.tiers.items():
        prices = [quote(INTERNAL, model, input_tokens=1_000, output_tokens=500).internal_price
                  for model in band.models]
        assert price_band(INTERNAL, tier) == (min(prices), max(prices)), tier
    assert price_band(INTERNAL, "best") == (D("0.00710"), D("0.058250"))
    empty = replace(INTERNAL, tiers={**INTERNAL.tiers,
                                     "best": replace(INTERNAL.tiers["best"], models={})})
    assert price_band(empty, "best") == (D(0), D(0))

def test_no_version_in_force_says_when_the_first_starts():
    with pytest.raises(NoVersionInForce) as before:
        version_on([INTERNAL, CARDS["internal@2026-11"]], date(2026, 9, 30))
    assert str(before.value) == (
        "no version of card internal is in force on 2026-09-30; the first takes effect "
        "2026-10-01; usage before it cannot be priced (publish a version effective earlier)")
    with pytest.raises(NoVersionInForce) as none:
        version_on([], date(2026, 9, 30))
    assert str(none.value) == (
        "no version of card (none) is in force on 2026-09-30; usage before it cannot be "
        "priced (publish a version effective earlier)")
    with pytest.raises(NoVersionInForce) as two:
        version_on([INTERNAL, CARDS["external@2026-10"]], date(2026, 9, 1))
    assert "no version of card external, internal is in force" in str(two.value)
    with pytest.raises(ValueError) as naive:
        version_in_force([INTERNAL], datetime(2026, 10, 5))
    assert str(naive.value) == "the instant needs a time zone"


def test_a_space_between_date_and_time_is_read_as_t():
    assert read_at("2026-10-31 23:30") == datetime(2026, 10, 31, 23, 30)


def test_quote_at_prices_one_request_of_no_cached_tokens_by_default(engine):
    publish_shipped(engine)
    at = datetime(2026, 10, 5, tzinfo=UTC)
    quoted = quote_at(engine, "internal", "gpt-4o-mini", at=at, timezone="UTC",
                      input_tokens=1_000_000, output_tokens=0)
    assert quoted.price == quote(INTERNAL, "gpt-4o-mini", input_tokens=1_000_000,
                                 output_tokens=0, cached_input_tokens=0,
                                 cache_write_input_tokens=0, requests=1)
    assert (quoted.at, quoted.effective_from) == (at, date(2026, 10, 1))
    every = quote_at(engine, "internal", "claude-sonnet-4", at=at, timezone="UTC",
                     tier="better", input_tokens=1, output_tokens=2, cached_input_tokens=3,
                     cache_write_input_tokens=4, requests=5, tokens=PER_CALL)
    assert every.price == quote(INTERNAL, "claude-sonnet-4", input_tokens=1, output_tokens=2,
                                cached_input_tokens=3, cache_write_input_tokens=4,
                                requests=5, tokens=PER_CALL)
    with pytest.raises(UnpricedModel, match="not best"):
        quote_at(engine, "internal", "gpt-4o-mini", at=at, timezone="UTC", tier="best",
                 input_tokens=1, output_tokens=1)
    with pytest.raises(ValueError) as naive:
        quote_at(engine, "internal", "gpt-4o-mini", at=datetime(2026, 10, 5),
                 timezone="UTC", input_tokens=1, output_tokens=1)
    assert str(naive.value) == "at: the instant needs a time zone; see in_billing_zone"


THREE_BANDS = (VolumeBand(1_000, D("0.05")), VolumeBand(5_000, D("0.10")),
               VolumeBand(10_000, D("0.20")))


def test_graduated_discount_at_band_edges():
    # one token inside the first band: 5 % of its amount
    assert graduated_discount(THREE_BANDS, 1_000, 1, D("2.00")) == D("0.10")
    # an amount of exactly 1 is discounted like any other
    assert graduated_discount(THREE_BANDS, 1_000, 100, D("1")) == D("0.05")
    # three bands: 4,000 tokens at 5 %, 5,000 at 10 %, 1,000 at 20 % of 0.001 a token
    assert graduated_discount(THREE_BANDS, 1_000, 10_000, D("10.000")) == (
        D("4.000") * D("0.05") + D("5.000") * D("0.10") + D("1.000") * D("0.20"))
    assert graduated_discount(THREE_BANDS, 0, 0, D("5.00")) == 0
    assert graduated_discount(THREE_BANDS, 2_000, 100, D("0")) == 0


def test_committed_use_keeps_the_usage_it_was_given():
    result = committed_use(Commitment(D("100.00"), D("0.10")), D("40.00"))
    assert (result.usage, result.discounted_usage, result.true_up, result.billed) == (
        D("40.00"), D("36.0000"), D("64.0000"), D("100.00"))
