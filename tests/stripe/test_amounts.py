"""Stripe's integer amounts: cents, whole yen, fils; never a rounding of our own."""

from decimal import Decimal

import pytest

from invoices.stripe_amounts import from_minor_units, stripe_exponent, to_minor_units


@pytest.mark.parametrize(("amount", "currency", "minor"), [
    ("1234.56", "USD", 123456), ("0.01", "eur", 1), ("-12.30", "USD", -1230),
    ("184500", "JPY", 184500), ("12.345", "KWD", 12345), ("1500", "ISK", 150000),
    ("1000", "KRW", 1000),
])
def test_to_and_from_minor_units(amount, currency, minor):
    assert to_minor_units(Decimal(amount), currency) == minor
    assert from_minor_units(minor, currency) == Decimal(amount)


def test_exponents_follow_stripes_table():
    assert [stripe_exponent(c) for c in ("USD", "JPY", "KWD", "ISK", "bhd")] == [2, 0, 3, 2, 3]


def test_a_fraction_of_the_minor_unit_is_refused_not_rounded():
    with pytest.raises(ValueError) as refused:
        to_minor_units(Decimal("10.005"), "usd")
    assert str(refused.value) == ("10.005 USD is not a whole number of the currency's minor "
                                  "unit; round the line before pushing it to Stripe")
    with pytest.raises(ValueError):
        to_minor_units(Decimal("1.5"), "JPY")


def test_floats_are_refused():
    with pytest.raises(TypeError) as refused:
        to_minor_units(12.5, "USD")
    assert str(refused.value) == "money must be a Decimal, got float"
