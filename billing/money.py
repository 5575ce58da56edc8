"""Money: an amount with its currency; round once at the document line; split by largest
remainder.

All pure. A document's total is the sum of its rounded lines, so every page adds up to
the cent; a split's parts always sum exactly to the whole.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from ratecards import currency_exponent


def minor_unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-currency_exponent(currency))


def round_line(amount: Decimal, currency: str) -> Decimal:
    """Half-up to the currency's minor unit (USD cents, JPY yen, KWD fils)."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be a Decimal, got {type(amount).__name__}")
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def split_largest_remainder(
    total: Decimal, weights: Mapping[str, Decimal | int], currency: str
) -> dict[str, Decimal]:
    """Split `total` (already in minor units) in proportion to weights; parts sum to total.

    Each part is first rounded down to the minor unit; the units left over go one each to
    the largest remainders (ties broken by key, so the result is deterministic). With no
    weight at all, the split is even.
    """
    unit = minor_unit(currency)
    if total != total.quantize(unit):
        raise ValueError(f"{total} is not a whole number of {currency} minor units")
    keys: Sequence[str] = sorted(weights)
    if not keys:
        return {}
    # exact fractions, not 28-digit Decimals: a rounded share could make equal remainders
    # unequal and hand a unit past the key order
    values = {key: Fraction(Decimal(weights[key])) for key in keys}
    if any(value < 0 for value in values.values()):
        raise ValueError("weights must not be negative")
    whole = sum(values.values())
    if whole == 0:
        values = {key: Fraction(1) for key in keys}
        whole = Fraction(len(keys))
    exact = {key: Fraction(total / unit) * values[key] / whole for key in keys}
    parts = {key: Decimal(math.trunc(exact[key])) * unit for key in keys}
    left = int((total - sum(parts.values())) / unit)
    step = unit if total >= 0 else -unit
    order = sorted(keys, key=lambda key: (-(abs(exact[key] - math.trunc(exact[key]))), key))
    for key in order[:abs(left)]:
        parts[key] += step
    return parts


class CurrencyMismatch(ValueError):
    """Two amounts of different currencies met where one currency was expected."""


@dataclass(frozen=True, slots=True)
class Money:
    """An amount with its currency, like beancount's `Amount`: adding two currencies raises.

    Conversion is never implicit; it needs a recorded FX rate (`billing.fx`).
    """

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError(f"money must be a Decimal, got {type(self.amount).__name__}")
        if not isinstance(self.currency, str) or len(self.currency) != 3:
            raise ValueError(f"currency {self.currency!r} is not an ISO 4217 code")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    def _same(self, other: Money) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot add {other.currency} to {self.currency}: convert "
                                   "with a recorded FX rate first (billing fx set)")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, float | Money):
            raise TypeError("money is multiplied by a Decimal or an int")
        return Money(self.amount * factor, self.currency)

    def rounded(self) -> Money:
        """Half-up to the currency's minor unit: the one rounding a document line gets."""
        return Money(round_line(self.amount, self.currency), self.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def total(amounts: Iterable[Money], currency: str) -> Money:
    """The sum of amounts that must all be in `currency` (an empty sum is zero of it)."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result


def apportion(exact: Sequence[Decimal], currency: str) -> list[Decimal]:
    """Finer rows of one document line: the line's rounded amount spread over the rows by
    largest remainder of their exact amounts, so the rows add up to the line to the cent.

    This is how an export or a breakdown by day shows amounts that sum to the statement.
    """
    whole = round_line(sum(exact, Decimal(0)), currency)
    if not exact:
        return []
    if any(value < 0 for value in exact):
        raise ValueError("apportion needs amounts of zero or more")
    width = len(str(len(exact)))
    weights = {f"{index:0{width}d}": value for index, value in enumerate(exact)}
    parts = split_largest_remainder(whole, weights, currency)
    return [parts[f"{index:0{width}d}"] for index in range(len(exact))]
