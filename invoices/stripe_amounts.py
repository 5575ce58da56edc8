"""Stripe amounts: a Decimal in the currency's major unit as the integer Stripe's API expects.

Stripe takes every amount as an integer in the currency's smallest unit: cents for USD, whole yen
for JPY, fils for KWD. Its table is Stripe's own and not quite ISO 4217: ISK is zero-decimal in
ISO but Stripe, for backwards compatibility, keeps it two-decimal (whole krónur times 100). So the
exponents live here, beside the API they describe, not in the ISO table of `ratecards`.
"""

from __future__ import annotations

from decimal import Decimal

# https://docs.stripe.com/currencies#zero-decimal and #three-decimal; all others are two-decimal.
_ZERO_DECIMAL = frozenset({
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA",
    "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
})
_THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


def stripe_exponent(currency: str) -> int:
    """Decimal places in Stripe's integer amounts: JPY 0, USD 2, KWD 3."""
    code = currency.upper()
    if code in _ZERO_DECIMAL:
        return 0
    if code in _THREE_DECIMAL:
        return 3
    return 2


def to_minor_units(amount: Decimal, currency: str) -> int:
    """The integer Stripe expects for `amount`; refuses an amount that needs rounding.

    Amounts reach Stripe already rounded once, at the document line; rounding again here would
    make Stripe's total differ from the PDF's, so a stray fraction is an error, not a rounding.
    """
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be a Decimal, got {type(amount).__name__}")
    scaled = amount.scaleb(stripe_exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(
            f"{amount} {currency.upper()} is not a whole number of the currency's minor unit; "
            "round the line before pushing it to Stripe"
        )
    return int(scaled)


def from_minor_units(amount: int, currency: str) -> Decimal:
    """A Stripe integer amount back as a Decimal in the major unit (1999 USD -> 19.99)."""
    return Decimal(amount).scaleb(-stripe_exponent(currency))
