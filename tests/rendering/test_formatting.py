"""Locale formatting goldens: what a reader in each supported locale sees for money and counts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from invoices.formatting import (
    format_date,
    format_datetime,
    format_integer,
    format_money,
    format_percent,
    format_period,
    format_quantity,
    format_unit_price,
)

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(("amount", "currency", "locale", "expected"), [
    ("1234.56", "EUR", "de_DE", f"1.234,56{NBSP}€"),
    ("1235", "JPY", "ja_JP", "￥1,235"),
    ("1234.56", "USD", "en_US", "$1,234.56"),
    ("1234.56", "EUR", "fr_FR", f"1{NNBSP}234,56{NBSP}€"),
    ("-1234.50", "USD", "en_US", "-$1,234.50"),
    ("1234.567", "KWD", "en_US", "KWD1,234.567"),
    ("1234", "JPY", "en_US", "¥1,234"),
    ("0", "EUR", "de_DE", f"0,00{NBSP}€"),
])
def test_money_in_the_currency_minor_unit(amount, currency, locale, expected):
    assert format_money(Decimal(amount), currency, locale) == expected


def test_yen_has_no_minor_unit_and_dollars_always_show_cents():
    assert format_money(Decimal("1235"), "JPY", "ja_JP").endswith("1,235")
    assert format_money(Decimal("12.5"), "USD", "en_US") == "$12.50"


def test_money_refuses_floats_and_unrounded_amounts():
    with pytest.raises(TypeError):
        format_money(12.5, "USD", "en_US")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="more digits than JPY"):
        format_money(Decimal("1234.5"), "JPY", "ja_JP")


def test_signed_money_and_percent_show_a_plus_for_increases():
    assert format_money(Decimal("8916.81"), "USD", "en_US", signed=True) == "+$8,916.81"
    assert format_money(Decimal("-3.00"), "USD", "en_US", signed=True) == "-$3.00"
    assert format_percent(Decimal("0.087"), "de_DE", signed=True) == f"+8,7{NBSP}%"


@pytest.mark.parametrize(("locale", "expected"), [
    ("en_US", "1,234,567"), ("de_DE", "1.234.567"), ("fr_FR", f"1{NNBSP}234{NNBSP}567"),
    ("ja_JP", "1,234,567"),
])
def test_token_counts_are_grouped_by_locale(locale, expected):
    assert format_integer(1_234_567, locale) == expected


def test_percent_rounds_half_up():
    assert format_percent(Decimal("0.12345"), "en_US", digits=2) == "12.35%"
    assert format_percent(Decimal("0.0005"), "en_US") == "0.1%"
    assert format_percent(Decimal("0.19"), "fr_FR", digits=0) == f"19{NBSP}%"


def test_quantities_and_unit_prices_keep_their_digits():
    assert format_quantity(Decimal("12.345678"), "de_DE") == "12,345678"
    assert format_quantity(Decimal("3.5"), "en_US") == "3.5"
    assert format_quantity(Decimal("13.657000"), "de_DE") == "13,657"  # no trailing zeros
    assert format_quantity(Decimal("2.000000"), "fr_FR") == "2"
    assert format_quantity(Decimal("3.5"), "en_US", digits=2) == "3.50"
    assert format_quantity(Decimal("0.12345678"), "en_US") == "0.12345678"
    assert format_quantity(Decimal("48210"), "fr_FR", digits=0) == "48\u202f210"
    assert format_unit_price(Decimal("0.165"), "USD", "en_US") == "$0.165"
    assert format_unit_price(Decimal("2.5"), "EUR", "de_DE") == f"2,50{NBSP}€"
    assert format_unit_price(Decimal("24.75"), "JPY", "ja_JP") == "￥24.75"


@pytest.mark.parametrize(("locale", "day", "period"), [
    ("en_US", "Nov 30, 2026", "October 2026"),
    ("de_DE", "30.11.2026", "Oktober 2026"),
    ("fr_FR", "30 nov. 2026", "octobre 2026"),
    ("ja_JP", "2026/11/30", "2026年10月"),
])
def test_dates_and_periods(locale, day, period):
    assert format_date(date(2026, 11, 30), locale) == day
    assert format_period("2026-10", locale) == period


def test_datetime_names_its_zone():
    moment = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
    assert format_datetime(moment, "de_DE") == "01.11.2026 06:00 UTC"
