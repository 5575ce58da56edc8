"""What a tax id is called, by its type and the document's language.

A tax id is printed with the name of its kind, not of the document's language: a US issuer's
EIN is an EIN on a German invoice, never a "USt-IdNr.", and a German VAT id on an English one
is a "VAT no.". Types are Stripe's tax id types (`eu_vat`, `us_ein`, ...), as the parties
policy writes them (`eu_vat:DE123456789`); an id without a type gets the neutral name.
"""

from __future__ import annotations

NEUTRAL = ""
NAMES: dict[str, dict[str, str]] = {
    "en": {"eu_vat": "VAT no.", "gb_vat": "VAT no.", "ch_vat": "VAT no.", "us_ein": "EIN",
           "ca_bn": "BN", "au_abn": "ABN", "jp_trn": "Registration no.", NEUTRAL: "Tax ID"},
    "de": {"eu_vat": "USt-IdNr.", "gb_vat": "USt-IdNr.", "ch_vat": "MWST-Nr.", "us_ein": "EIN",
           "ca_bn": "BN", "au_abn": "ABN", "jp_trn": "Registrierungsnr.", NEUTRAL: "Steuernummer"},
    "fr": {"eu_vat": "N° TVA", "gb_vat": "N° TVA", "ch_vat": "N° TVA", "us_ein": "EIN",
           "ca_bn": "NE", "au_abn": "ABN", "jp_trn": "N° d'enregistrement",
           NEUTRAL: "Identifiant fiscal"},
}


def split_tax_id(text: str) -> tuple[str | None, str]:
    """`us_ein:12-3456789` -> ("us_ein", "12-3456789"); a bare id has no type."""
    kind, colon, value = text.partition(":")
    if colon and kind and kind.replace("_", "").isalpha() and kind.islower():
        return kind, value.strip()
    return None, text


def tax_id_text(kind: str | None, value: str, language: str) -> str:
    """The printed line: the id's name in the language, then the id (French spaces its colon)."""
    names = NAMES.get(language, NAMES["en"])
    name = names.get(kind or NEUTRAL, names[NEUTRAL])
    return f"{name} : {value}" if language == "fr" else f"{name}: {value}"
