"""Provider bills: three published formats parse to exact Decimal totals."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from billing.close.provider_bill import (
    ProviderBillError,
    ProviderTotal,
    parse_provider_bill,
    read_provider_bill,
)

BILLS = Path(__file__).parent.parent / "fixtures" / "provider_bills"


def test_the_openai_costs_response_sums_to_exact_dollars():
    bill = read_provider_bill(BILLS / "openai-costs.json")
    assert bill.format == "openai_costs" and bill.items == 3 and not bill.warnings
    assert bill.totals == (ProviderTotal("openai", Decimal("1012.5056789"), "USD"),)
    assert type(bill.totals[0].amount) is Decimal
    assert (bill.starts_at, bill.ends_at) == (datetime(2026, 10, 1, tzinfo=UTC),
                                              datetime(2026, 10, 3, tzinfo=UTC))


def test_the_anthropic_cost_report_is_in_cents():
    bill = read_provider_bill(BILLS / "anthropic-cost-report.json")
    assert bill.format == "anthropic_cost_report" and bill.items == 3
    assert bill.totals == (ProviderTotal("anthropic", Decimal("501.2428912"), "USD"),)
    documented = {"data": [{"starting_at": "2025-08-01T00:00:00Z",
                            "ending_at": "2025-08-02T00:00:00Z",
                            "results": [{"currency": "USD", "amount": "123.45"}]}],
                  "has_more": False, "next_page": None}
    [total] = parse_provider_bill(json.dumps(documented), "example").totals
    assert total.amount == Decimal("1.2345")  # the docs: "123.45" in USD represents $1.23


def test_the_csv_bill_sums_its_rows_per_provider():
    bill = read_provider_bill(BILLS / "provider-bill.csv")
    assert bill.format == "csv" and bill.items == 4
    assert {t.provider: t.amount for t in bill.totals} == {
        "openai": Decimal("1012.5056789"), "anthropic": Decimal("501.2428912"),
        "mistral": Decimal("20.10")}


def test_a_page_with_more_to_come_is_flagged_and_a_list_of_pages_is_one_bill():
    page = json.loads((BILLS / "openai-costs.json").read_text())
    first = {**page, "has_more": True, "next_page": "page_2"}
    one = parse_provider_bill(json.dumps(first), "page-1.json")
    assert "has_more: true" in one.warnings[0] and "incomplete" in one.warnings[0]
    both = parse_provider_bill(json.dumps([first, page]), "pages.json")
    assert not both.warnings and both.totals[0].amount == 2 * Decimal("1012.5056789")


BAD = {
    "bad amount": ("provider,amount,currency\nopenai,12.00,USD\nanthropic,twelve,USD\n",
                   "row 3, field amount: 'twelve' is not a decimal number"),
    "bad header": ("vendor,cost\nopenai,12\n", "row 1: found 'vendor,cost'"),
    "bad currency": ("provider,amount,currency\nopenai,1,DOLLARS\n",
                     "row 2, field currency"),
    "short row": ("provider,amount,currency\nopenai,1\n", "row 2: 2 columns; expected 3"),
    "no rows": ("provider,amount,currency\n", "no rows after the header"),
    "broken json": ('{"object": "page", "data": [', "not valid JSON"),
    "openai value": (json.dumps({"object": "page", "has_more": False, "data": [
        {"object": "bucket", "results": [{"object": "organization.costs.result",
                                          "amount": {"value": True, "currency": "usd"}}]}]}),
        "data[0].results[0].amount.value: expected a decimal number"),
    "anthropic amount": (json.dumps({"has_more": False, "data": [
        {"starting_at": "2026-10-01T00:00:00Z", "results": [{"amount": "1,5"}]}]}),
        "data[0].results[0].amount: '1,5' is not a decimal number"),
    "other json": ('{"invoices": []}', "expected a CSV with the header provider,amount,"),
}


@pytest.mark.parametrize("name", BAD)
def test_a_bad_bill_names_the_file_the_place_and_what_was_expected(name):
    text, message = BAD[name]
    with pytest.raises(ProviderBillError) as raised:
        parse_provider_bill(text, "bill.txt")
    assert str(raised.value).startswith("bill.txt") and message in str(raised.value)
