"""The document data contract: rounded lines, totals that sum the lines, an exact JSON twin."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invoices.documents import (
    ChargebackInvoice,
    InvoiceLine,
    OutcomeSummary,
    OverheadShare,
    Party,
    ShowbackStatement,
    StatementLine,
)
from invoices.json_twin import from_json, to_json
from invoices.sample import sample_credit_note, sample_invoice, sample_statement

ISSUER = Party("Issuer Ltd", ("1 Main St",))
BILL_TO = Party("Customer Inc", ("2 High St",))
UNIT = {"USD": Decimal("0.01"), "EUR": Decimal("0.01"), "JPY": Decimal(1), "KWD": Decimal("0.001")}


def line(amount: str, environment: str = "production") -> StatementLine:
    return StatementLine("support copilot", "gpt-4o", "better", environment, 10, 1000, 200, 50,
                         Decimal(amount))


def statement(**changes) -> ShowbackStatement:
    base = ShowbackStatement(
        statement_number="SB-1", team="support", period="2026-10", issuer=ISSUER,
        locale="en_US", currency="USD", generated_at=datetime(2026, 11, 1, tzinfo=UTC),
        card_versions=["internal@2026-10"],
        lines=[line("10.00"), line("2.50", "staging"), line("0.01", "test")],
        overhead=[OverheadShare("observability", "spend", "charged", Decimal("1.25")),
                  OverheadShare("platform", "shares", "central", Decimal("100.00"))],
    )
    return replace(base, **changes)


def invoice(amounts: list[str], currency: str = "USD", rate: str = "0.19") -> ChargebackInvoice:
    return ChargebackInvoice(
        invoice_number="INV-2026-10-0001", issuer=ISSUER, bill_to=BILL_TO, period="2026-10",
        issue_date=date(2026, 11, 2), due_date=date(2026, 12, 2), currency=currency,
        locale="en_US", tax_rate=Decimal(rate),
        lines=[InvoiceLine(f"line {n}", Decimal(1), Decimal(a), Decimal(a))
               for n, a in enumerate(amounts)])


def test_statement_totals_sum_the_lines_and_charged_overhead_only():
    doc = statement(budget=Decimal("12.00"), last_month_total=Decimal("10.00"),
                    volume_effect=Decimal("2.00"), price_effect=Decimal("0.50"))
    assert doc.production_total == Decimal("10.00")
    assert doc.non_production_total == Decimal("2.51")
    assert doc.usage_total == Decimal("12.51")
    assert doc.charged_overhead_total == Decimal("1.25")
    assert doc.central_overhead_total == Decimal("100.00")
    assert doc.total == Decimal("13.76")
    assert doc.variance == Decimal("0.51")  # usage against budget; overhead is not held against it
    assert doc.variance_percent == Decimal("0.51") / Decimal("12.00")
    assert doc.change_vs_last_month == Decimal("3.76")
    assert doc.other_effect == Decimal("1.26")


def test_no_budget_means_no_variance():
    doc = statement()
    assert doc.variance is None and doc.variance_percent is None
    assert doc.change_vs_last_month is None and doc.other_effect is None


def test_lines_must_already_be_rounded_to_the_minor_unit():
    with pytest.raises(ValueError, match=r"line 1.*more digits than USD"):
        statement(lines=[line("10.005")])
    with pytest.raises(ValueError, match="more digits than JPY"):
        invoice(["12.5"], currency="JPY")
    with pytest.raises(TypeError, match="Decimal"):
        statement(lines=[StatementLine("u", "m", "good", "production", 1, 1, 1, 0, 1.5)])


def test_amounts_are_stored_in_canonical_form():
    assert statement(lines=[line("12.5")]).lines[0].amount.as_tuple().exponent == -2
    assert str(invoice(["3"]).lines[0].amount) == "3.00"


@pytest.mark.parametrize(("changes", "message"), [
    ({"period": "2026-13"}, "YYYY-MM"),
    ({"period": "2026-10\n"}, "YYYY-MM"),
    ({"period": "２０２６-10"}, "YYYY-MM"),
    ({"currency": "XXX"}, "ISO 4217"),
    ({"generated_at": datetime(2026, 11, 1)}, "time zone"),
    ({"lines": [line("1.00", " ")]}, "environment ' ' is not an environment name"),
    ({"overhead": [OverheadShare("p", "spend", "shared", Decimal(1))]}, "charged or central"),
    ({"outcomes": [OutcomeSummary("u", 5, 4, Decimal(1))]}, "exceeds total"),
])
def test_a_statement_says_what_is_wrong(changes, message):
    with pytest.raises(ValueError, match=message):
        statement(**changes)


def test_documents_are_immutable_even_when_built_from_lists():
    doc = statement()
    assert isinstance(doc.lines, tuple) and isinstance(doc.issuer.address, tuple)
    with pytest.raises(AttributeError):
        doc.team = "other"  # type: ignore[misc]


def test_outcomes_cost_per_accepted_outcome_is_rounded_once_or_absent():
    assert OutcomeSummary("u", 3, 4, Decimal("10.00")).cost_per_accepted("USD") == Decimal("3.3333")
    given = OutcomeSummary("u", 3, 4, Decimal("10.00"), unit_cost=Decimal("3.3333"))
    assert given.cost_per_accepted("USD") == Decimal("3.3333")
    assert OutcomeSummary("u", 3, 4, Decimal("10.00")).pass_rate == Decimal("0.75")
    assert OutcomeSummary("u", 0, 9, Decimal("10.00")).cost_per_accepted("USD") is None
    assert OutcomeSummary("u", 0, 0, Decimal("0.00")).pass_rate is None


def test_tax_is_computed_once_on_the_subtotal():
    # per line: 0.05 x 10% = 0.005 -> 0.01 three times = 0.03; once on 0.15: 0.015 -> 0.02
    doc = invoice(["0.05", "0.05", "0.05"], rate="0.10")
    assert doc.subtotal == Decimal("0.15")
    assert doc.tax == Decimal("0.02")
    assert doc.total == Decimal("0.17")


def test_credit_notes_carry_positive_amounts_and_a_reason():
    note = sample_credit_note()
    assert note.total == note.subtotal + note.tax > 0
    with pytest.raises(ValueError, match="positive"):
        replace(note, lines=[InvoiceLine("x", Decimal(1), Decimal(-1), Decimal("-1.00"))])
    with pytest.raises(ValueError, match="reason"):
        replace(note, reason=" ")


@pytest.mark.parametrize("document", [
    sample_statement(25), sample_statement(12, locale="ja_JP", currency="JPY"),
    sample_invoice(), sample_invoice(5, locale="ja_JP", currency="JPY"), sample_credit_note(),
], ids=["statement", "statement-jpy", "invoice", "invoice-jpy", "credit-note"])
def test_json_twin_round_trips_exactly(document):
    twin = to_json(document)
    again = from_json(json.loads(json.dumps(twin)))
    assert again == document
    assert to_json(again) == twin


def test_json_twin_uses_decimal_strings_beside_currency_and_integer_counts():
    twin = to_json(statement(budget=Decimal("20.00")))
    assert twin["document"] == "showback_statement" and twin["currency"] == "USD"
    assert twin["lines"][0]["amount"] == "10.00" and twin["lines"][0]["requests"] == 10
    assert twin["total"] == "13.76" and twin["variance"] == "-7.49"
    twin = to_json(invoice(["1.00", "2.50"]))
    assert (twin["subtotal"], twin["tax"], twin["total"]) == ("3.50", "0.67", "4.17")


def test_an_edited_twin_is_refused():
    twin = to_json(sample_invoice())
    twin["lines"][0]["amount"] = str(Decimal(twin["lines"][0]["amount"]) + 1)
    with pytest.raises(ValueError, match="stated subtotal"):
        from_json(twin)
    with pytest.raises(ValueError, match="'document'"):
        from_json({"document": "receipt"})


minor_units = st.integers(min_value=0, max_value=10**9)
rates = st.decimals(min_value=0, max_value=Decimal("0.30"), places=4)


@settings(max_examples=200, deadline=None)
@given(st.lists(minor_units, min_size=1, max_size=30), rates,
       st.sampled_from(["USD", "JPY", "KWD"]))
def test_invoice_total_is_sum_of_rounded_lines_plus_tax_rounded_once(units, rate, currency):
    unit = UNIT[currency]
    amounts = [str(n * unit) for n in units]
    doc = invoice(amounts, currency=currency, rate=str(rate))
    subtotal = sum((Decimal(a) for a in amounts), Decimal(0))
    assert doc.subtotal == subtotal
    assert doc.tax == (subtotal * rate).quantize(unit, rounding=ROUND_HALF_UP)
    assert doc.total == subtotal + doc.tax
    assert doc.total % unit == 0
    assert from_json(to_json(doc)) == doc
