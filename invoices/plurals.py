"""Counted nouns in the document's language: ``1 Anfrage``, ``2 Anfragen``, ``0 requête``.

Which form a count takes is CLDR's plural rule for the locale, through babel
(`Locale.plural_form`): English and German say "one" for 1 only, French for 0 and 1 too.
Each noun is catalogued with a form per plural category (`one`, `other`); a category a
language has beyond those (French `many`, for a million) reads `other`, as gettext's
ngettext would with two forms.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel import Locale

from invoices.formatting import format_integer
from invoices.labels import language

NOUNS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {"request": ("request", "requests"), "month": ("month", "months"),
           "token": ("token", "tokens"), "day": ("day", "days")},
    "de": {"request": ("Anfrage", "Anfragen"), "month": ("Monat", "Monate"),
           "token": ("Token", "Tokens"), "day": ("Tag", "Tage")},
    "fr": {"request": ("requête", "requêtes"), "month": ("mois", "mois"),
           "token": ("jeton", "jetons"), "day": ("jour", "jours")},
}
UNIT_NOUNS = {"requests": "request"}
"""Invoice line units that are a count of something, by the noun they count."""


@lru_cache(maxsize=16)
def _locale(locale: str) -> Locale:
    return Locale.parse(locale)


def noun(name: str, count: int | Decimal, locale: str) -> str:
    """The noun `name` in the form `count` takes in `locale`'s language (English when the
    language is not catalogued)."""
    singular, plural = NOUNS.get(language(locale), NOUNS["en"])[name]
    return singular if _locale(locale).plural_form(count) == "one" else plural


def counted(name: str, count: int, locale: str) -> str:
    """A count and its noun: ``1 Anfrage``, ``1.234 Anfragen``, ``2 mois``."""
    return f"{format_integer(count, locale)} {noun(name, count, locale)}"


def unit_for(unit: str, quantity: Decimal, locale: str) -> str | None:
    """A counted unit (requests) in the form its quantity takes; None for other units (million
    tokens, reported cost), which the label catalogue names."""
    name = UNIT_NOUNS.get(unit)
    if name is None or quantity != quantity.to_integral_value():
        return None
    return noun(name, int(quantity), locale)
