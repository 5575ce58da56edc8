"""Late usage of a closed month under its contract: the month's discount band and true-up are
computed again with the late usage and only the difference is billed; a carry-over the month's
close granted is never changed: the late usage is paid from it on a line of its own, drawn
from the grant where anyone can see it. Recomputed here with Decimal; PDF read with pypdf."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from billing.close.credits import list_credits
from billing.close.period_close import close_period
from billing.ledger.metering import ingest_lines
from billing.models import Document
from billing.rating.card_registry import publish, publish_shipped
from invoices.contract_labels import contract_labels
from invoices.labels import labels

CENT = Decimal("0.01")
VAT, MARKUP, RATE, MONTHLY = Decimal("0.19"), Decimal("0.10"), Decimal("0.10"), Decimal("100")
IN, OUT = Decimal("2.50"), Decimal("10.00")  # gpt-4o per million tokens
CARD = """card: late-carry
version: "v1"
effective_from: 2026-01-01
currency: USD
tiers:
  better:
    description: mid models
    slo: {p95_latency_ms: 5000, availability: "99.5%"}
    markup: "0.10"
    per_request_fee: "0"
    models:
      gpt-4o: {provider: openai, input: "2.50", output: "10.00", cached_input: "1.25"}
commitments:
  acme: {monthly_amount: "100.00", discount: "0.10", unused: carry_over, carry_over_months: 2}
"""
RULES, WORDS = contract_labels("de_DE"), labels("de_DE")  # acme reads German


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _usage(input_m: int, output_m: int = 0) -> Decimal:
    return _cents(input_m * IN * (1 + MARKUP)) + _cents(output_m * OUT * (1 + MARKUP))


def _event(name: str, day: str, input_m: int, output_m: int = 0) -> str:
    return json.dumps({"event_id": name, "occurred_at": f"{day}T10:00:00Z", "team": "support",
                       "use_case": "support-copilot", "customer": "acme", "provider": "openai",
                       "model": "gpt-4o", "input_tokens": input_m * 1_000_000,
                       "output_tokens": output_m * 1_000_000})


def _dollars(amount: Decimal) -> str:
    text = f"{amount:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return f"{text}\xa0$"


def test_late_usage_is_paid_from_the_month_s_carry_over_on_its_own_line(
        engine, close_settings):
    publish_shipped(engine)
    publish(engine, CARD, "card.yaml")
    settings = replace(close_settings, customer_card="late-carry")
    zone = ZoneInfo("UTC")
    ingest_lines(engine, [_event("oct", "2026-10-10", 10, 1)], zone=zone, source="test")
    assert close_period(engine, settings, "2026-10",
                        now=datetime(2026, 11, 2, tzinfo=UTC)).status == "closed"
    [granted] = list_credits(engine, customer="acme")
    october = _usage(10, 1)
    true_up = MONTHLY - (october - _cents(october * RATE))
    assert (october, Decimal(granted["amount"])) == (Decimal("38.50"), true_up)

    # October usage reported after October closed, and November's own usage
    ingest_lines(engine, [_event("oct-late", "2026-10-20", 5),
                          _event("nov", "2026-11-10", 10, 1)], zone=zone, source="test")
    assert close_period(engine, settings, "2026-11",
                        now=datetime(2026, 12, 2, tzinfo=UTC)).status == "closed"
    table = Document.__table__
    with engine.connect() as connection:
        row = connection.execute(table.select().where(
            table.c.kind == "invoice", table.c.period == "2026-11")).one()
    twin = json.loads(row.content)

    late = _usage(5)
    discount_was, discount_now = _cents(october * RATE), _cents((october + late) * RATE)
    true_up_now = MONTHLY - (october + late - discount_now)
    absorbed = true_up - true_up_now  # the unused commitment the late usage takes
    assert (late, discount_now - discount_was, absorbed) == (
        Decimal("13.75"), Decimal("1.38"), Decimal("12.37"))
    prior = [(line["kind"], Decimal(line["amount"])) for line in twin["lines"]
             if line["service_period"] == "2026-10"]
    # only the difference: the discount band again, and the carry-over pays what the
    # commitment absorbs; no true-up credit (that commitment was carried over, not kept)
    assert sorted(prior) == sorted([("prior_period_adjustment", late),
                                    ("discount", -(discount_now - discount_was)),
                                    ("carry_over", -absorbed)])
    assert sum(amount for _, amount in prior) == 0  # the commitment October paid absorbs it
    november = _usage(10, 1)
    own = [Decimal(line["amount"]) for line in twin["lines"] if line["service_period"] is None]
    assert sum(own) == MONTHLY  # November's own month, trued up to its commitment
    assert Decimal(twin["subtotal"]) == MONTHLY
    assert row.total == MONTHLY + _cents(MONTHLY * VAT)
    assert november == october

    # the grant stays as granted; the late usage drew from it, as it would have used it
    credits = {item["origin_period"]: item for item in list_credits(engine, customer="acme")}
    assert Decimal(credits["2026-10"]["amount"]) == true_up
    assert Decimal(credits["2026-10"]["drawn"]) == absorbed
    assert Decimal(credits["2026-10"]["balance"]) == true_up_now == Decimal("52.98")

    note = RULES.late_carry_over_note.format(period="2026-10", was=_dollars(true_up),
                                             now=_dollars(true_up_now),
                                             change=_dollars(absorbed))
    assert note in twin["notes"]
    pdf = " ".join(page.extract_text() for page in PdfReader(row.pdf_path).pages)
    flat = pdf.replace("\n", " ").replace("\xa0", " ")
    assert RULES.late_carry_over.format(period="2026-10") in flat
    assert note.replace("\xa0", " ") in flat
    assert "12,37" in flat and "13,75" in flat
