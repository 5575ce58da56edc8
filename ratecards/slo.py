"""A tier's service-level objective, read from the card's `slo` block.

The block is data on the card: `p95_latency_ms` (and optionally `p50_latency_ms`) in
milliseconds, `availability` as a percent ("99.5%"), and the optional `sla_credit_pct`, the
percent of the tier's charge credited to an external customer per breached item. A card
without `sla_credit_pct` promises levels but no credit.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

LATENCY_KEYS = ("p50_latency_ms", "p95_latency_ms")
PERCENT_KEYS = ("availability", "sla_credit_pct")
KNOWN_KEYS = (*LATENCY_KEYS, *PERCENT_KEYS)


def percent(text: str) -> Decimal:
    """`"99.5%"` or `"99.5"` as Decimal 99.5; ValueError unless from 0 to 100."""
    try:
        value = Decimal(str(text).strip().removesuffix("%").strip())
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a percent like \"99.5%\"") from None
    if not value.is_finite() or not 0 <= value <= 100:
        raise ValueError(f"{text!r} is not a percent from 0 to 100, like \"99.5%\"")
    return value


def milliseconds(text: str) -> int:
    """A latency target as whole milliseconds; ValueError unless a positive integer."""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number of milliseconds like 2000") from None
    if not value.is_finite() or value <= 0 or value != value.to_integral_value():
        raise ValueError(f"{text!r} is not a whole number of milliseconds like 2000")
    return int(value)


def problem(key: str, text: str) -> str | None:
    """What is wrong with one item of an slo block, or None."""
    try:
        if key in LATENCY_KEYS:
            milliseconds(text)
        elif key in PERCENT_KEYS:
            percent(text)
    except ValueError as exc:
        return str(exc)
    return None


def credit_percent(slo: Mapping[str, str]) -> Decimal | None:
    """The percent of a tier's charge credited per breached item; None: the card offers none."""
    text = slo.get("sla_credit_pct")
    return percent(text) if text is not None else None
