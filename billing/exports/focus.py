"""FOCUS: the FinOps Foundation's open cost and usage format (version 1.2), from our rated usage.

FinOps tools read FOCUS, so a FOCUS export lets finance put AI token spend beside cloud spend
without a custom connector. This module is the pure mapping: plain data in (usage groups summed
by the database, overhead shares), FOCUS rows out; no database and no files.

One rated-line group (a day of one team, use case, customer, environment, model, tier and card
version) becomes one row per price component: input, output, cached input and cache-write
tokens at their per-million-token prices, and requests at the per-request fee. FOCUS needs a row
to have one unit price, so that `PricingQuantity x ListUnitPrice = ListCost` and
`PricingQuantity x ContractedUnitPrice = ContractedCost` hold exactly; a rated line has several.

Money columns are exact, unrounded Decimals: the provider's list cost in `ListCost`, our
internal price (provider price with the card's markup, plus the request fee) in `BilledCost`,
`EffectiveCost` and `ContractedCost`. Statements round once per line; rounding the rows of a
statement line reproduces it to the cent. Charged overhead shares are rows of their own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from billing.period import Period

FOCUS_VERSION = "1.2"
MILLION = Decimal(1_000_000)
NANOS = Decimal(1_000_000_000)
VIEWS = ("showback", "chargeback")
TAG_PREFIX = "billing/"
UNATTRIBUTED = "unattributed"

# Every column of the FOCUS 1.2 cost and usage dataset (mandatory, conditional and
# recommended), alphabetically as the specification allows, then ours with the x_ prefix.
FOCUS_COLUMNS = (
    "AvailabilityZone", "BilledCost", "BillingAccountId", "BillingAccountName",
    "BillingAccountType", "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart",
    "CapacityReservationId", "CapacityReservationStatus", "ChargeCategory", "ChargeClass",
    "ChargeDescription", "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart",
    "CommitmentDiscountCategory", "CommitmentDiscountId", "CommitmentDiscountName",
    "CommitmentDiscountQuantity", "CommitmentDiscountStatus", "CommitmentDiscountType",
    "CommitmentDiscountUnit", "ConsumedQuantity", "ConsumedUnit", "ContractedCost",
    "ContractedUnitPrice", "EffectiveCost", "InvoiceId", "InvoiceIssuerName", "ListCost",
    "ListUnitPrice", "PricingCategory", "PricingCurrency", "PricingCurrencyContractedUnitPrice",
    "PricingCurrencyEffectiveCost", "PricingCurrencyListUnitPrice", "PricingQuantity",
    "PricingUnit", "ProviderName", "PublisherName", "RegionId", "RegionName", "ResourceId",
    "ResourceName", "ResourceType", "ServiceCategory", "ServiceName", "ServiceSubcategory",
    "SkuId", "SkuMeter", "SkuPriceDetails", "SkuPriceId", "SubAccountId", "SubAccountName",
    "SubAccountType", "Tags",
)
CUSTOM_COLUMNS = (
    "x_View", "x_Team", "x_UseCase", "x_Customer", "x_Environment", "x_Model", "x_Tier",
    "x_Card", "x_CardVersion", "x_Markup", "x_Component", "x_AdjustsPeriod", "x_AttributedBy",
    "x_OverheadPool", "x_OverheadDriver",
)
COLUMNS = FOCUS_COLUMNS + CUSTOM_COLUMNS
MONEY_COLUMNS = frozenset({
    "BilledCost", "ContractedCost", "ContractedUnitPrice", "EffectiveCost", "ListCost",
    "ListUnitPrice", "PricingCurrencyContractedUnitPrice", "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice", "x_Markup",
})
QUANTITY_COLUMNS = frozenset({"ConsumedQuantity", "PricingQuantity", "CommitmentDiscountQuantity"})
DECIMAL_COLUMNS = MONEY_COLUMNS | QUANTITY_COLUMNS
TIMESTAMP_COLUMNS = frozenset({"BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart",
                              "ChargePeriodEnd"})
# (component, token count, unit price, what the SKU meters)
TOKEN_COMPONENTS = (
    ("input", "input_tokens", "input_price", "Input Tokens"),
    ("output", "output_tokens", "output_price", "Output Tokens"),
    ("cached_input", "cached_input_tokens", "cached_input_price", "Cached Input Tokens"),
    ("cache_write_input", "cache_write_input_tokens", "cache_write_input_price",
     "Cache Write Input Tokens"),
)


@dataclass(frozen=True)
class UsageGroup:
    """Rated lines of one key, summed by the database; prices as the card version set them."""

    view: str
    period: str
    usage_date: date
    team: str | None
    use_case: str | None
    customer: str | None
    environment: str
    provider: str | None
    model: str
    tier: str | None
    card: str
    card_version: str
    currency: str
    adjusts_period: str | None
    attributed_by: str | None
    requests: int
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int
    cache_write_input_tokens: int
    input_price: Decimal
    output_price: Decimal
    cached_input_price: Decimal
    cache_write_input_price: Decimal
    markup: Decimal
    per_request_fee: Decimal
    invoice_id: str | None = None
    reported_cost_nanos: int = 0
    """Cost the source reported (1e-9 USD) for usage priced per image or call."""
    web_search_requests: int = 0
    web_search_price: Decimal | None = None
    """The card's price of 1,000 web searches."""


@dataclass(frozen=True)
class OverheadCharge:
    """A team's share of a charged overhead pool in a period (already split to the cent)."""

    team: str
    pool: str
    driver: str
    amount: Decimal
    currency: str
    invoice_id: str | None = None


@dataclass(frozen=True)
class ContractCharge:
    """A line a customer's contract adds to its invoice: a discount (negative) or a true-up."""

    customer: str
    kind: str  # discount | true_up | carry_over | credit (prepaid credit drawn)
    description: str
    amount: Decimal
    currency: str
    invoice_id: str | None = None


@dataclass(frozen=True)
class FocusContext:
    """What every row of one export shares: the period, its time zone, who issues, the view."""

    period: str
    zone: ZoneInfo
    issuer: str
    view: str = "showback"


def decimal_text(value: Decimal) -> str:
    """A Decimal as plain digits (FOCUS numeric format): never an exponent, never a float."""
    if not isinstance(value, Decimal):
        raise TypeError(f"money and quantities must be Decimal, got {type(value).__name__}")
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def utc_text(moment: datetime) -> str:
    """FOCUS date/time: ISO 8601 in UTC with a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _tags(values: dict[str, str | None]) -> str:
    """Our attribution as FOCUS tags: a JSON object of the non-empty values, keys prefixed."""
    present = {f"{TAG_PREFIX}{key}": value for key, value in values.items() if value}
    return json.dumps(present, ensure_ascii=False, sort_keys=True)


def _account(ctx: FocusContext, team: str | None, customer: str | None,
             invoice_id: str | None) -> dict[str, Any]:
    """The billing account is the statement's team (showback) or the invoice's customer.

    InvoiceId is the statement or invoice number once the period is closed; before that, a
    provisional id of the document the charge will be on (FOCUS allows one made in advance).
    """
    if ctx.view == "chargeback":
        account, name, kind = f"customer/{customer}", customer, "Customer"
    else:
        name = team or UNATTRIBUTED
        account, kind = f"team/{name}", "Team"
    return {"BillingAccountId": account, "BillingAccountName": name, "BillingAccountType": kind,
            "InvoiceId": invoice_id or f"provisional/{ctx.period}/{account}"}


def _base(ctx: FocusContext, currency: str) -> dict[str, Any]:
    start, end = Period.parse(ctx.period).bounds(ctx.zone)
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update({
        "BillingCurrency": currency, "PricingCurrency": currency,
        "BillingPeriodStart": utc_text(start), "BillingPeriodEnd": utc_text(end),
        "InvoiceIssuerName": ctx.issuer, "ProviderName": ctx.issuer,
        "ServiceCategory": "AI and Machine Learning", "x_View": ctx.view,
    })
    return row


def usage_rows(group: UsageGroup, ctx: FocusContext) -> list[dict[str, Any]]:
    """The FOCUS rows of one usage group: one per price component with a quantity."""
    tier = group.tier or "untiered"
    card_version = f"{group.card}@{group.card_version}"
    base = _base(ctx, group.currency)
    day_start = _midnight(group.usage_date, ctx.zone)
    sub_account = (f"team/{group.team or UNATTRIBUTED}/use-case/{group.use_case}"
                   if group.use_case else None)
    base.update(_account(ctx, group.team, group.customer, group.invoice_id))
    base.update({
        "ChargeCategory": "Usage", "ChargeFrequency": "Usage-Based",
        "ChargePeriodStart": utc_text(day_start),
        "ChargePeriodEnd": utc_text(_midnight(group.usage_date + timedelta(days=1), ctx.zone)),
        "PricingCategory": "Standard",
        "PublisherName": group.provider or ctx.issuer,
        "ServiceName": f"AI models, {tier} tier", "ServiceSubcategory": "Generative AI",
        "ResourceId": f"model/{group.provider or 'unknown'}/{group.model}",
        "ResourceName": group.model, "ResourceType": "AI Model",
        "SubAccountId": sub_account, "SubAccountName": group.use_case if sub_account else None,
        "SubAccountType": "Use Case" if sub_account else None,
        "Tags": _tags({"team": group.team, "use_case": group.use_case,
                       "customer": group.customer, "environment": group.environment,
                       "tier": group.tier, "card": group.card,
                       "card_version": group.card_version}),
        "x_Team": group.team, "x_UseCase": group.use_case, "x_Customer": group.customer,
        "x_Environment": group.environment, "x_Model": group.model, "x_Tier": group.tier,
        "x_Card": group.card, "x_CardVersion": group.card_version, "x_Markup": group.markup,
        "x_AdjustsPeriod": group.adjusts_period, "x_AttributedBy": group.attributed_by,
    })
    what = f"{group.model} ({tier} tier, {card_version})"
    if group.adjusts_period:
        what = f"{group.adjusts_period} usage rated late: {what}"
    rows = []
    for component, count_name, price_name, meter in TOKEN_COMPONENTS:
        tokens = getattr(group, count_name)
        if not tokens:
            continue
        list_price: Decimal = getattr(group, price_name)
        rows.append(_priced(
            base, component, meter, f"{what} {meter.lower()}",
            quantity=Decimal(tokens) / MILLION, unit="1000000 Tokens",
            consumed=Decimal(tokens), consumed_unit="Tokens",
            list_price=list_price, contracted_price=list_price * (1 + group.markup),
            sku=f"{group.model}/{tier}/{component}", sku_price=f"{card_version}/{tier}/"
            f"{group.model}/{component}", details={"x_Card": group.card,
                                                    "x_CardVersion": group.card_version,
                                                    "x_Markup": decimal_text(group.markup)},
        ))
    if group.per_request_fee and group.requests:
        rows.append(_priced(
            base, "request_fee", "Requests", f"{what} per-request fee",
            quantity=Decimal(group.requests), unit="Requests",
            consumed=Decimal(group.requests), consumed_unit="Requests",
            list_price=Decimal(0), contracted_price=group.per_request_fee,
            sku=f"request-fee/{tier}", sku_price=f"{card_version}/{tier}/request-fee",
            details={"x_Card": group.card, "x_CardVersion": group.card_version},
        ))
    if group.web_search_requests and group.web_search_price is not None:
        searches = Decimal(group.web_search_requests)
        rows.append(_priced(
            base, "web_search", "Web searches", f"{what} web searches",
            quantity=searches / 1000, unit="1000 Requests", consumed=searches,
            consumed_unit="Requests", list_price=group.web_search_price,
            contracted_price=group.web_search_price * (1 + group.markup),
            sku=f"{group.model}/{tier}/web_search",
            sku_price=f"{card_version}/{tier}/{group.model}/web_search",
            details={"x_Card": group.card, "x_CardVersion": group.card_version,
                     "x_Markup": decimal_text(group.markup)},
        ))
    if group.reported_cost_nanos:
        reported = Decimal(group.reported_cost_nanos) / NANOS
        rows.append(_priced(
            base, "reported_cost", "Reported cost", f"{what} cost as reported by the source",
            quantity=Decimal(1), unit="Reported", consumed=Decimal(1), consumed_unit="Reported",
            list_price=reported, contracted_price=reported * (1 + group.markup),
            sku=f"{group.model}/{tier}/reported_cost",
            sku_price=f"{card_version}/{tier}/{group.model}/reported_cost",
            details={"x_Card": group.card, "x_CardVersion": group.card_version,
                     "x_Markup": decimal_text(group.markup)},
        ))
    return rows


def _priced(
    base: dict[str, Any], component: str, meter: str, description: str, *, quantity: Decimal,
    unit: str, consumed: Decimal, consumed_unit: str, list_price: Decimal,
    contracted_price: Decimal, sku: str, sku_price: str, details: dict[str, str],
) -> dict[str, Any]:
    list_cost = quantity * list_price
    cost = quantity * contracted_price
    return {**base, "x_Component": component, "SkuMeter": meter,
            "ChargeDescription": description,
            "PricingQuantity": quantity, "PricingUnit": unit,
            "ConsumedQuantity": consumed, "ConsumedUnit": consumed_unit,
            "ListUnitPrice": list_price, "PricingCurrencyListUnitPrice": list_price,
            "ContractedUnitPrice": contracted_price,
            "PricingCurrencyContractedUnitPrice": contracted_price,
            "ListCost": list_cost, "ContractedCost": cost, "BilledCost": cost,
            "EffectiveCost": cost, "PricingCurrencyEffectiveCost": cost,
            "SkuId": sku, "SkuPriceId": sku_price,
            "SkuPriceDetails": json.dumps(details, sort_keys=True)}


def overhead_row(charge: OverheadCharge, ctx: FocusContext) -> dict[str, Any]:
    """A team's charged share of a platform overhead pool: a month of the shared platform.

    It is Usage with a recurring frequency: one month of the pool's service consumed, priced
    at the share. Not a Purchase: FOCUS reads purchases as prepayments, with an EffectiveCost
    of 0 spread over later usage, and an overhead share is this month's cost itself.
    """
    start, end = Period.parse(ctx.period).bounds(ctx.zone)
    row = _base(ctx, charge.currency)
    row.update(_account(ctx, charge.team, None, charge.invoice_id))
    amount = charge.amount
    row.update({
        "ChargeCategory": "Usage", "ChargeFrequency": "Recurring",
        "ChargeDescription": f"{ctx.period} share of platform overhead '{charge.pool}' "
                             f"(split by {charge.driver})",
        "ChargePeriodStart": utc_text(start), "ChargePeriodEnd": utc_text(end),
        "PricingCategory": "Standard", "PricingQuantity": Decimal(1), "PricingUnit": "Month",
        "ConsumedQuantity": Decimal(1), "ConsumedUnit": "Month",
        "ListUnitPrice": amount, "PricingCurrencyListUnitPrice": amount,
        "ContractedUnitPrice": amount, "PricingCurrencyContractedUnitPrice": amount,
        "ListCost": amount, "ContractedCost": amount, "BilledCost": amount,
        "EffectiveCost": amount, "PricingCurrencyEffectiveCost": amount,
        "PublisherName": ctx.issuer, "ServiceName": f"Platform overhead: {charge.pool}",
        "ServiceSubcategory": "AI Platforms",
        "SkuId": f"overhead/{charge.pool}", "SkuPriceId": f"overhead/{charge.pool}/{ctx.period}",
        "SkuMeter": "Overhead Share",
        "SkuPriceDetails": json.dumps({"x_Driver": charge.driver}, sort_keys=True),
        "Tags": _tags({"team": charge.team, "overhead_pool": charge.pool}),
        "x_Team": charge.team, "x_Component": "overhead", "x_OverheadPool": charge.pool,
        "x_OverheadDriver": charge.driver,
    })
    return row


def contract_row(charge: ContractCharge, ctx: FocusContext) -> dict[str, Any]:
    """A contract line of a customer's invoice: a discount is a Credit (it lowers the bill
    without being a price of any one usage row), a commitment true-up an Adjustment. Neither
    consumes anything, so the quantities are null, as FOCUS requires of non-usage rows."""
    start, end = Period.parse(ctx.period).bounds(ctx.zone)
    row = _base(ctx, charge.currency)
    row.update(_account(ctx, None, charge.customer, charge.invoice_id))
    amount = charge.amount
    row.update({
        "ChargeCategory": "Adjustment" if charge.kind == "true_up" else "Credit",
        "ChargeFrequency": "Recurring", "ChargeDescription": charge.description,
        "ChargePeriodStart": utc_text(start), "ChargePeriodEnd": utc_text(end),
        "ListCost": amount, "ContractedCost": amount, "BilledCost": amount,
        "EffectiveCost": amount, "PricingCurrencyEffectiveCost": amount,
        "PublisherName": ctx.issuer, "ServiceName": "AI usage contract",
        "ServiceSubcategory": "AI Platforms",
        "Tags": _tags({"customer": charge.customer}),
        "x_Customer": charge.customer, "x_Component": charge.kind,
    })
    return row


def focus_rows(
    groups: Iterable[UsageGroup], overhead: Iterable[OverheadCharge], ctx: FocusContext,
    contracts: Iterable[ContractCharge] = (),
) -> list[dict[str, Any]]:
    """All rows of an export: usage components first, then overhead shares, then the
    customers' contract lines."""
    if ctx.view not in VIEWS:
        raise ValueError(f"view {ctx.view!r} is not showback or chargeback")
    rows = [row for group in groups for row in usage_rows(group, ctx)]
    rows.extend(overhead_row(charge, ctx) for charge in overhead)
    rows.extend(contract_row(charge, ctx) for charge in contracts)
    return rows
