"""Tax by jurisdiction: what the issuer's registrations and the customer's country and VAT id
make of an invoice's tax. A US issuer charged 19% German VAT with no German registration and
no reverse-charge wording (a finance review found it); now the rules decide."""

from __future__ import annotations

import io
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pdfplumber
import pytest
from pypdf import PdfReader

from billing.close.chargeback import CustomerCharges, build_invoice
from billing.close.period_close import untaxed_customers
from billing.close.tax_treatment import treatment
from billing.parties import RegistryError, load_registry
from invoices.documents import InvoiceLine
from invoices.pdf_invoice import render_invoice

PARTIES = """
issuer:
  name: Example Corp
  country: US
  tax_id: "us_ein:12-3456789"
  registrations: {GB: "gb_vat:GB987654321"}
customers:
  acme: {country: DE, locale: de_DE, tax_rate: "0.19", tax_label: USt.,
         tax_ids: ["eu_vat:DE123456789"]}
  initech: {country: FR, locale: fr_FR, tax_rate: "0.20", tax_ids: ["eu_vat:FR12345678901"]}
  wonka: {country: CH, locale: en_US, tax_rate: "0.081", tax_ids: ["ch_vat:CHE-123.456.789"]}
  stark: {country: GB, locale: en_GB, tax_rate: "0.20", tax_label: VAT,
          tax_ids: ["gb_vat:GB123456789"]}
  wayne: {country: US, tax_rate: "0.0625"}
  consumer: {country: DE, locale: de_DE, tax_rate: "0.19"}
  legacy: {tax_rate: "0.19", tax_ids: ["eu_vat:DE111111111"]}
  hooli-nl: {name: Hooli BV, country: NL, locale: en_GB, tax_rate: "0.21",
             tax_ids: ["eu_vat:NL123456789B01"]}
"""


@pytest.fixture(scope="module")
def registry():  # noqa: ANN201
    return load_registry(PARTIES, "parties.yaml")


@pytest.mark.parametrize(("customer", "kind", "rate", "words"), [
    ("acme", "reverse_charge", "0", "Reverse-Charge-Verfahren"),
    ("initech", "reverse_charge", "0", "Autoliquidation"),
    ("wonka", "reverse_charge", "0", "Reverse charge"),
    ("stark", "domestic", "0.20", None),
    ("wayne", "domestic", "0.0625", None),
    ("consumer", "outside_scope", "0", "nicht steuerlich registriert"),
    ("legacy", "declared", "0.19", None),
])
def test_the_rules(registry, customer, kind, rate, words):
    found = treatment(registry.issuer, registry.customer(customer))
    assert (found.kind, found.rate) == (kind, Decimal(rate))
    if words:
        assert words in found.note
    else:
        assert found.note is None


def test_eu_reverse_charge_cites_the_directive_and_the_customers_vat_id(registry):
    acme = treatment(registry.issuer, registry.customer("acme"))
    assert "DE123456789" in acme.note and "2006/112" in acme.note
    wonka = treatment(registry.issuer, registry.customer("wonka"))
    assert "CHE-123.456.789" in wonka.note and "2006/112" not in wonka.note


def test_a_registration_prints_the_issuers_id_for_that_country(registry):
    assert treatment(registry.issuer, registry.customer("stark")).issuer_tax_id == \
        "gb_vat:GB987654321"
    assert treatment(registry.issuer, registry.customer("wayne")).issuer_tax_id is None


def test_an_untaxed_customer_is_a_close_warning(registry):
    warnings = untaxed_customers(registry, ["acme", "consumer", "stark"])
    assert len(warnings) == 1 and "'consumer' in DE is charged no tax" in warnings[0]


@pytest.mark.parametrize("bad", ["country: Germany", "country: de", "country: XX",
                                 "registrations: [DE]", "registrations: {Deutschland: x}"])
def test_a_bad_country_is_refused(bad):
    with pytest.raises(RegistryError, match="country|registrations"):
        load_registry(f"issuer: {{name: X, {bad}}}\n", "parties.yaml")


def _pdf(invoice, tmp_path) -> str:  # noqa: ANN001
    path = render_invoice(invoice, tmp_path / f"{invoice.bill_to.name}.pdf")
    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def _invoice(registry, customer: str):  # noqa: ANN001, ANN202
    charges = CustomerCharges("EUR", [InvoiceLine("gpt-4o input", Decimal("2"), Decimal("50"),
                                                  Decimal("100.00"))])
    return build_invoice(customer, charges, number="INV-2026-00001", period="2026-10",
                         registry=registry, issued_on=date(2026, 11, 2))


def test_the_reverse_charge_invoice_reads_right(registry, tmp_path):
    invoice = _invoice(registry, "acme")
    assert (invoice.tax, invoice.total) == (Decimal("0.00"), Decimal("100.00"))
    text = _pdf(invoice, tmp_path)
    assert "Reverse-Charge" in text and "USt-IdNr. des Leistungsempfängers" in text
    assert "USt-IdNr.: DE123456789" in text and "EIN: 12-3456789" in text
    stark = _invoice(registry, "stark")
    assert (stark.tax, stark.total) == (Decimal("20.00"), Decimal("120.00"))
    text = _pdf(stark, tmp_path)
    assert "VAT no.: GB987654321" in text and "EIN" not in text


# EU B2B reverse charge, golden: lines recomputed here with Decimal (half-up, once per line),
# the invoice read back with pypdf in the customer's language, numbers written by hand.
GOLDEN_LINES = (  # quantity, unit price, unit
    ("412.5", "2.75", "M tokens"),        # 1134.375 -> 1134.38
    ("13.657000", "11.00", "M tokens"),   # 150.227 -> 150.23, printed 13.657
    ("1234", "0.0005", "requests"),       # 0.617 -> 0.62
    ("0.5", "0.25", "M tokens"),          # 0.125 -> 0.13 (half-up, not half-even)
)
REVERSE_CHARGE = {
    "acme": ("de", ["Steuerschuldnerschaft des Leistungsempfängers (Reverse-Charge-Verfahren)",
                    "USt-IdNr. des Leistungsempfängers: DE123456789",
                    "Art. 196 MwStSystRL 2006/112/EG", "USt. (Reverse-Charge) 0 %",
                    "USt-IdNr.: DE123456789", "EIN: 12-3456789", "Mio. Tokens", "Anfragen"]),
    "initech": ("fr", ["Autoliquidation : TVA due par le preneur",
                       "N° TVA du client : FR12345678901",
                       "article 196 de la directive 2006/112/CE", "TVA (autoliquidation) 0 %",
                       "N° TVA : FR12345678901", "EIN : 12-3456789", "M jetons", "requêtes"]),
    "hooli-nl": ("en", ["Reverse charge: VAT is to be accounted for by the recipient",
                        "customer VAT no. NL123456789B01",
                        "Article 196 of Council Directive 2006/112/EC",
                        "VAT (reverse charge) 0%", "VAT no.: NL123456789B01",
                        "EIN: 12-3456789", "M tokens", "requests"]),
}


def _written(value: Decimal, language: str, places: int = 2) -> str:
    """An amount as the language writes it (EUR): 1.285,36 € / 1 285,36 € / €1,285.36."""
    whole, fraction = f"{value:,.{places}f}".split(".")
    if language == "en":
        return f"€{whole}.{fraction}"
    group = "." if language == "de" else " "
    return f"{whole.replace(',', group)},{fraction} €"


@pytest.mark.parametrize("customer", sorted(REVERSE_CHARGE))
def test_golden_reverse_charge_invoice_in_the_customers_language(registry, tmp_path, customer):
    language, wording = REVERSE_CHARGE[customer]
    lines, subtotal = [], Decimal(0)
    for quantity, price, unit in GOLDEN_LINES:
        amount = (Decimal(quantity) * Decimal(price)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        subtotal += amount
        lines.append(InvoiceLine(f"line {len(lines) + 1}", Decimal(quantity), Decimal(price),
                                 amount, kind="fee" if unit == "requests" else "usage",
                                 unit=unit))
    assert subtotal == Decimal("1285.36")  # 1134.38 + 150.23 + 0.62 + 0.13, by hand
    invoice = build_invoice(customer, CustomerCharges("EUR", lines), number="INV-2026-00042",
                            period="2026-10", registry=registry, issued_on=date(2026, 11, 2))
    assert (invoice.tax_rate, invoice.subtotal, invoice.tax, invoice.total) == (
        Decimal(0), subtotal, Decimal("0.00"), subtotal)

    path = render_invoice(invoice, tmp_path / f"{customer}.pdf")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(path.read_bytes())).pages)
    text = " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())
    for words in wording:
        assert words in text, (customer, words)
    assert text.count(_written(subtotal, language)) >= 3  # amount due, subtotal, total
    assert _written(Decimal(0), language) in text  # the tax line
    for amount in ("1134.38", "150.23", "0.62", "0.13"):
        assert _written(Decimal(amount), language) in text, (customer, amount)
    decimal_mark = "." if language == "en" else ","
    assert f"13{decimal_mark}657 " in text and f"13{decimal_mark}657000" not in text
    assert {"de": "1.234", "fr": "1 234", "en": "1,234"}[language] in text
    assert "21 %" not in text and "21%" not in text  # hooli-nl's own rate is not charged
