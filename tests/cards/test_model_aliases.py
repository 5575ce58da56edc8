"""Model aliases (issue 17): the names sources report a model by (dated snapshots, provider
prefixes, Bedrock model and inference-profile ids) price as the card's model."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ratecards import CardValidationError, UnpricedModel, load_card, quote

CARD = """
card: aliases
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
      gpt-4o-mini:
        provider: openai
        input: "0.15"
        output: "0.60"
        cached_input: "0.075"
        aliases: [gpt-4o-mini-2024-07-18]
  better:
    description: mid
    slo: {p95_latency_ms: 2000, availability: "99.5%"}
    markup: "0"
    per_request_fee: "0"
    models:
      claude-sonnet-4:
        provider: anthropic
        input: "3.00"
        output: "15.00"
        cached_input: "0.30"
        cache_write_input: "3.75"
        aliases:
          - claude-sonnet-4-20250514
          - anthropic.claude-sonnet-4-20250514-v1:0
  best:
    description: none
    slo: {p95_latency_ms: 2000, availability: "99.5%"}
    markup: "0"
    per_request_fee: "0"
    models: {}
"""


@pytest.mark.parametrize(("reported", "priced"), [
    ("gpt-4o-mini", "gpt-4o-mini"),
    ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
    ("openai/gpt-4o-mini", "gpt-4o-mini"),
    ("openai/gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
    ("claude-sonnet-4-20250514", "claude-sonnet-4"),
    ("anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4"),
    ("us.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4"),
    ("eu.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4"),
    ("arn:aws:bedrock:us-east-1:123456789012:inference-profile/"
     "us.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4"),
    ("gpt-4o-mini-2099-01-01", None),
    ("us.gpt-4o-mini", None),
])
def test_reported_names_resolve_to_the_cards_model(reported, priced):  # noqa: ANN001
    assert load_card(CARD, "aliases.yaml").resolve(reported) == priced


def test_an_alias_is_priced_as_its_model_and_says_which():
    card = load_card(CARD, "aliases.yaml")
    priced = quote(card, "us.anthropic.claude-sonnet-4-20250514-v1:0", input_tokens=1_000_000,
                   output_tokens=0, cache_write_input_tokens=1_000_000)
    assert (priced.model, priced.priced_model, priced.tier) == (
        "us.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4", "better")
    assert priced.provider_cost == Decimal("6.75")
    with pytest.raises(UnpricedModel):
        quote(card, "claude-sonnet-4-20990101", input_tokens=1, output_tokens=1)


def test_an_alias_naming_another_model_or_alias_is_refused_with_its_line():
    clash = CARD.replace("aliases: [gpt-4o-mini-2024-07-18]",
                         "aliases: [gpt-4o-mini-2024-07-18, claude-sonnet-4-20250514]")
    with pytest.raises(CardValidationError) as raised:
        load_card(clash, "clash.yaml")
    assert str(raised.value) == (
        "clash.yaml:32: tiers.better.models.claude-sonnet-4.aliases: "
        "'claude-sonnet-4-20250514' already names an alias of gpt-4o-mini; an alias prices "
        "one model")
    model_named = CARD.replace("aliases: [gpt-4o-mini-2024-07-18]", "aliases: [claude-sonnet-4]")
    with pytest.raises(CardValidationError) as raised:
        load_card(model_named, "clash.yaml")
    assert "model 'claude-sonnet-4' is already an alias of gpt-4o-mini" in str(raised.value)
    bad = CARD.replace("aliases: [gpt-4o-mini-2024-07-18]", "aliases: gpt-4o-mini-old")
    with pytest.raises(CardValidationError) as raised:
        load_card(bad, "bad.yaml")
    assert "tiers.good.models.gpt-4o-mini.aliases: expected a list" in str(raised.value)


def test_a_card_without_aliases_keeps_its_hash():
    plain = CARD.replace("        aliases: [gpt-4o-mini-2024-07-18]\n", "")
    with_alias = load_card(CARD, "a.yaml").content_hash
    assert load_card(plain, "a.yaml").content_hash != with_alias
    from ratecards.schema import canonical
    model = load_card(plain, "a.yaml").tiers["good"].models["gpt-4o-mini"]
    assert "aliases" not in canonical(model)


def test_a_quote_of_an_alias_says_the_model_priced(engine, database_url, monkeypatch, tmp_path):  # noqa: ANN001
    from typer.testing import CliRunner

    from billing.cli import app

    monkeypatch.setenv("DATABASE_URL", database_url)
    card = tmp_path / "aliases.yaml"
    card.write_text(CARD)
    runner = CliRunner()
    published = runner.invoke(app, ["ratecards", "publish", str(card), "-m", "aliases"])
    assert published.exit_code == 0, published.output
    shown = runner.invoke(app, ["ratecards", "show", "aliases"])
    assert "gpt-4o-mini is also reported as: gpt-4o-mini-2024-07-18" in shown.output
    result = runner.invoke(app, ["quote", "--card", "aliases", "--model",
                                 "us.anthropic.claude-sonnet-4-20250514-v1:0", "--input", "1000",
                                 "--output", "0", "--at", "2026-10-15", "--json"])
    assert result.exit_code == 0, result.output
    answer = __import__("json").loads(result.stdout)
    assert (answer["model"], answer["priced_model"]) == (
        "us.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4")
