"""The card's contract on invoices: graduated volume discounts and a commitment, as lines.

Golden cases are computed again here with Decimal, by the rule as a customer reads it, not by
calling the engine's discount functions: a month below the commitment (discount, then true-up),
a month above it (discount only), a graduated discount crossing a band. Then the close: the
acme invoice of the demo month carries its commitment lines, its PDF prints them, its total is
the commitment plus tax, FOCUS has them as Credit and Adjustment rows, and Stripe gets them
once.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

import pdfplumber
import pytest
import stripe_server

from billing.close.contract_terms import TierUsage, contract_lines
from billing.close.period_close import close_period
from billing.close.stripe_billing import push_period
from billing.exports.focus_data import focus_dataset
from billing.models import Document
from ratecards import load_card

CARD = """
card: contract-test
version: "t1"
effective_from: 2026-01-01
currency: USD
tiers:
  good:
    description: small models
    slo: {p95_latency_ms: 2000, availability: "99.5%"}
    markup: "0.10"
    per_request_fee: "0"
    models:
      gpt-4o-mini: {provider: openai, input: "0.15", output: "0.60", cached_input: "0.075"}
  better:
    description: mid models
    slo: {p95_latency_ms: 5000, availability: "99.5%"}
    markup: "0.10"
    per_request_fee: "0"
    models:
      gpt-4o: {provider: openai, input: "2.50", output: "10.00", cached_input: "1.25"}
volume_discounts:
  good:
    - {above_tokens: 1000000000, discount: "0.05"}
    - {above_tokens: 5000000000, discount: "0.10"}
commitments:
  acme: {monthly_amount: "2500.00", discount: "0.15"}
"""
CENT = Decimal("0.01")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def card():  # noqa: ANN201
    return load_card(CARD, "contract-test.yaml")


def _by_kind(lines) -> dict[str, list]:  # noqa: ANN001
    found: dict[str, list] = {}
    for line in lines:
        found.setdefault(line.kind, []).append(line)
    return found


def test_a_month_below_the_commitment_is_discounted_then_trued_up(card):
    billed = Decimal("267.50")
    terms = contract_lines(card, "acme", {"better": TierUsage(30_000_000, billed)}, billed,
                           "USD")
    discount = _cents(billed * Decimal("0.15"))  # 40.125 -> 40.13
    true_up = Decimal("2500.00") - (billed - discount)
    assert [(line.kind, line.amount) for line in terms.lines] == [
        ("discount", -discount), ("true_up", true_up)]
    assert billed + sum(line.amount for line in terms.lines) == Decimal("2500.00")
    assert "$2,500.00 a month at a 15% discount" in terms.notes[0]
    assert "trued up by $2,272.63" in terms.notes[0]


def test_a_month_above_the_commitment_gets_only_its_discount(card):
    billed = Decimal("4000.00")
    terms = contract_lines(card, "acme", {"better": TierUsage(1_000_000_000, billed)}, billed,
                           "USD")
    assert [(line.kind, line.amount) for line in terms.lines] == [
        ("discount", Decimal("-600.00"))]
    assert "trued up" not in terms.notes[0]


def test_a_graduated_discount_crossing_bands_discounts_only_the_tokens_above_each(card):
    # 6,000,000,000 good tokens for 600.00: the first billion is full price, the next four at
    # 5% off, the last one at 10% off; the amount is spread evenly over the tokens.
    tokens, amount = 6_000_000_000, Decimal("600.00")
    per_token = amount / tokens
    expected = _cents(per_token * 4_000_000_000 * Decimal("0.05")
                      + per_token * 1_000_000_000 * Decimal("0.10"))
    assert expected == Decimal("30.00")
    terms = contract_lines(card, "globex", {"good": TierUsage(tokens, amount),
                                            "better": TierUsage(tokens, amount)}, amount * 2,
                           "USD")
    assert [(line.description, line.amount) for line in terms.lines] == [
        ("Volume discount, good tier", -expected)]
    assert "5% above 1,000,000,000 tokens, 10% above 5,000,000,000 tokens" in terms.notes[0]


def test_volume_discounts_come_before_the_commitment_discount(card):
    tokens, amount = 2_000_000_000, Decimal("4000.00")
    terms = contract_lines(card, "acme", {"good": TierUsage(tokens, amount)}, amount, "USD")
    volume = _cents(amount / 2 * Decimal("0.05"))  # half the tokens are above the first band
    committed = _cents((amount - volume) * Decimal("0.15"))
    assert [line.amount for line in terms.lines] == [-volume, -committed]


def test_below_every_band_and_without_a_commitment_nothing_is_added(card):
    terms = contract_lines(card, "globex", {"good": TierUsage(999_999_999, Decimal("99.00"))},
                           Decimal("99.00"), "USD")
    assert terms.lines == [] and terms.notes == []


def _pdf_text(path: str) -> str:
    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def test_the_close_bills_acme_its_commitment_and_stripe_gets_the_same_lines(
        month, close_settings):
    from billing.rating.card_registry import published_versions
    from billing.rating.rate import Cards, rate

    rate(month, Cards(team=published_versions(month, "internal"),
                      customer=published_versions(month, "external")), zone=close_settings.zone)
    result = close_period(month, close_settings, "2026-10",
                          now=datetime(2026, 11, 2, tzinfo=UTC))
    assert result.status == "closed", result.message
    table = Document.__table__
    with month.connect() as connection:
        acme = connection.execute(table.select().where(
            table.c.kind == "invoice", table.c.subject == "acme")).one()
    twin = json.loads(acme.content)
    lines = twin["lines"]
    usage = sum(Decimal(line["amount"]) for line in lines if line["kind"] in ("usage", "fee"))
    assert Decimal("0") < usage < Decimal("2500")
    discount = _cents(usage * Decimal("0.15"))
    true_up = Decimal("2500.00") - (usage - discount)
    contract = [(line["kind"], Decimal(line["amount"])) for line in lines
                if line["kind"] in ("discount", "true_up")]
    assert contract == [("discount", -discount), ("true_up", true_up)]
    assert Decimal(twin["subtotal"]) == Decimal("2500.00")
    assert acme.total == Decimal("2500.00") + _cents(Decimal("2500.00") * Decimal("0.19"))

    text = _pdf_text(acme.pdf_path)
    german = f"{true_up:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    assert "Ausgleich auf Mindestabnahme" in text and german in text  # acme reads German
    assert "Rabatt für Mindestabnahme 15 %" in " ".join(text.replace("\u00a0", " ").split())
    assert "2.500,00 $ monatlich" in " ".join(text.replace("\u00a0", " ").split())
    assert "Commitment true-up" not in text and "Committed-use" not in text

    chargeback = focus_dataset(month, close_settings, "2026-10", "chargeback")
    rows = [row for row in chargeback.rows if row["x_Customer"] == "acme"]
    assert sorted((row["ChargeCategory"], row["BilledCost"]) for row in rows
                  if row["ChargeCategory"] != "Usage") == sorted(
        [("Credit", -discount), ("Adjustment", true_up)])
    assert sum(row["BilledCost"] for row in rows) == Decimal(twin["subtotal"])

    with stripe_server.FakeStripe() as fake:
        settings = replace(close_settings, stripe_api_key=fake.api_key,
                           stripe_api_base=fake.url)
        push_period(month, settings, "2026-10")
        push_period(month, settings, "2026-10")
        [pushed] = [invoice for invoice in fake.of("invoice")
                    if invoice["metadata"]["invoice_number"] == acme.number]
        amounts = sorted(item["amount"] for item in pushed["lines"]["data"])
        assert -int(discount * 100) in amounts and int(true_up * 100) in amounts
        assert len(amounts) == len(lines) + 1  # and tax, each once
        assert Decimal(pushed["total"]) / 100 == acme.total


def test_ratecards_show_prints_the_contract_terms(engine, close_env):
    from typer.testing import CliRunner

    from billing.cli import app
    from billing.rating.card_registry import publish_shipped

    publish_shipped(engine)
    runner = CliRunner()
    shown = runner.invoke(app, ["ratecards", "show", "external"])
    assert shown.exit_code == 0, shown.output
    assert "good: 5% above 1,000,000,000 tokens, 10% above 5,000,000,000 tokens" in shown.output
    assert "acme: 2500.00 USD a month at 15% off" in shown.output
    data = json.loads(runner.invoke(app, ["ratecards", "show", "external", "--json"]).output)
    assert data["commitments"] == {"acme": {"monthly_amount": "2500.00", "discount": "0.15"}}
    assert data["volume_discounts"]["better"] == [{"above_tokens": 500000000,
                                                   "discount": "0.05"}]
