"""Rendered PDFs read back: the printed numbers equal the JSON twin and add up on every page."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

import pdfplumber
import pytest
from babel.numbers import parse_decimal

from invoices.fonts import printable
from invoices.formatting import format_money
from invoices.json_twin import to_json
from invoices.pdf import render_credit_note, render_invoice, render_statement
from invoices.sample import sample_credit_note, sample_invoice, sample_statement

PRODUCTION_HEADER = "Use case Model Tier Requests tokens tokens tokens Amount"
NON_PRODUCTION_HEADER = "Use case Environment Model Tier Requests tokens tokens tokens Amount"
INVOICE_HEADER = "Description Quantity Unit Unit price Amount"


@dataclass(frozen=True)
class Money:
    """How amounts of one locale and currency look in extracted text, and how to read them."""

    pattern: str
    locale: str

    def all(self, line: str) -> list[Decimal]:
        return [self.value(match) for match in re.findall(self.pattern, line)]

    def value(self, text: str) -> Decimal:
        digits = re.sub(r"[^\d.,\-]", "", text.replace(" ", ""))
        return Decimal(parse_decimal(digits, locale=self.locale))

    def last(self, line: str) -> Decimal:
        found = self.all(line)
        assert found, f"no amount in {line!r}"
        return found[-1]


USD = Money(r"-?\$[\d,]+\.\d{2}", "en_US")
EUR_DE = Money(r"-?[\d.]+,\d{2} €", "de_DE")
EUR_FR = Money(r"-?\d{1,3}(?: \d{3})*,\d{2} €", "fr_FR")
JPY = Money(r"-?¥[\d,]+", "ja_JP")


def pages(path: Path) -> list[list[str]]:
    """Each page's text lines, with no-break and narrow spaces read as plain spaces."""
    with pdfplumber.open(path) as pdf:
        texts = [page.extract_text() or "" for page in pdf.pages]
    return [spaced(text).splitlines() for text in texts]


def running_rows(document_pages: list[list[str]], header: str, closing: str,
                 money: Money) -> list[Decimal]:
    """The amounts of one running table's rows, checking every page's running totals.

    On each page: brought forward equals the previous page's carried forward, the page
    subtotal equals the sum of that page's rows, and carried forward (or the closing subtotal)
    equals brought forward plus page subtotal.
    """
    rows: list[Decimal] = []
    carried: Decimal | None = None
    for page in document_pages:
        if header not in page:
            continue
        start = page.index(header)
        brought, here, page_subtotal = Decimal(0), [], None
        for line in page[start + 1:]:
            if line.startswith("Brought forward"):
                brought = money.last(line)
                assert brought == carried, "brought forward differs from last page's carry"
            elif line.startswith("Page subtotal"):
                page_subtotal = money.last(line)
                assert page_subtotal == sum(here, Decimal(0))
            elif line.startswith("Carried forward"):
                carried = money.last(line)
                assert page_subtotal is not None
                assert carried == brought + page_subtotal
                break
            elif line.startswith(closing):
                assert money.last(line) == brought + sum(here, Decimal(0))
                return rows + here
            else:
                here.append(money.last(line))
        rows += here
    raise AssertionError(f"table {header!r} never closed with {closing!r}")


def labelled(page: list[str], label: str, money: Money) -> Decimal:
    """The first amount after label on a line (two side-by-side blocks may share a line)."""
    line = next((line for line in page if label in line), None)
    assert line is not None, f"no {label!r} line"
    return money.all(line[line.index(label) + len(label):])[0]


def spaced(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def test_long_statement_spans_pages_repeats_headings_and_adds_up_on_every_page(tmp_path):
    statement = sample_statement(300)
    path = render_statement(statement, tmp_path / "statement.pdf")
    twin = to_json(statement)
    text = pages(path)
    assert len(text) >= 5
    production = running_rows(text, PRODUCTION_HEADER, "Subtotal production", USD)
    non_production = running_rows(text, NON_PRODUCTION_HEADER, "Subtotal non-production", USD)
    assert production == [Decimal(line["amount"]) for line in twin["lines"]
                          if line["environment"] == "production"]
    assert non_production == [Decimal(line["amount"]) for line in twin["lines"]
                              if line["environment"] != "production"]
    assert sum(production, Decimal(0)) == Decimal(twin["production_total"])
    assert sum(non_production, Decimal(0)) == Decimal(twin["non_production_total"])
    continued = [page for page in text if any(line.startswith("Brought forward") for line in page)]
    assert len(continued) >= 3
    for page in continued:
        at = next(n for n, line in enumerate(page) if line.startswith("Brought forward"))
        assert page[at - 1] in (PRODUCTION_HEADER, NON_PRODUCTION_HEADER)
        assert "(continued)" in page[0]
    for number, page in enumerate(text, start=1):
        assert page[-1].endswith(f"Page {number} of {len(text)}")


def test_statement_summary_and_closing_totals_equal_the_twin(tmp_path):
    statement = sample_statement(30)
    path = render_statement(statement, tmp_path / "statement.pdf")
    twin = to_json(statement)
    text = pages(path)
    first, every = text[0], [line for page in text for line in page]
    assert labelled(first, "Production usage", USD) == Decimal(twin["production_total"])
    assert labelled(first, "Non-production usage", USD) == Decimal(twin["non_production_total"])
    assert labelled(first, "Total", USD) == Decimal(twin["total"])
    assert labelled(first, "Budget", USD) == Decimal(twin["budget"])
    assert labelled(first, "Variance to budget", USD) == Decimal(twin["variance"])
    assert labelled(every, "Charged overhead (added", USD) == Decimal(
        twin["charged_overhead_total"])
    assert labelled(every, "Central overhead (shown", USD) == Decimal(
        twin["central_overhead_total"])
    assert labelled(every, "Total (USD)", USD) == Decimal(twin["total"])
    assert Decimal(twin["total"]) == (Decimal(twin["usage_total"])
                                      + Decimal(twin["charged_overhead_total"]))
    assert any("no accepted outcomes" in line for line in every)
    assert any(line.startswith("Recommendation: Adjust") for line in every)
    assert "Showback statement" in " ".join(first)


@pytest.mark.parametrize(("lines", "locale", "currency", "money"), [
    (12, "de_DE", "EUR", EUR_DE), (140, "fr_FR", "EUR", EUR_FR), (8, "ja_JP", "JPY", JPY),
], ids=["de-EUR", "fr-EUR-multipage", "ja-JPY"])
def test_invoice_numbers_equal_the_twin_and_the_sum_of_the_lines(tmp_path, lines, locale,
                                                                 currency, money):
    invoice = sample_invoice(lines, locale=locale, currency=currency)
    path = render_invoice(invoice, tmp_path / "invoice.pdf")
    twin = to_json(invoice)
    text = pages(path)
    rows = running_rows(text, INVOICE_HEADER, "Total of lines", money)
    assert rows == [Decimal(line["amount"]) for line in twin["lines"]]
    assert sum(rows, Decimal(0)) == Decimal(twin["subtotal"])
    last = text[-1]
    assert labelled(last[last.index(INVOICE_HEADER) if INVOICE_HEADER in last else 0:],
                    "VAT", money) == Decimal(twin["tax"])
    assert labelled(last, f"Total due ({currency})", money) == Decimal(twin["total"])
    assert Decimal(twin["total"]) == Decimal(twin["subtotal"]) + Decimal(twin["tax"])
    assert any(invoice.invoice_number in line for line in text[0])
    assert any("Bill to" in line for line in text[0])
    total_line = next(line for line in last if line.startswith(f"Total due ({currency})"))
    assert total_line.endswith(spaced(printable(format_money(invoice.total, currency, locale))))


def test_credit_note_says_credit_note_and_references_its_invoice(tmp_path):
    note = sample_credit_note()
    path = render_credit_note(note, tmp_path / "credit.pdf")
    twin = to_json(note)
    text = pages(path)
    joined = "\n".join(text[0])
    assert "Credit note" in joined and f"Credits invoice {note.invoice_number}" in joined
    assert f"Reason: {note.reason}" in joined
    rows = running_rows(text, INVOICE_HEADER, "Total of lines", EUR_FR)
    assert sum(rows, Decimal(0)) == Decimal(twin["subtotal"])
    assert labelled(text[0], "Subtotal credited", EUR_FR) == Decimal(twin["subtotal"])
    assert labelled(text[0], "Total credit (EUR)", EUR_FR) == Decimal(twin["total"])


RENDERERS: list[tuple[Callable, Callable]] = [
    (render_statement, lambda: sample_statement(60)),
    (render_invoice, sample_invoice),
    (render_credit_note, sample_credit_note),
]


@pytest.mark.parametrize(("render", "make"), RENDERERS, ids=["statement", "invoice", "credit"])
def test_rendering_is_deterministic(tmp_path, render, make):
    first = render(make(), tmp_path / "a.pdf").read_bytes()
    second = render(make(), tmp_path / "b.pdf").read_bytes()
    assert first == second
    assert b"/CreationDate" in first


def test_yen_and_accents_survive_the_font(tmp_path):
    invoice = replace(sample_invoice(3, locale="ja_JP", currency="JPY"),
                      notes=("Zahlung an Müller & Söhne, café Zoë",))
    text = "\n".join(line for page in pages(render_invoice(invoice, tmp_path / "i.pdf"))
                     for line in page)
    assert "¥" in text and "Müller & Söhne, café Zoë" in text and "Société" in text
    assert "?" not in text
