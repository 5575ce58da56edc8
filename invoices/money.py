"""Money on documents: a currency's minor unit, and rounding half-up to it.

Documents receive amounts already rounded once at the line by the engine; this module checks
that, and rounds what a document derives itself (tax, cost per accepted outcome). Exponents
come from the ISO 4217 table in `ratecards` (USD 2, JPY 0, KWD 3), the same table the engine
rounds with, so a document never disagrees with the ledger about what a cent is.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from ratecards import currency_exponent


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of a currency: 0.01 USD, 1 JPY, 0.001 KWD."""
    return Decimal(1).scaleb(-currency_exponent(currency))


def round_half_up(amount: Decimal, currency: str) -> Decimal:
    """Half-up to the currency's minor unit; refuses floats so no binary fraction sneaks in."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be a Decimal, got {type(amount).__name__} {amount!r}")
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def require_rounded(amount: Decimal, currency: str, where: str) -> Decimal:
    """The amount in canonical form (``12.5`` USD becomes ``12.50``) if it is already rounded.

    Raises ValueError naming the field when the amount carries more digits than the currency's
    minor unit: the engine rounds at the line, a document never rounds a line again.
    """
    if not isinstance(amount, Decimal):
        raise TypeError(f"{where}: money must be a Decimal, got {type(amount).__name__}")
    if not amount.is_finite():
        raise ValueError(f"{where}: {amount} is not a finite amount")
    rounded = amount.quantize(minor_unit(currency))
    if rounded != amount:
        raise ValueError(
            f"{where}: {amount} has more digits than {currency} allows "
            f"({minor_unit(currency)}); round each line half-up before building the document"
        )
    return rounded


def decimal_text(value: Decimal) -> str:
    """A Decimal as plain text without exponent (``1E+3`` becomes ``1000``), for JSON."""
    return format(value, "f")
