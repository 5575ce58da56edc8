"""What a customer's payables team needs on an invoice: the issuer's bank details, the
customer's purchase order number and its own reference (never our internal slug)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pdfplumber
import pytest

from billing.close.chargeback import CustomerCharges, build_invoice
from billing.parties import RegistryError, load_registry
from invoices.documents import InvoiceLine
from invoices.json_twin import from_json, to_json
from invoices.pdf_invoice import render_invoice

PARTIES = """
issuer:
  name: Example Corp
  payment: {bank: First Example Bank, iban: DE89 3704 0044 0532 0130 00, bic: COBADEFFXXX,
            instructions: Please quote the invoice number.}
customers:
  acme: {name: ACME GmbH, locale: de_DE, purchase_order: PO-4500012345,
         reference: Lieferant 70012}
  initech: {name: Initech SARL, locale: fr_FR}
"""


def _invoice(customer: str):  # noqa: ANN202
    registry = load_registry(PARTIES, "parties.yaml")
    charges = CustomerCharges("EUR", [InvoiceLine("gpt-4o input", Decimal("2"), Decimal("50"),
                                                  Decimal("100.00"))])
    return build_invoice(customer, charges, number="INV-2026-00001", period="2026-10",
                         registry=registry, issued_on=date(2026, 11, 2))


def _text(invoice, tmp_path) -> str:  # noqa: ANN001
    path = render_invoice(invoice, tmp_path / f"{invoice.bill_to.name}.pdf")
    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def test_the_invoice_prints_po_reference_and_bank_details(tmp_path):
    invoice = _invoice("acme")
    text = _text(invoice, tmp_path)
    assert "Bestellnummer PO-4500012345" in text and "Ihre Referenz Lieferant 70012" in text
    assert "Bankverbindung" in text and "IBAN: DE89 3704 0044 0532 0130 00" in text
    assert "BIC: COBADEFFXXX" in text and "Please quote the invoice number." in text
    assert "acme" not in text  # the internal slug is not the customer's reference
    assert from_json(json.loads(json.dumps(to_json(invoice)))) == invoice


def test_french_labels_and_no_po_when_none_is_given(tmp_path):
    text = _text(_invoice("initech"), tmp_path)
    assert "Coordonnées bancaires" in text and "N° de commande" not in text


@pytest.mark.parametrize("payment", ["payment: DE89", "payment: {swift: X}"])
def test_bad_payment_details_are_refused(payment):
    with pytest.raises(RegistryError, match="payment"):
        load_registry(f"issuer: {{name: X, {payment}}}\n", "parties.yaml")
