"""Quote: the price of hypothetical usage on the card version in force at an instant.

The one entry point behind `billing quote` and `POST /v1/quote`, so both read `at` alike, pick
the same card version and price the same way. An instant written with an offset keeps it; a
date, or a timestamp written without an offset, is wall time in the billing time zone; the
version is the one in force on the instant's date in that zone. Amounts are exact, unrounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from billing.rating.card_registry import version_at
from ratecards import TOTAL, Quote, quote

# YYYY-MM-DD, optionally a time (seconds and fraction optional), optionally Z or +HH:MM
_WRITTEN_AT = re.compile(
    r"\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:\d{2})?)?")
AT_EXAMPLE = "2026-11-01 or 2026-11-01T00:30:00+02:00"


def read_at(text: Any) -> datetime:
    """`at` as a user writes it: a date (YYYY-MM-DD) or an RFC 3339 timestamp.

    Naive unless an offset is written: then it is wall time in the billing time zone, which
    `in_billing_zone` attaches. ValueError says how to write it.
    """
    if isinstance(text, datetime):
        return text
    if isinstance(text, str) and _WRITTEN_AT.fullmatch(text.strip()):
        try:
            return datetime.fromisoformat(text.strip().upper().replace(" ", "T"))
        except ValueError as exc:
            raise ValueError(f"at: {text!r} is not a real date or time ({exc}); write it as "
                             f"{AT_EXAMPLE}") from None
    raise ValueError(f"at: {text!r} is not a date or an RFC 3339 timestamp; write it as "
                     f"{AT_EXAMPLE}")


def in_billing_zone(moment: datetime, zone: ZoneInfo) -> datetime:
    """An explicit offset is kept exactly; a naive moment is wall time in the billing zone."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


@dataclass(frozen=True)
class QuoteResult:
    """What was quoted: the instant asked about, the card version in force then, the price."""

    at: datetime
    effective_from: date
    price: Quote

    def to_dict(self) -> dict[str, Any]:
        """The same keys and values for `billing quote --json` and `POST /v1/quote`."""
        p = self.price
        return {
            "card": p.card, "version": p.version, "effective_from": self.effective_from.isoformat(),
            "at": self.at.isoformat(), "currency": p.currency, "tier": p.tier, "model": p.model,
            "priced_model": p.priced_model,
            "provider": p.provider, "tokens": p.tokens, "requests": p.requests,
            "input_tokens": p.input_tokens, "output_tokens": p.output_tokens,
            "cached_input_tokens": p.cached_input_tokens,
            "cache_write_input_tokens": p.cache_write_input_tokens,
            "unit_prices": {"input": _plain(p.input_price), "output": _plain(p.output_price),
                            "cached_input": _plain(p.cached_input_price),
                            "cache_write_input": _plain(p.cache_write_input_price)},
            "markup": _plain(p.markup), "per_request_fee": _plain(p.per_request_fee),
            "provider_cost": _plain(p.provider_cost), "markup_amount": _plain(p.markup_amount),
            "request_fees": _plain(p.request_fees), "internal_price": _plain(p.internal_price),
        }


def _plain(value: Decimal) -> str:
    """A decimal string, never in exponent form (0.00000015, not 1.5E-7)."""
    return format(value, "f")


def quote_at(
    engine: Engine,
    card: str,
    model: str,
    *,
    at: datetime,
    timezone: str,
    tier: str | None = None,
    input_tokens: int,
    output_tokens: int,
    cached_input_tokens: int = 0,
    cache_write_input_tokens: int = 0,
    requests: int = 1,
    tokens: str = TOTAL,
) -> QuoteResult:
    """Price usage of `model` on the version of `card` in force at `at` (aware).

    `tokens` is "total" (the counts are over all `requests`, as in a usage event) or
    "per_call" (the counts describe one call, made `requests` times). Raises UnknownCard,
    NoVersionInForce or UnpricedModel, each with a message that says what to do.
    """
    if at.tzinfo is None:
        raise ValueError("at: the instant needs a time zone; see in_billing_zone")
    version = version_at(engine, card, at, timezone)
    price = quote(version, model, tier=tier, input_tokens=input_tokens,
                  output_tokens=output_tokens, cached_input_tokens=cached_input_tokens,
                  cache_write_input_tokens=cache_write_input_tokens, requests=requests,
                  tokens=tokens)
    return QuoteResult(at, version.effective_from, price)
