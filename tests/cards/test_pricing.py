"""Pricing: hand-computed quotes on every shipped card and tier, and its algebra."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ratecards import (
    NoVersionInForce,
    UnpricedModel,
    VolumeBand,
    committed_use,
    diff_versions,
    graduated_discount,
    load_card,
    quote,
    shipped_card_files,
    version_in_force,
)
from ratecards.schema import Commitment, ModelPrice

CARDS = {f"{c.card}@{c.version}": c for c in
         (load_card(p.read_text(), p.name) for p in shipped_card_files())}
D = Decimal

# (card, model, input, output, cached, requests) -> provider cost, internal price, by hand
GOLDEN = [
    # good: gpt-4o-mini 0.15/0.60/0.075; 1M in, 100k out, 200k cached, 10 requests
    # provider = 0.15 + 0.06 + 0.015 = 0.225; internal x1.05 + 10 x 0.0001 = 0.23725
    ("internal@2026-10", "gpt-4o-mini", 1_000_000, 100_000, 200_000, 10, "0.225", "0.23725"),
    # better: claude-sonnet-4 3/15/0.30; 100k in, 20k out, 0 cached, 4 requests
    # provider = 0.3 + 0.3 = 0.6; x1.08 = 0.648 + 4 x 0.0002 = 0.6488
    ("internal@2026-10", "claude-sonnet-4", 100_000, 20_000, 0, 4, "0.6", "0.6488"),
    # 2026-11 cuts the better markup to 7%: 0.6 x 1.07 + 0.0008 = 0.6428
    ("internal@2026-11", "claude-sonnet-4", 100_000, 20_000, 0, 4, "0.6", "0.6428"),
    # best: o3 2/8/0.5; 50k in, 10k out, 50k cached, 1 request
    # provider = 0.1 + 0.08 + 0.025 = 0.205; x1.10 = 0.2255 + 0.0005 = 0.226
    ("internal@2026-10", "o3", 50_000, 10_000, 50_000, 1, "0.205", "0.226"),
    # external good: gemini-2.0-flash 0.10/0.40/0.025, markup 25%, fee 0.0005
    # 2M in, 500k out: 0.2 + 0.2 = 0.4; x1.25 = 0.5 + 3 x 0.0005 = 0.5015
    ("external@2026-10", "gemini-2.0-flash", 2_000_000, 500_000, 0, 3, "0.4", "0.5015"),
    # external better: gpt-4o 2.5/10/1.25, markup 30%, fee 0.001; 10k in, 1k out, 1 req
    # 0.025 + 0.01 = 0.035; x1.3 = 0.0455 + 0.001 = 0.0465
    ("external@2026-10", "gpt-4o", 10_000, 1_000, 0, 1, "0.035", "0.0465"),
    # external best: claude-opus-4 15/75, markup 40%, fee 0.002; 1k in, 1k out
    # 0.015 + 0.075 = 0.09; x1.4 = 0.126 + 0.002 = 0.128
    ("external@2026-10", "claude-opus-4", 1_000, 1_000, 0, 1, "0.09", "0.128"),
]


@pytest.mark.parametrize(("card", "model", "inp", "out", "cached", "requests", "cost", "price"),
                         GOLDEN)
def test_golden_quotes(card, model, inp, out, cached, requests, cost, price):
    q = quote(CARDS[card], model, input_tokens=inp, output_tokens=out,
              cached_input_tokens=cached, requests=requests)
    assert q.provider_cost == D(cost)
    assert q.internal_price == D(price)
    assert q.internal_price == q.provider_cost + q.markup_amount + q.request_fees


def test_cache_write_defaults_to_the_input_price_and_uses_its_own_when_given():
    card = CARDS["internal@2026-10"]
    # claude-sonnet-4 writes cache at 3.75: 1M x 3.75 = 3.75
    assert quote(card, "claude-sonnet-4", input_tokens=0, output_tokens=0,
                 cache_write_input_tokens=1_000_000, requests=0).provider_cost == D("3.75")
    # gpt-4o has none: the input price 2.50
    assert quote(card, "gpt-4o", input_tokens=0, output_tokens=0,
                 cache_write_input_tokens=1_000_000, requests=0).provider_cost == D("2.5")


def test_unpriced_model_and_wrong_tier_are_typed_errors_never_zero():
    card = CARDS["internal@2026-10"]
    with pytest.raises(UnpricedModel) as caught:
        quote(card, "llama-3-70b-selfhosted", input_tokens=1, output_tokens=1)
    assert caught.value.model == "llama-3-70b-selfhosted"
    with pytest.raises(UnpricedModel, match="is in tier good"):
        quote(card, "gpt-4o-mini", tier="best", input_tokens=1, output_tokens=1)
    with pytest.raises(UnpricedModel):  # added only in 2026-11
        quote(card, "gpt-4.1-nano", input_tokens=1, output_tokens=1)


def test_version_lookup_follows_the_billing_time_zone():
    versions = [CARDS["internal@2026-10"], CARDS["internal@2026-11"]]
    late_october_utc = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
    assert version_in_force(versions, late_october_utc).version == "2026-10"
    assert version_in_force(versions, late_october_utc, "Europe/Berlin").version == "2026-11"
    with pytest.raises(NoVersionInForce, match="2026-10-01"):
        version_in_force(versions, datetime(2026, 9, 30, 12, tzinfo=UTC))


def test_diff_lists_added_and_changed_with_percent():
    changes = diff_versions(CARDS["internal@2026-10"], CARDS["internal@2026-11"])
    assert {(c.kind, c.tier, c.model, c.field) for c in changes} >= {
        ("added", "good", "gpt-4.1-nano", "input"), ("changed", "better", None, "markup"),
    }
    markup = next(c for c in changes if c.field == "markup")
    assert (markup.old, markup.new, markup.pct_change) == (D("0.08"), D("0.07"), D("-12.50"))


tokens = st.integers(min_value=0, max_value=10**10)
prices = st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False)


@given(tokens, tokens, tokens, st.integers(1, 1000))
def test_pricing_is_linear_in_usage(inp, out, cached, requests):
    card = CARDS["internal@2026-10"]
    one = quote(card, "gpt-4.1", input_tokens=inp, output_tokens=out,
                cached_input_tokens=cached, requests=requests)
    two = quote(card, "gpt-4.1", input_tokens=2 * inp, output_tokens=2 * out,
                cached_input_tokens=2 * cached, requests=2 * requests)
    assert two.provider_cost == 2 * one.provider_cost
    assert two.internal_price == 2 * one.internal_price


@given(tokens, tokens, prices, prices, st.sampled_from(["input", "output", "cached_input"]))
def test_pricing_is_monotone_in_every_price(inp, out, low, high, field):
    low, high = sorted((low, high))
    card = CARDS["internal@2026-10"]
    tier = card.tiers["good"]
    base = tier.models["gpt-4o-mini"]

    def with_price(value: Decimal):  # noqa: ANN202
        price: ModelPrice = replace(base, **{field: value})
        tiers = dict(card.tiers, good=replace(tier, models={"gpt-4o-mini": price}))
        return quote(replace(card, tiers=tiers), "gpt-4o-mini", input_tokens=inp,
                     output_tokens=out, cached_input_tokens=inp)

    assert with_price(low).internal_price <= with_price(high).internal_price


@given(st.lists(st.integers(0, 3000), min_size=1, max_size=6, unique=True),
       st.integers(0, 4000))
def test_version_lookup_picks_exactly_one_version_at_every_instant(offsets, probe):
    base = CARDS["internal@2026-10"]
    start = date(2026, 1, 1)
    versions = [replace(base, version=f"v{n}", effective_from=start + timedelta(days=n))
                for n in offsets]
    day = start + timedelta(days=probe)
    at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    eligible = [v for v in versions if v.effective_from <= day]
    if not eligible:
        with pytest.raises(NoVersionInForce):
            version_in_force(versions, at)
        return
    chosen = version_in_force(versions, at)
    assert chosen.effective_from == max(v.effective_from for v in eligible)


BANDS = (VolumeBand(1_000, D("0.05")), VolumeBand(5_000, D("0.10")))


@given(st.integers(0, 10_000), st.integers(1, 10_000), st.integers(1, 9_999),
       st.decimals(min_value=0, max_value=10**6, places=2))
def test_graduated_discount_splits_consistently_and_stays_bounded(before, tokens, cut, amount):
    whole = graduated_discount(BANDS, before, tokens, amount)
    assert 0 <= whole <= amount * D("0.10")
    first = min(cut, tokens)
    if first < tokens:
        per_token = amount / tokens
        left = graduated_discount(BANDS, before, first, per_token * first)
        right = graduated_discount(BANDS, before + first, tokens - first,
                                   per_token * (tokens - first))
        assert abs(left + right - whole) < D("1e-18")


def test_graduated_discount_by_hand():
    # 800 tokens already used; 4,700 more for 47.00: 200 at 0%, 4,000 at 5%, 500 at 10%
    # = 0 + 40.00 x 0.05 + 5.00 x 0.10 = 2.50
    assert graduated_discount(BANDS, 800, 4_700, D("47.00")) == D("2.50")


def test_committed_use_discounts_and_trues_up():
    commitment = Commitment(D("2500.00"), D("0.15"))
    above = committed_use(commitment, D("4000.00"))
    assert (above.discounted_usage, above.true_up, above.billed) == (D("3400.00"), 0, D("3400.00"))
    below = committed_use(commitment, D("1000.00"))
    assert (below.discounted_usage, below.true_up, below.billed) == (D("850.00"), D("1650.00"),
                                                                    D("2500.00"))
