"""A tax id is printed under the name of its kind, not of the document's language: a US
issuer's EIN on a German invoice is an EIN, never a "USt-IdNr." (a finance review found
exactly that), a VAT id is named as VAT in each language, and an untyped id gets the neutral
name."""

from __future__ import annotations

from dataclasses import replace

import pdfplumber
import pytest

from billing.parties import load_registry
from invoices.pdf_invoice import render_invoice
from invoices.sample import sample_invoice
from invoices.tax_ids import split_tax_id, tax_id_text


@pytest.mark.parametrize(("kind", "language", "printed"), [
    ("us_ein", "de", "EIN: 12-3456789"),
    ("us_ein", "fr", "EIN : 12-3456789"),
    ("eu_vat", "de", "USt-IdNr.: 12-3456789"),
    ("eu_vat", "fr", "N° TVA : 12-3456789"),
    ("eu_vat", "en", "VAT no.: 12-3456789"),
    (None, "de", "Steuernummer: 12-3456789"),
    (None, "en", "Tax ID: 12-3456789"),
    ("xx_unknown", "ja", "Tax ID: 12-3456789"),
])
def test_each_kind_of_tax_id_has_its_own_name(kind, language, printed):
    assert tax_id_text(kind, "12-3456789", language) == printed


@pytest.mark.parametrize(("text", "split"), [
    ("us_ein:12-3456789", ("us_ein", "12-3456789")),
    ("eu_vat:DE123456789", ("eu_vat", "DE123456789")),
    ("US 12-3456789", (None, "US 12-3456789")),
    ("CHE-123.456.789 MWST", (None, "CHE-123.456.789 MWST")),
    ("DE:123", (None, "DE:123")),
])
def test_a_typed_tax_id_is_split_and_a_bare_one_kept(text, split):
    assert split_tax_id(text) == split


def test_a_german_invoice_from_a_us_issuer_names_its_ein_as_an_ein(tmp_path):
    registry = load_registry(
        "issuer: {name: Example Corp, tax_id: 'us_ein:12-3456789'}\n"
        "customers:\n  acme: {name: ACME GmbH, locale: de_DE, tax_ids: ['eu_vat:DE123456789']}\n",
        "parties.yaml")
    invoice = replace(sample_invoice(locale="de_DE"), issuer=registry.issuer.party,
                      bill_to=registry.customer("acme").party)
    path = render_invoice(invoice, tmp_path / "invoice.pdf")
    with pdfplumber.open(path) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    assert "EIN: 12-3456789" in text and "USt-IdNr.: DE123456789" in text
    assert "USt-IdNr.: 12-3456789" not in text
