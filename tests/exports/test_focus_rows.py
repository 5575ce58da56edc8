"""The FOCUS mapping on plain data: one row per price component, exact costs, our tags."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from billing.exports.focus import (
    COLUMNS,
    FocusContext,
    OverheadCharge,
    UsageGroup,
    decimal_text,
    focus_rows,
)
from billing.period import Period

GROUP = UsageGroup(
    view="showback", period="2026-10", usage_date=date(2026, 10, 5), team="support",
    use_case="support-copilot", customer="acme", environment="production", provider="openai",
    model="gpt-4o-mini", tier="good", card="internal", card_version="2026-10", currency="USD",
    adjusts_period=None, attributed_by=None, requests=3, input_tokens=1_200,
    output_tokens=300, cached_input_tokens=0, cache_write_input_tokens=0,
    input_price=Decimal("0.15"), output_price=Decimal("0.60"),
    cached_input_price=Decimal("0.075"), cache_write_input_price=Decimal("0.15"),
    markup=Decimal("0.10"), per_request_fee=Decimal("0.0002"),
)
CONTEXT = FocusContext(period="2026-10", zone=ZoneInfo("Europe/Berlin"), issuer="AI Platform")


def test_one_row_per_component_with_exact_costs():
    rows = focus_rows([GROUP], [], CONTEXT)
    assert [row["x_Component"] for row in rows] == ["input", "output", "request_fee"]
    for row in rows:
        assert set(row) == set(COLUMNS)
        assert row["PricingQuantity"] * row["ListUnitPrice"] == row["ListCost"]
        assert row["PricingQuantity"] * row["ContractedUnitPrice"] == row["ContractedCost"]
        assert row["BilledCost"] == row["EffectiveCost"] == row["ContractedCost"]
        assert all(isinstance(row[name], Decimal) for name in ("BilledCost", "ListCost"))
    provider = (1200 * Decimal("0.15") + 300 * Decimal("0.60")) / 1_000_000
    internal = provider * Decimal("1.10") + 3 * Decimal("0.0002")
    assert sum(row["ListCost"] for row in rows) == provider
    assert sum(row["BilledCost"] for row in rows) == internal
    first = rows[0]
    assert (first["PricingUnit"], first["ConsumedQuantity"], first["ConsumedUnit"]) == (
        "1000000 Tokens", Decimal(1200), "Tokens")
    assert first["SkuPriceId"] == "internal@2026-10/good/gpt-4o-mini/input"


def test_periods_are_utc_bounds_of_the_billing_time_zone():
    row = focus_rows([GROUP], [], CONTEXT)[0]
    assert row["BillingPeriodStart"] == "2026-09-30T22:00:00Z"
    assert row["BillingPeriodEnd"] == "2026-10-31T23:00:00Z"  # the clocks went back
    assert (row["ChargePeriodStart"], row["ChargePeriodEnd"]) == (
        "2026-10-04T22:00:00Z", "2026-10-05T22:00:00Z")
    start, end = Period(2026, 12).bounds(ZoneInfo("UTC"))
    assert (start.year, end.year, end.month) == (2026, 2027, 1)


def test_attribution_in_tags_and_custom_columns_and_accounts_by_view():
    row = focus_rows([GROUP], [], CONTEXT)[0]
    tags = json.loads(row["Tags"])
    assert tags["billing/team"] == "support" and tags["billing/use_case"] == "support-copilot"
    assert tags["billing/card_version"] == "2026-10" and tags["billing/customer"] == "acme"
    assert (row["BillingAccountId"], row["SubAccountName"], row["x_Tier"]) == (
        "team/support", "support-copilot", "good")
    assert row["InvoiceId"] == "provisional/2026-10/team/support"
    chargeback = FocusContext(period="2026-10", zone=ZoneInfo("UTC"), issuer="AI Platform",
                              view="chargeback")
    row = focus_rows([GROUP], [], chargeback)[0]
    assert (row["BillingAccountId"], row["BillingAccountType"]) == ("customer/acme", "Customer")


def test_overhead_share_is_its_own_row():
    share = OverheadCharge("support", "observability", "spend", Decimal("483.48"), "USD",
                           "ST-2026-10-support")
    [row] = focus_rows([], [share], CONTEXT)
    assert row["BilledCost"] == row["ListCost"] == Decimal("483.48")
    assert (row["ChargeCategory"], row["ChargeFrequency"], row["x_OverheadPool"]) == (
        "Usage", "Recurring", "observability")
    assert row["InvoiceId"] == "ST-2026-10-support"


def test_decimals_never_have_an_exponent():
    assert decimal_text(Decimal("1E-10")) == "0.0000000001"
    assert decimal_text(Decimal("4.8E+3")) == "4800"
    assert decimal_text(Decimal("-0.00")) == "0"
    with pytest.raises(TypeError):
        decimal_text(0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="view"):
        focus_rows([], [], FocusContext("2026-10", ZoneInfo("UTC"), "x", view="budget"))


def test_web_searches_are_a_component_of_their_own_priced_per_1000():
    searches = replace(GROUP, requests=0, input_tokens=0, output_tokens=0,
                       web_search_requests=1234, web_search_price=Decimal("10.00"))
    [row] = focus_rows([searches], [], CONTEXT)
    assert (row["x_Component"], row["PricingUnit"], row["PricingQuantity"]) == (
        "web_search", "1000 Requests", Decimal("1.234"))
    assert (row["ConsumedQuantity"], row["ConsumedUnit"]) == (Decimal(1234), "Requests")
    assert row["ListCost"] == Decimal("12.34")
    assert row["BilledCost"] == Decimal("12.34") * Decimal("1.10")
