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
from invoices.labels import ENGLISH, Labels, labels
from invoices.pdf import render_credit_note, render_invoice, render_statement
from invoices.pdf_invoice import line_columns
from invoices.pdf_statement import non_production_columns, production_columns
from invoices.running_table import Column
from invoices.sample import sample_credit_note, sample_invoice, sample_statement


def heading_line(columns: tuple[Column, ...]) -> str:
    """A table's heading row as extracted text: the last line of each (bottom-aligned) heading."""
    return " ".join(column.heading.split("\n")[-1] for column in columns)


PRODUCTION_HEADER = heading_line(production_columns(ENGLISH))
NON_PRODUCTION_HEADER = heading_line(non_production_columns(ENGLISH))
INVOICE_HEADER = heading_line(line_columns(ENGLISH))


@dataclass(frozen=True)
class Money:
    """How amounts of one locale and currency look in extracted text, and how to read them."""

    pattern: str
    locale: str
    cells: bool = False  # read from pages(path, cells=True): cells apart, " | " between

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
# French groups digits with spaces, so in a line of text a token count runs into the amount
# after it ("973 728 129,24 €"): statements are read cell by cell.
EUR_FR_CELLS = Money(r"-?\d{1,3}(?: \d{3})*,\d{2} €", "fr_FR", cells=True)
CELL = " | "


def pages(path: Path, cells: bool = False) -> list[list[str]]:
    """Each page's text lines, with no-break and narrow spaces read as plain spaces.

    With `cells`, text drawn apart (table cells, side-by-side blocks) is joined by CELL, so
    numbers of neighbouring cells cannot run together.
    """
    with pdfplumber.open(path) as pdf:
        if not cells:
            return [spaced(page.extract_text() or "").splitlines() for page in pdf.pages]
        return [_cell_lines(page) for page in pdf.pages]


def _cell_lines(page: pdfplumber.page.Page) -> list[str]:
    words = sorted(page.extract_words(keep_blank_chars=True, x_tolerance=1.5),
                   key=lambda word: (word["top"], word["x0"]))
    lines: list[list[dict]] = []
    for word in words:
        if lines and word["top"] - lines[-1][0]["top"] <= 3:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [CELL.join(spaced(word["text"]).strip() for word in sorted(line, key=lambda w: w["x0"]))
            for line in lines]


def running_rows(document_pages: list[list[str]], header: str, closing: str,
                 money: Money, words: Labels = ENGLISH) -> list[Decimal]:
    """The amounts of one running table's rows, checking every page's running totals.

    On each page: brought forward equals the previous page's carried forward, the page
    subtotal equals the sum of that page's rows, and carried forward (or the closing subtotal)
    equals brought forward plus page subtotal. `words` are the document's labels.
    """
    rows: list[Decimal] = []
    carried: Decimal | None = None
    for page in document_pages:
        plain = [line.replace(CELL, " ") for line in page]
        if header not in plain:
            continue
        start = plain.index(header)
        brought, here, page_subtotal = Decimal(0), [], None
        for line in page[start + 1:]:
            if line.startswith(words.brought_forward):
                brought = money.last(line)
                assert brought == carried, "brought forward differs from last page's carry"
            elif line.startswith(words.page_subtotal):
                page_subtotal = money.last(line)
                assert page_subtotal == sum(here, Decimal(0))
            elif line.startswith(words.carried_forward):
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
    line = next((line for line in page if line.startswith(label)), None) or next(
        (line for line in page if label in line), None)
    assert line is not None, f"no {label!r} line"
    return money.all(line[line.index(label) + len(label):])[0]


def spaced(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


STATEMENT_LOCALES = pytest.mark.parametrize(("locale", "currency", "money"), [
    ("en_US", "USD", USD), ("fr_FR", "EUR", EUR_FR_CELLS), ("de_DE", "EUR", EUR_DE),
], ids=["en-USD", "fr-EUR", "de-EUR"])


@STATEMENT_LOCALES
def test_long_statement_spans_pages_repeats_headings_and_adds_up_on_every_page(
        tmp_path, locale, currency, money):
    statement = sample_statement(300, locale=locale, currency=currency)
    words = labels(locale)
    path = render_statement(statement, tmp_path / "statement.pdf")
    twin = to_json(statement)
    text = pages(path, cells=money.cells)
    assert len(text) >= 5
    headers = (heading_line(production_columns(words)), heading_line(non_production_columns(words)))
    production = running_rows(text, headers[0], words.subtotal_production, money, words)
    non_production = running_rows(text, headers[1], words.subtotal_non_production, money, words)
    assert production == [Decimal(line["amount"]) for line in twin["lines"]
                          if line["environment"] == "production"]
    assert non_production == [Decimal(line["amount"]) for line in twin["lines"]
                              if line["environment"] != "production"]
    assert sum(production, Decimal(0)) == Decimal(twin["production_total"])
    assert sum(non_production, Decimal(0)) == Decimal(twin["non_production_total"])
    continued = [page for page in text
                 if any(line.startswith(words.brought_forward) for line in page)]
    assert len(continued) >= 3
    for page in continued:
        at = next(n for n, line in enumerate(page) if line.startswith(words.brought_forward))
        assert page[at - 1].replace(CELL, " ") in headers
        assert words.continued in page[0]
    for number, page in enumerate(text, start=1):
        assert page[-1].endswith(words.page_of.format(page=number, count=len(text)))


def variance_in_words(page: list[str], label: str, money: Money, words: Labels) -> Decimal:
    """A variance printed as '460.30 under budget': its size, signed by the words after it."""
    line = next((line for line in page if label in line), None)
    assert line is not None, f"no {label!r} line"
    rest = line[line.index(label) + len(label):]
    size = money.all(rest)[0]
    assert size >= 0, "the size of a variance is printed without a sign"
    if words.over_budget in rest:
        return size
    assert words.under_budget in rest or words.on_budget in rest, rest
    return -size


@STATEMENT_LOCALES
def test_statement_summary_and_closing_totals_equal_the_twin(tmp_path, locale, currency, money):
    statement = sample_statement(30, locale=locale, currency=currency)
    words = labels(locale)
    path = render_statement(statement, tmp_path / "statement.pdf")
    twin = to_json(statement)
    text = pages(path, cells=money.cells)
    first, every = text[0], [line for page in text for line in page]
    assert labelled(first, words.production_usage, money) == Decimal(twin["production_total"])
    assert labelled(first, words.non_production_usage, money) == Decimal(
        twin["non_production_total"])
    assert labelled(first, words.total, money) == Decimal(twin["total"])
    assert labelled(first, words.budget, money) == Decimal(twin["budget"])
    assert variance_in_words(first, words.variance, money, words) == Decimal(twin["variance"])
    assert variance_in_words(first, words.variance_total, money, words) == (
        Decimal(twin["total"]) - Decimal(twin["budget"]))
    assert labelled(every, words.charged_overhead_total, money) == Decimal(
        twin["charged_overhead_total"])
    assert labelled(every, words.central_overhead_total, money) == Decimal(
        twin["central_overhead_total"])
    assert labelled(every, words.total_in.format(currency=currency), money) == Decimal(
        twin["total"])
    assert Decimal(twin["total"]) == (Decimal(twin["usage_total"])
                                      + Decimal(twin["charged_overhead_total"]))
    assert any(words.no_accepted_outcomes in line for line in every)
    recommendation = words.recommendation.format(action=words.adjust)
    assert any(line.startswith(recommendation) for line in every)
    assert words.statement in " ".join(first).replace(CELL, " ")


def test_a_french_statement_prints_no_english_label(tmp_path):
    text = "\n".join(line for page in pages(render_statement(
        sample_statement(30, locale="fr_FR", currency="EUR"), tmp_path / "s.pdf"))
        for line in page)
    assert "Relevé showback" in text and "Report" not in text  # one page: nothing carried
    for english in ("Showback statement", "Summary", "Production usage", "Budget holder",
                    "Subtotal", "Page 1 of", "Overhead pools", "Outcomes",
                    "no accepted outcomes", "Recommendation", "Changes in the period",
                    "Statement no.", "Generated", "Currency"):
        assert english not in text, english


@pytest.mark.parametrize(("lines", "locale", "currency", "money"), [
    (12, "de_DE", "EUR", EUR_DE), (140, "fr_FR", "EUR", EUR_FR), (8, "ja_JP", "JPY", JPY),
    (60, "en_US", "USD", USD),
], ids=["de-EUR", "fr-EUR-multipage", "ja-JPY", "en-USD-multipage"])
def test_invoice_numbers_equal_the_twin_and_the_sum_of_the_lines(tmp_path, lines, locale,
                                                                 currency, money):
    invoice = sample_invoice(lines, locale=locale, currency=currency)
    words = labels(locale)
    header = heading_line(line_columns(words))
    path = render_invoice(invoice, tmp_path / "invoice.pdf")
    twin = to_json(invoice)
    text = pages(path)
    rows = running_rows(text, header, words.total_of_lines, money, words)
    assert rows == [Decimal(line["amount"]) for line in twin["lines"]]
    assert sum(rows, Decimal(0)) == Decimal(twin["subtotal"])
    last = text[-1]
    assert labelled(last[last.index(header) if header in last else 0:],
                    "VAT", money) == Decimal(twin["tax"])
    total_due = words.total_due.format(currency=currency)
    assert labelled(last, total_due, money) == Decimal(twin["total"])
    assert Decimal(twin["total"]) == Decimal(twin["subtotal"]) + Decimal(twin["tax"])
    assert any(invoice.invoice_number in line for line in text[0])
    assert any(words.bill_to in line for line in text[0])
    total_line = next(line for line in last if line.startswith(total_due))
    assert total_line.endswith(spaced(printable(format_money(invoice.total, currency, locale))))


def test_a_german_invoice_reads_german_labels_and_no_english_ones(tmp_path):
    invoice = sample_invoice(12, locale="de_DE", currency="EUR")
    text = "\n".join(line for page in pages(render_invoice(invoice, tmp_path / "i.pdf"))
                     for line in page)
    for german in ("Rechnung", "Rechnungsnr. INV-2026-10-0001", "Leistungszeitraum",
                   "Rechnungsdatum 02.11.2026", "Fällig am 02.12.2026", "Rechnungsempfänger",
                   "Beschreibung Menge Einheit Einzelpreis Betrag", "Zwischensumme 9.415,05 €",
                   "Gesamtbetrag (EUR) 11.203,91 €", "Summe der Positionen", "Seite 1 von 1",
                   "USt-IdNr.: DE123456789", "Vorperiode (2026-09): gpt-4o output tokens"):
        assert german in text, german
    for english in ("Invoice", "Bill to", "Subtotal", "Due date", "Issue date", "Total due",
                    "Total of lines", "Page 1", "Tax ID", "Prior period", "Rate card"):
        assert english not in text, english


@pytest.mark.parametrize("locale", ["fr_FR", "en_US", "de_DE"])
def test_credit_note_says_credit_note_and_references_its_invoice(tmp_path, locale):
    note = sample_credit_note(locale=locale)
    words = labels(locale)
    money = {"fr_FR": EUR_FR, "en_US": Money(r"-?€[\d,]+\.\d{2}", "en_US"), "de_DE": EUR_DE}[
        locale]
    path = render_credit_note(note, tmp_path / "credit.pdf")
    twin = to_json(note)
    text = pages(path)
    joined = "\n".join(text[0])
    assert words.credit_note in joined
    assert f"{words.credits_invoice} {note.invoice_number}" in joined
    assert words.reason.format(reason=note.reason) in joined
    rows = running_rows(text, heading_line(line_columns(words)), words.total_of_lines, money,
                        words)
    assert sum(rows, Decimal(0)) == Decimal(twin["subtotal"])
    assert labelled(text[0], words.subtotal_credited, money) == Decimal(twin["subtotal"])
    assert labelled(text[0], words.total_credit_in.format(currency="EUR"), money) == Decimal(
        twin["total"])


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
