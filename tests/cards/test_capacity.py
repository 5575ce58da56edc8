"""Capacity cards: a self-hosted model's monthly cost over the period's throughput."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ratecards import (
    CardValidationError,
    UnpricedModel,
    capacity_price,
    load_card,
    priced_for_period,
    quote,
    shipped_card_files,
)

D = Decimal
CARD = """
card: cap
version: "1"
effective_from: 2026-10-01
currency: USD
tiers:
  better:
    description: big
    slo: {{p95_latency_ms: 5000}}
    markup: "0.10"
    per_request_fee: "0"
    models:
      m-big: {{provider: openai, input: "3.00", output: "15.00", cached_input: "0.30"}}
capacity:
  llama-self:
{entry}
"""
GPU = """    provider: internal
    tier: better
    gpu_hours: "720"
    gpu_hour_rate: "2.35"
    capacity_tokens: 90000000
    idle: {idle}"""


def _card(idle: str = "central", entry: str | None = None):  # noqa: ANN202
    return load_card(CARD.format(entry=entry or GPU.format(idle=idle)), "cap.yaml")


def test_central_idle_charges_the_full_use_price_and_holds_the_rest():
    capacity = _card("central").capacity["llama-self"]
    assert capacity.monthly_cost == D("720") * D("2.35") == D("1692.00")
    found = capacity_price(capacity, 27_901_356)
    full = D("1692.00") / D(90_000_000) * 1_000_000  # 18.80 per million
    assert found.price_per_million == full == D("18.8")
    assert found.charged == full * 27_901_356 / 1_000_000
    assert found.charged + found.idle_cost == D("1692.00")


def test_charged_idle_spreads_the_whole_cost_over_the_tokens_served():
    capacity = _card("charged").capacity["llama-self"]
    found = capacity_price(capacity, 27_901_356)
    assert found.price_per_million == D("1692.00") * 1_000_000 / D(27_901_356)
    assert found.charged == D("1692.00") and found.idle_cost == 0


def test_above_capacity_nothing_is_idle_and_nothing_served_is_all_idle():
    capacity = _card("central").capacity["llama-self"]
    over = capacity_price(capacity, 120_000_000)
    assert over.price_per_million == D("1692.00") * 1_000_000 / D(120_000_000)
    assert over.idle_cost == 0
    none = capacity_price(capacity, 0)
    assert none.charged == 0 and none.idle_cost == D("1692.00")


def test_a_capacity_model_is_priced_only_once_the_period_throughput_is_known():
    card = _card("charged")
    with pytest.raises(UnpricedModel):
        quote(card, "llama-self", input_tokens=1, output_tokens=1)
    priced = priced_for_period(card, {"llama-self": 4_000_000})
    found = quote(priced, "llama-self", input_tokens=3_000_000, output_tokens=1_000_000)
    price = D("1692.00") * 1_000_000 / D(4_000_000)  # 423 per million, input and output alike
    assert found.tier == "better" and found.input_price == found.output_price == price
    assert found.internal_price == D("1692.00") * D("1.10")


def test_a_fixed_monthly_amount_is_a_capacity_too():
    entry = ("    provider: internal\n    tier: better\n    fixed_amount: \"3000.00\"\n"
             "    capacity_tokens: 1000000\n    idle: central")
    assert _card(entry=entry).capacity["llama-self"].monthly_cost == D("3000.00")


@pytest.mark.parametrize(("entry", "field", "says"), [
    ("    provider: internal\n    tier: better\n    gpu_hours: \"720\"\n"
     "    fixed_amount: \"1.00\"\n    capacity_tokens: 10\n    idle: central",
     "capacity.llama-self", "either gpu_hours with gpu_hour_rate, or fixed_amount"),
    ("    provider: internal\n    tier: top\n    fixed_amount: \"1.00\"\n"
     "    capacity_tokens: 10\n    idle: central", "capacity.llama-self.tier", "unknown tier"),
    ("    provider: internal\n    tier: better\n    fixed_amount: \"1.00\"\n"
     "    capacity_tokens: 0\n    idle: central", "capacity.llama-self.capacity_tokens",
     "above 0"),
    ("    provider: internal\n    tier: better\n    fixed_amount: \"1.00\"\n"
     "    capacity_tokens: 10\n    idle: sometimes", "capacity.llama-self.idle", "central"),
])
def test_a_wrong_capacity_names_its_field(entry: str, field: str, says: str):
    with pytest.raises(CardValidationError) as caught:
        _card(entry=entry)
    problem = caught.value.problems[0]
    assert problem.field == field and says in problem.message


def test_a_model_is_priced_by_a_tier_or_by_capacity_not_both():
    text = CARD.format(entry=GPU.format(idle="central")).replace("llama-self:", "m-big:")
    with pytest.raises(CardValidationError) as caught:
        load_card(text, "cap.yaml")
    assert "not both" in caught.value.problems[0].message


def test_every_shipped_card_prices_the_demo_self_hosted_model_by_capacity():
    for path in shipped_card_files():
        card = load_card(path.read_text(), path.name)
        assert "llama-3-70b-selfhosted" in card.capacity, path.name


def test_a_quote_of_a_capacity_model_says_its_price_waits_for_the_throughput():
    with pytest.raises(UnpricedModel, match="priced by its capacity"):
        quote(_card(), "llama-self", input_tokens=1, output_tokens=1)
