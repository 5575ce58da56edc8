"""Every problem in a card file is explained with file, line and field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ratecards import CardValidationError, load_card, shipped_card_files, validate_card

GOOD = """\
card: demo
version: "2026-12"
effective_from: 2026-12-01
currency: USD
tiers:
  good:
    description: small
    slo: {p95_latency_ms: 2000, availability: "99.5%"}
    markup: "0.10"
    per_request_fee: "0.0002"
    models:
      m-small: {provider: openai, input: "0.15", output: "0.60", cached_input: "0.075"}
  better:
    description: big
    slo: {p95_latency_ms: 5000, availability: "99.9%"}
    markup: "0.20"
    per_request_fee: "0"
    models:
      m-big: {provider: anthropic, input: "3.00", output: "15.00", cached_input: "0.30"}
  best:
    description: best
    slo: {p95_latency_ms: 9000, availability: "99.9%"}
    markup: "0.30"
    per_request_fee: "0"
    models: {}
"""


def problems_of(text: str, **kwargs) -> list[tuple[int, str, str]]:  # noqa: ANN003
    return [(p.line, p.field, p.message) for p in validate_card(text, "demo.yaml", **kwargs)]


def test_the_shipped_cards_and_the_example_are_valid():
    assert validate_card(GOOD, "demo.yaml") == []
    files = shipped_card_files()
    assert {p.name for p in files} >= {"internal-2026-10.yaml", "external-2026-10.yaml"}
    for path in files:
        assert validate_card(path.read_text(), path.name) == [], path.name


@pytest.mark.parametrize(("change", "line", "field", "words"), [
    (("  good:", "  great:"), 6, "tiers.great", "unknown tier"),
    (('input: "0.15"', 'input: "-0.15"'), 12, "tiers.good.models.m-small.input", "negative"),
    (('input: "0.15"', 'input: "cheap"'), 12, "tiers.good.models.m-small.input",
     "not a decimal"),
    (('input: "0.15"', "input: 0.15"), 12, "tiers.good.models.m-small.input", "quoted decimal"),
    (('markup: "0.10"', "markup: 0.10"), 9, "tiers.good.markup", "quoted decimal"),
    (("m-big:", "m-small:"), 19, "tiers.better.models.m-small", "also in tier good"),
    (("currency: USD", "currency: USX"), 4, "currency", "ISO 4217"),
    (("effective_from: 2026-12-01", "effective_from: 2026-13-01"), 3, "effective_from",
     "not a date"),
    (("    markup: \"0.20\"\n", ""), 14, "tiers.better.markup", "required"),
    (('cached_input: "0.30"}', 'cached_input: "0.30", colour: red}'), 19,
     "tiers.better.models.m-big.colour", "unknown key"),
])
def test_each_problem_names_line_and_field(change, line, field, words):
    old, new = change
    found = problems_of(GOOD.replace(old, new, 1))
    assert any(f == field and words in m and (ln == line or line is None)
               for ln, f, m in found), found


def test_all_problems_are_reported_at_once():
    text = GOOD.replace("currency: USD", "currency: XXX").replace('"0.60"', '"-1"')
    fields = {field for _, field, _ in problems_of(text)}
    assert fields == {"currency", "tiers.good.models.m-small.output"}
    with pytest.raises(CardValidationError) as caught:
        load_card(text, "demo.yaml")
    assert "demo.yaml:4: currency" in str(caught.value)


def test_effective_from_before_the_version_in_force_is_refused():
    in_force = load_card(GOOD, "demo.yaml")
    older = GOOD.replace('"2026-12"', '"2027-01"').replace("2026-12-01", "2026-11-15")
    found = problems_of(older, published=[in_force])
    assert [(line, field) for line, field, _ in found] == [(3, "effective_from")]
    assert "earlier than demo@2026-12" in found[0][2]
    later = GOOD.replace('"2026-12"', '"2027-01"').replace("2026-12-01", "2027-01-01")
    assert problems_of(later, published=[in_force]) == []


def test_a_loaded_card_is_exact_decimals():
    card = load_card(GOOD, "demo.yaml")
    assert card.effective_from == date(2026, 12, 1)
    assert str(card.tiers["good"].models["m-small"].cached_input) == "0.075"
    assert card.tiers["good"].models["m-small"].cache_write_input == card.tiers["good"].models[
        "m-small"].input


def test_content_hash_ignores_comments_and_layout_but_not_prices():
    card = load_card(GOOD, "a.yaml")
    reformatted = "# a comment\n" + GOOD.replace("{p95_latency_ms: 2000,",
                                                  "{ p95_latency_ms: 2000 ,")
    assert load_card(reformatted, "b.yaml").content_hash == card.content_hash
    assert load_card(GOOD.replace('"0.60"', '"0.61"'), "c.yaml").content_hash != card.content_hash


def test_shipped_card_cites_its_price_sources():
    text = Path(shipped_card_files()[0]).read_text()
    assert "openai.com/api/pricing" in text and "anthropic.com/pricing" in text
