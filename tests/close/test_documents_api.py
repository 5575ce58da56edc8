"""Statements and invoices over HTTP: lists with a cursor, JSON twins, PDFs, and 404s."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from io import BytesIO

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select

from billing.api.app import create_app
from billing.close.period_close import close_period
from billing.models import Document

AUTH = {"Authorization": "Bearer test-key"}


@pytest.fixture
def client(month, close_settings):  # noqa: ANN001, ANN201
    close_period(month, close_settings, "2026-10", now=datetime(2026, 11, 2, tzinfo=UTC))
    with TestClient(create_app(replace(close_settings))) as client:
        yield client


def test_statements_list_page_and_pdf(client):
    listed = client.get("/v1/teams/support/statements", headers=AUTH).json()
    [statement] = listed["data"]
    assert statement["number"] == "ST-2026-10-support" and listed["next_cursor"] is None
    twin = client.get(f"/v1/statements/{statement['id']}", headers=AUTH).json()
    lines = sum(Decimal(line["amount"]) for line in twin["content"]["lines"])
    charged = sum(Decimal(s["amount"]) for s in twin["content"]["overhead"]
                  if s["treatment"] == "charged")
    assert Decimal(twin["total"]) == lines + charged
    pdf = client.get(f"/v1/statements/{statement['id']}.pdf", headers=AUTH)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf.content)).pages)
    assert f"{Decimal(twin['total']):,.2f}" in text


def _pages(client, path: str, limit: int) -> list[list[dict]]:  # noqa: ANN001
    pages, cursor = [], None
    while True:
        query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor is not None else "")
        page = client.get(path + query, headers=AUTH)
        assert page.status_code == 200, page.text
        body = page.json()
        pages.append(body["data"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert cursor == body["data"][-1]["id"] and len(body["data"]) == limit
        assert len(pages) <= 20, "the cursor never ends"


def test_invoice_pages_with_a_cursor(client, month, close_settings):
    from billing.close.credit_notes import issue_credit_note

    listed = {customer: client.get(f"/v1/customers/{customer}/invoices", headers=AUTH)
              .json()["data"] for customer in ("acme", "globex")}
    acme, other = listed["acme"][0]["number"], listed["globex"][0]["number"]
    for n in range(6):  # acme's documents interleaved with another customer's
        for number in (acme, other):
            issue_credit_note(month, close_settings, number, "0.01", f"goodwill {n}",
                              now=datetime(2026, 11, 3, tzinfo=UTC))
    with month.connect() as connection:
        expected = connection.execute(
            select(Document.id, Document.number).where(
                Document.subject == "acme", Document.kind.in_(("invoice", "credit_note")))
            .order_by(Document.id)).all()
    assert len(expected) == 7
    for limit, sizes in ((2, [2, 2, 2, 1]), (3, [3, 3, 1]), (7, [7]), (1, [1] * 7)):
        pages = _pages(client, "/v1/customers/acme/invoices", limit)
        assert [len(page) for page in pages] == sizes
        got = [(item["id"], item["number"]) for page in pages for item in page]
        assert got == [tuple(row) for row in expected], f"limit {limit}"
        assert all(item["subject"] == "acme" for page in pages for item in page)


def test_documents_by_number_as_by_id(client):
    statement = client.get("/v1/teams/support/statements", headers=AUTH).json()["data"][0]
    invoice = client.get("/v1/customers/acme/invoices", headers=AUTH).json()["data"][0]
    for route, document in (("statements", statement), ("invoices", invoice)):
        by_id = client.get(f"/v1/{route}/{document['id']}", headers=AUTH).json()
        by_number = client.get(f"/v1/{route}/{document['number']}", headers=AUTH)
        assert by_number.status_code == 200 and by_number.json() == by_id
        pdf = client.get(f"/v1/{route}/{document['number']}.pdf", headers=AUTH)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
    assert client.get(f"/v1/invoices/{statement['number']}", headers=AUTH).status_code == 404
    assert client.get(f"/v1/statements/{invoice['number']}", headers=AUTH).status_code == 404
    assert client.get("/v1/statements/ST-2026-10-nosuch", headers=AUTH).status_code == 404


@pytest.mark.parametrize("path", [
    "/v1/statements/999999", "/v1/statements/..%2F..%2Fetc%2Fpasswd", "/v1/invoices/1.exe",
    "/v1/statements/abc.pdf", "/v1/statements/.pdf", "/v1/statements/99999999999999999999999",
    "/v1/statements/ST-2026-10-support.exe",
])
def test_unknown_or_odd_document_ids_are_404(client, path):
    response = client.get(path, headers=AUTH)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_statement_id_is_not_an_invoice(client):
    statement = client.get("/v1/teams/support/statements", headers=AUTH).json()["data"][0]
    assert client.get(f"/v1/invoices/{statement['id']}", headers=AUTH).status_code == 404
    assert client.get(f"/v1/statements/{statement['id']}").status_code == 401
