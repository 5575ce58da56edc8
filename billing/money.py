"""Money rules: round once at the document line, and split amounts by largest remainder.

Both are pure. A document's total is the sum of its rounded lines, so every page adds up to
the cent; a split's parts always sum exactly to the whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

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
    values = {key: Decimal(weights[key]) for key in keys}
    if any(value < 0 for value in values.values()):
        raise ValueError("weights must not be negative")
    whole = sum(values.values())
    if whole == 0:
        values = {key: Decimal(1) for key in keys}
        whole = Decimal(len(keys))
    exact = {key: total * values[key] / whole for key in keys}
    parts = {key: exact[key].quantize(unit, rounding=ROUND_DOWN) for key in keys}
    left = int((total - sum(parts.values())) / unit)
    step = unit if total >= 0 else -unit
    order = sorted(keys, key=lambda key: (-(abs(exact[key] - parts[key])), key))
    for key in order[:abs(left)]:
        parts[key] += step
    return parts
