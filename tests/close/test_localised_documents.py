"""Invoices and statements in the reader's language, read back from the PDFs with pypdf.

A finance review found German and French invoices printing "input tokens", "requests" and
"M tokens" in English, and German statements printing their recommendation rule, change
bullets and environment names in English. One close of the demo month writes an invoice for a
German, a French and an English customer and a statement for a German, a French and an English
team; each is read back and checked for its own words, with every amount recomputed here with
Decimal and printed the way the language writes it. Pushing to Stripe then prints the hosted
invoice link on a payment notice beside each invoice, in its language; the invoice itself
stays as issued.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import stripe_server
from pypdf import PdfReader

from billing.close.document_checks import total_problems
from billing.close.document_files import verified_pdf
from billing.close.period_close import close_period
from billing.close.stripe_billing import push_period
from billing.models import Document
from tests_support import publish_policy

PARTIES = """
issuer:
  name: Example Corp AI Platform
  address: ["1 Market St", "San Francisco, CA 94105"]
  email: ai-billing@example.com
  country: US
  tax_id: "us_ein:12-3456789"
  invoice_prefix: INV
  payment: {bank: First Example Bank, iban: DE89 3704 0044 0532 0130 00, bic: COBADEFFXXX}
teams:
  legal-ops: {locale: de_DE}
  sales: {locale: fr_FR}
  support: {locale: en_US}
customers:
  acme: {name: ACME GmbH, country: DE, locale: de_DE, tax_rate: "0.19",
         tax_ids: ["eu_vat:DE123456789"]}
  initech: {name: Initech SARL, country: FR, locale: fr_FR, tax_rate: "0.20",
            tax_ids: ["eu_vat:FR12345678901"]}
  globex: {name: Globex Corporation, country: US, locale: en_US}
"""
CENT = Decimal("0.01")
# per language: (decimal separator, group separator, words that must be printed, English
# words that must not be)
WORDS = {
    "de": (",", ".", ["Eingabe-Tokens", "Ausgabe-Tokens", "Mio. Tokens", "Anfragen",
                      "Preisliste"],
           [" input", " output", "M tokens", "tier, card", "Pay online"]),
    "fr": (",", "\u202f", ["jetons d'entrée", "jetons de sortie", "M jetons", "requêtes",
                           "grille"],
           [" input", " output", "M tokens", "tier, card", "Pay online"]),
    "en": (".", ",", ["input", "output", "M tokens", "tier, card"],
           ["Eingabe", "jetons"]),
}
INVOICES = {"acme": "de", "initech": "fr", "globex": "en"}
PAY_ONLINE = {"de": "Online bezahlen: ", "fr": "Paiement en ligne : ", "en": "Pay online: "}
STATEMENTS = {"legal-ops": "de", "sales": "fr", "support": "en"}


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"[ \t]*\n[ \t]*", " ", "\n".join(page.extract_text() for page in reader.pages)
                  ).replace("\u00a0", " ").replace("\u202f", " ")


def _number(value: Decimal, language: str, places: int | None = 2) -> str:
    """A number as the language writes it, built by hand: 1.234,56 / 1 234,56 / 1,234.56."""
    decimal, group, _, _ = WORDS[language]
    text = f"{value:,.{places}f}" if places is not None else f"{value:,f}"
    whole, _, fraction = text.partition(".")
    whole = whole.replace(",", group).replace("\u202f", " ")
    return whole + (decimal + fraction if fraction else "")


def _documents(engine, kind: str) -> dict[str, dict]:  # noqa: ANN001
    table = Document.__table__
    with engine.connect() as connection:
        rows = connection.execute(table.select().where(table.c.kind == kind)).mappings().all()
    return {row["subject"]: dict(row) for row in rows}


def _check_invoice(row: dict, language: str) -> None:
    twin = json.loads(row["content"])
    text = _text(verified_pdf(row))
    _, _, present, absent = WORDS[language]
    for word in present:
        assert word in text, (language, word)
    for word in absent:
        assert word not in text, (language, word)
    subtotal = Decimal(0)
    for line in twin["lines"]:
        quantity, price = Decimal(line["quantity"]), Decimal(line["unit_price"])
        amount = (quantity * price).quantize(CENT, rounding=ROUND_HALF_UP)
        assert Decimal(line["amount"]) == amount, line
        subtotal += amount
        # quantities as they are, no trailing zeros: 13.657, never 13.657000
        shown = _number(quantity.normalize(), language, None)
        assert shown in text, (language, shown)
        assert _number(amount, language) in text, (language, amount)
    assert Decimal(twin["subtotal"]) == subtotal
    assert Decimal(twin["tax"]) == Decimal(0)  # EU customers are reverse-charged, globex US
    assert _number(subtotal, language) in text


def test_documents_read_in_their_language_and_carry_the_stripe_link(month, close_settings):
    from billing.rating.card_registry import published_versions
    from billing.rating.rate import Cards, rate

    publish_policy(month, "parties", PARTIES)
    rate(month, Cards(team=published_versions(month, "internal"),
                      customer=published_versions(month, "external")), zone=close_settings.zone)
    result = close_period(month, close_settings, "2026-10",
                          now=datetime(2026, 11, 2, tzinfo=UTC))
    assert result.status == "closed", result.message

    statements = _documents(month, "statement")
    for team, language in STATEMENTS.items():
        row = statements[team]
        twin = json.loads(row["content"])
        text = _text(verified_pdf(row))
        rule = twin["recommendation"]["rule"]
        assert rule.replace("\u00a0", " ") in text
        change = {"de": "erster Zeitraum mit bewerteter Nutzung",
                  "fr": "première période avec un usage valorisé",
                  "en": "first period with rated usage"}[language]
        assert change in twin["changes"][0] and change in text
        environments = {line["environment"] for line in twin["lines"]}
        assert "development" in environments or "staging" in environments, environments
        named = {"de": {"development": "Entwicklung", "staging": "Staging"},
                 "fr": {"development": "développement", "staging": "pré-production"},
                 "en": {"development": "development", "staging": "staging"}}[language]
        for environment in environments - {"production", "test"}:
            assert named[environment] in text, (team, environment)
        split = {"de": "verteilt nach Schlüssel", "fr": "réparti selon la clé",
                 "en": "split by"}[language]
        assert split in text, (team, split)
        if language != "en":
            english = ("over budget", "within budget", "no budget", "non-production is",
                       "accepts only", "first period", "development", "split by")
            assert not any(word in rule or word in text for word in english), (team, rule)

    with stripe_server.FakeStripe() as fake:
        settings = replace(close_settings, stripe_api_key=fake.api_key,
                           stripe_api_base=fake.url)
        push_period(month, settings, "2026-10")
        invoices = _documents(month, "invoice")
        for customer, language in INVOICES.items():
            row = invoices[customer]
            notice = Path(row["pdf_path"]).with_name(Path(row["pdf_path"]).stem + ".payment.pdf")
            said = _text(notice.read_bytes())
            assert PAY_ONLINE[language] + row["stripe_hosted_url"] in said, (language, said)
            assert total_problems("invoice", type("Row", (), row), json.loads(row["content"])
                                  ) == []
            _check_invoice(row, language)
        again = push_period(month, settings, "2026-10")
        assert again.pushed == []
        assert _documents(month, "invoice")["acme"]["pdf_sha256"] == invoices["acme"][
            "pdf_sha256"]
