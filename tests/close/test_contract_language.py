"""German and French invoices say their contract in their own language: rule notes (volume
discount bands, commitment, true-up, carry-over), the carry-over and prepaid-credit lines and
the totals after prepaid credit; counts take their plural form by the language's CLDR rule
("1 Anfrage", "2 Anfragen", "1 Monat", "1 mois"). Read back from the PDFs with pypdf."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pypdf import PdfReader
from sqlalchemy import select

from billing.close.credits import grant_credit
from billing.close.period_close import close_period
from billing.ledger.metering import ingest_lines
from billing.models import Document
from billing.rating.card_registry import publish, publish_shipped
from invoices.contract_labels import contract_labels
from invoices.plurals import counted, noun
from tests_support import publish_policy

PARTIES = """
issuer:
  name: Example Corp AI Platform
  address: ["1 Market St", "San Francisco, CA 94105"]
  country: US
  tax_id: "us_ein:12-3456789"
  invoice_prefix: INV
teams:
  support: {locale: de_DE}
customers:
  acme: {name: ACME GmbH, country: DE, locale: de_DE, tax_ids: ["eu_vat:DE123456789"]}
  initech: {name: Initech SARL, country: FR, locale: fr_FR, tax_ids: ["eu_vat:FR12345678901"]}
"""
CARD = """card: c3-lang
version: "v1"
effective_from: 2026-01-01
currency: USD
tiers:
  better:
    description: mid models
    slo: {p95_latency_ms: 5000, availability: "99.5%"}
    markup: "0.10"
    per_request_fee: "0.01"
    models:
      gpt-4o: {provider: openai, input: "2.50", output: "10.00", cached_input: "1.25"}
volume_discounts:
  better:
    - {above_tokens: 5000000, discount: "0.05"}
commitments:
  acme: {monthly_amount: "100.00", discount: "0.10", unused: carry_over, carry_over_months: 1}
  initech: {monthly_amount: "100.00", discount: "0.10", unused: carry_over, carry_over_months: 1}
  support: {monthly_amount: "500.00", discount: "0.10"}
"""
# English contract wording that must not appear on a German or French invoice
ENGLISH = ("Commitment", "commitment", "carry", "Carry", "Prepaid", "prepaid", "expires",
           "remaining balance", " above ", "this period", "token lines", "Volume discount",
           "a month", "discount", "trued up", "Late usage", "Amount due", "Invoice total",
           "credit applied", "requests", "request", "card c3", "months", "until")
LANGUAGE = {"acme": "de_DE", "initech": "fr_FR"}


def _event(name: str, customer: str, day: str, input_m: int, output_m: int,
           requests: int) -> str:
    return json.dumps({"event_id": f"{customer}-{name}", "occurred_at": f"{day}T10:00:00Z",
                       "team": "support", "use_case": "support-copilot", "customer": customer,
                       "provider": "openai", "model": "gpt-4o", "requests": requests,
                       "input_tokens": input_m * 1_000_000,
                       "output_tokens": output_m * 1_000_000})


def _texts(engine, period: str) -> dict[str, tuple[dict, str]]:  # noqa: ANN001
    table = Document.__table__
    with engine.connect() as connection:
        rows = connection.execute(select(table).where(
            table.c.kind == "invoice", table.c.period == period)).all()
    return {row.subject: (json.loads(row.content), re.sub(r"\s+", " ", " ".join(
        page.extract_text() for page in PdfReader(row.pdf_path).pages).replace("\xa0", " ")))
        for row in rows}


def test_contract_wording_and_counts_read_in_the_customer_s_language(engine, close_settings):
    publish_shipped(engine)
    publish_policy(engine, "parties", PARTIES)
    publish(engine, CARD, "card.yaml")
    settings = replace(close_settings, customer_card="c3-lang", team_card="c3-lang")
    events = [event for customer in LANGUAGE for event in (
        _event("oct", customer, "2026-10-10", 10, 1, 1),  # below the commitment, 1 request
        _event("nov", customer, "2026-11-10", 60, 2, 3))]  # above it: carry-over used
    ingest_lines(engine, events, zone=ZoneInfo("UTC"), source="test")
    for customer in LANGUAGE:
        grant_credit(engine, customer, "150.00", "USD", "2027-06-30",
                     now=datetime(2026, 10, 1, tzinfo=UTC))
    for period, now in (("2026-10", datetime(2026, 11, 2, tzinfo=UTC)),
                        ("2026-11", datetime(2026, 12, 2, tzinfo=UTC))):
        assert close_period(engine, settings, period, now=now).status == "closed"

    for period, requests in (("2026-10", 1), ("2026-11", 3)):
        for customer, (twin, text) in _texts(engine, period).items():
            locale = LANGUAGE[customer]
            rules = contract_labels(locale)
            found = [word for word in ENGLISH if word in text]
            assert found == [], (customer, period, found, text)
            assert (f"{requests} {noun('request', requests, locale)} " in text), (
                customer, period, text)
            assert twin["notes"] and all(note.replace("\xa0", " ") in text
                                         or note[:40].replace("\xa0", " ") in text
                                         for note in twin["notes"])
            if period == "2026-10":
                months = counted("month", 1, locale)
                assert months in text, (customer, months)
                assert months in " ".join(twin["notes"])
            else:
                assert rules.carry_over_line in text
                assert rules.prepaid_applied in text
                assert rules.amount_due.format(currency="USD") in text
    # the team's statement (support reads German) words the team's contract the same way
    table = Document.__table__
    with engine.connect() as connection:
        row = connection.execute(select(table).where(
            table.c.kind == "statement", table.c.period == "2026-10")).one()
    twin = json.loads(row.content)
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(
        row.pdf_path).pages).replace("\xa0", " "))
    assert [line["kind"] for line in twin["contract"]] == ["discount", "discount", "true_up"]
    assert twin["contract_notes"] and all(note.startswith(("Mengenrabatt", "Mindestabnahme"))
                                          for note in twin["contract_notes"])
    found = [word for word in ENGLISH if word in text]
    assert found == [], (found, text)
    assert noun("request", 1, "de_DE") == "Anfrage" and noun("request", 2, "de_DE") == "Anfragen"
    assert noun("request", 0, "fr_FR") == "requête" and noun("month", 1, "de_DE") == "Monat"
    assert counted("request", 1_000_000, "fr_FR") == "1\u202f000\u202f000 requêtes"
