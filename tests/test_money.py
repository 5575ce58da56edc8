"""Money as beancount's Amount: arithmetic in one currency, errors that say what to do, and
apportion, which spreads a document line over finer rows that add up to it to the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.exact_sum import _DecimalSum
from billing.money import (
    CurrencyMismatch,
    Money,
    apportion,
    round_line,
    split_largest_remainder,
    total,
)


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def test_arithmetic_keeps_the_currency():
    assert usd("1.25") + usd("0.50") == usd("1.75")
    assert usd("1.25") - usd("0.50") == usd("0.75")
    assert -usd("1.25") == usd("-1.25")
    assert usd("1.25") * Decimal("3") == usd("3.75")
    assert usd("1.25") * 4 == usd("5.00")
    assert Money.zero("JPY") == Money(Decimal(0), "JPY")
    assert usd("1.005").rounded() == usd("1.01")
    assert Money(Decimal("1.0005"), "KWD").rounded() == Money(Decimal("1.001"), "KWD")
    assert str(usd("2.50")) == "2.50 USD"


def test_two_currencies_never_add():
    message = "cannot add EUR to USD: convert with a recorded FX rate first (billing fx set)"
    for combine in (Money.__add__, Money.__sub__):
        with pytest.raises(CurrencyMismatch) as refused:
            combine(usd("1"), Money(Decimal("1"), "EUR"))
        assert str(refused.value) == message
    with pytest.raises(TypeError) as refused:
        usd("1") + Decimal("1")  # type: ignore[operator]
    assert str(refused.value) == "cannot combine money with Decimal"


def test_money_is_a_decimal_with_an_iso_currency():
    with pytest.raises(TypeError) as refused:
        Money(0.1, "USD")  # type: ignore[arg-type]
    assert str(refused.value) == "money must be a Decimal, got float"
    for currency in ("US", "USDX", None):
        with pytest.raises(ValueError) as refused:
            Money(Decimal(1), currency)  # type: ignore[arg-type]
        assert str(refused.value) == f"currency {currency!r} is not an ISO 4217 code"
    for factor in (1.5, usd("2")):
        with pytest.raises(TypeError) as refused:
            usd("1") * factor  # type: ignore[operator]
        assert str(refused.value) == "money is multiplied by a Decimal or an int"


def test_total_sums_one_currency_and_is_zero_when_empty():
    assert total([usd("1.10"), usd("2.20"), usd("-0.30")], "USD") == usd("3.00")
    assert total([], "JPY") == Money.zero("JPY")
    with pytest.raises(CurrencyMismatch):
        total([usd("1")], "EUR")


def test_errors_say_what_is_wrong():
    with pytest.raises(TypeError) as refused:
        round_line(0.1, "USD")  # type: ignore[arg-type]
    assert str(refused.value) == "money must be a Decimal, got float"
    with pytest.raises(ValueError) as refused:
        split_largest_remainder(Decimal("0.015"), {"a": 1}, "USD")
    assert str(refused.value) == "0.015 is not a whole number of USD minor units"
    with pytest.raises(ValueError) as refused:
        split_largest_remainder(Decimal("1.00"), {"a": 1, "b": -1}, "USD")
    assert str(refused.value) == "weights must not be negative"
    with pytest.raises(ValueError) as refused:
        apportion([Decimal("1"), Decimal("-0.01")], "USD")
    assert str(refused.value) == "apportion needs amounts of zero or more"


@pytest.mark.parametrize(
    ("exact", "currency", "expected"),
    [
        # the line is 1.00 (0.333.. x 3 rounds to 1.00); the leftover cent goes to the first
        (["0.3333", "0.3333", "0.3334"], "USD", ["0.33", "0.33", "0.34"]),
        (["0.334", "0.333", "0.333"], "USD", ["0.34", "0.33", "0.33"]),
        # a zero row stays zero; the line rounds half up (0.005 -> 0.01)
        (["0", "0.005"], "USD", ["0.00", "0.01"]),
        (["0", "0"], "USD", ["0.00", "0.00"]),
        (["10.4", "10.4"], "JPY", ["11", "10"]),
        ([], "USD", []),
        # eleven rows: keys sort as strings, so they are zero-padded ("02" before "10")
        (["0.001"] * 11, "USD", ["0.01"] + ["0.00"] * 10),
        (["0.0095"] * 11, "USD", ["0.01"] * 10 + ["0.00"]),
    ],
)
def test_apportion_adds_up_to_the_rounded_line(exact, currency, expected):
    rows = apportion([Decimal(value) for value in exact], currency)
    assert rows == [Decimal(value) for value in expected]
    assert sum(rows, Decimal(0)) == round_line(sum(map(Decimal, exact), Decimal(0)), currency)


def test_the_sqlite_sum_is_plain_decimal_text_and_refuses_floats():
    exact = _DecimalSum()
    assert exact.finalize() is None
    for value in (None, "0.0000001", "0.00000002", None):
        exact.step(value)
    assert exact.finalize() == "0.00000012"
    with pytest.raises(TypeError) as refused:
        exact.step(0.1)
    assert str(refused.value) == "money column holds a float; money is stored as decimal text"
