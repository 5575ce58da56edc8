"""Locale-aware formatting of what documents print: money, counts, percents, dates, periods.

Everything goes through babel (CLDR), so a de_DE reader sees ``1.234,56 €``, a ja_JP reader
``￥1,235`` and an en_US reader ``$1,234.56``. Money always shows the currency's ISO 4217
minor unit (JPY none, KWD three), the same exponent the engine rounds to, never CLDR's own
idea of it. Values are Decimal or int; a float is refused rather than formatted.
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_skeleton, format_time
from babel.numbers import NumberPattern

from invoices.money import require_rounded
from ratecards import currency_exponent

SUPPORTED_LOCALES = ("en_US", "de_DE", "fr_FR", "ja_JP")


@lru_cache(maxsize=64)
def _locale(locale: str) -> Locale:
    return Locale.parse(locale)


@lru_cache(maxsize=256)
def _pattern(locale: str, kind: str, min_frac: int, max_frac: int) -> NumberPattern:
    formats = {"currency": _locale(locale).currency_formats["standard"],
               "decimal": _locale(locale).decimal_formats[None],
               "percent": _locale(locale).percent_formats[None]}
    pattern = copy.copy(formats[kind])
    pattern.frac_prec = (min_frac, max_frac)
    return pattern


def _plus(text: str, value: Decimal, locale: str, signed: bool) -> str:
    if signed and value > 0:
        return _locale(locale).number_symbols["latn"]["plusSign"] + text
    return text


def _number(value: Decimal | int, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{what} must be a Decimal or int, got {type(value).__name__}")
    return Decimal(value)


def format_money(amount: Decimal, currency: str, locale: str, *, signed: bool = False) -> str:
    """An amount with its currency, in the currency's minor unit: ``1.234,56 €`` (de_DE EUR).

    The amount must already be rounded to that unit (documents round at the line, once).
    `signed` prefixes a plus sign to positive amounts (for variances and changes).
    """
    exponent = currency_exponent(currency)
    value = require_rounded(_number(amount, "money"), currency, "amount")
    text = _pattern(locale, "currency", exponent, exponent).apply(
        value, _locale(locale), currency=currency, currency_digits=False)
    return _plus(text, value, locale, signed)


def format_unit_price(price: Decimal, currency: str, locale: str) -> str:
    """A price per unit, which may carry more digits than the currency: ``$0.165``."""
    exponent = currency_exponent(currency)
    return _pattern(locale, "currency", exponent, max(exponent, 6)).apply(
        _number(price, "unit price"), _locale(locale), currency=currency, currency_digits=False)


def format_integer(value: int, locale: str) -> str:
    """A count with the locale's grouping: ``1,234,567`` / ``1.234.567`` / ``1 234 567``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"a count must be an int, got {type(value).__name__}")
    return _pattern(locale, "decimal", 0, 0).apply(Decimal(value), _locale(locale))


format_tokens = format_integer


def format_quantity(value: Decimal, locale: str, *, digits: int = 0) -> str:
    """A quantity such as million tokens, with the places it has and no trailing zeros
    (``3.5``, ``13.657``, ``0.000125``: million tokens to the token), at least `digits`.

    Nothing is rounded away: a value with more places shows them all.
    """
    number = _number(value, "quantity")
    exponent = number.normalize().as_tuple().exponent
    places = max(digits, -int(exponent) if isinstance(exponent, int) else 0)
    return _pattern(locale, "decimal", digits, places).apply(number, _locale(locale))


def format_percent(fraction: Decimal, locale: str, *, digits: int = 1,
                   signed: bool = False) -> str:
    """A fraction as a percent (0.1234 -> ``12.3%``, ``12,3 %`` in de_DE), half-up."""
    value = _number(fraction, "percent").quantize(Decimal(1).scaleb(-digits - 2), ROUND_HALF_UP)
    text = _pattern(locale, "percent", digits, digits).apply(value, _locale(locale))
    return _plus(text, value, locale, signed)


def format_date(value: date, locale: str) -> str:
    """A calendar date in the locale's medium form: ``Nov 30, 2026``, ``30.11.2026``."""
    return babel_format_date(value, format="medium", locale=_locale(locale))


def format_datetime(value: datetime, locale: str) -> str:
    """Date, 24-hour time and zone: ``30.11.2026 06:00 UTC``; the zone is the value's own."""
    zone = value.strftime("%Z") or value.strftime("%z")
    clock = format_time(value, "HH:mm", tzinfo=value.tzinfo, locale=_locale(locale))
    return f"{format_date(value.date(), locale)} {clock} {zone}".strip()


def format_period(period: str, locale: str) -> str:
    """A billing month ``YYYY-MM`` by name: ``October 2026``, ``Oktober 2026``."""
    year, month = (int(part) for part in period.split("-"))
    return format_skeleton("yMMMM", date(year, month, 1), locale=_locale(locale))
