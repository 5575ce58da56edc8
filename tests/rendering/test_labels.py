"""The label catalogue: every label in every language, with the same template fields."""

from __future__ import annotations

from decimal import Decimal
from string import Formatter

import pytest

from invoices.labels import CATALOGUE, ENGLISH, FRENCH, GERMAN, KEYS, labels, language
from invoices.pdf_invoice import tax_label


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name is not None}


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_label_exists_in_every_language_with_the_same_fields(code):
    words = CATALOGUE[code]
    for key in KEYS:
        value = getattr(words, key)
        assert isinstance(value, str) and value.strip(), f"{code}: {key} is empty"
        assert _fields(value) == _fields(getattr(ENGLISH, key)), f"{code}: {key} fields differ"
        assert value.count("\n") == getattr(ENGLISH, key).count("\n"), f"{code}: {key} lines"


@pytest.mark.parametrize("code", ["de", "fr"])
def test_translations_are_translations(code):
    words = CATALOGUE[code]
    same = {key for key in KEYS if getattr(words, key) == getattr(ENGLISH, key)}
    # words both languages share with English (Budget, Total, Team, Pool, Bank; French
    # production and test environments)
    assert same <= {"budget", "total", "team", "pool", "total_in", "central", "bank",
                    "env_production", "env_test", "env_class_production"}, same


@pytest.mark.parametrize(("locale", "expected"), [
    ("de_DE", GERMAN), ("de_CH", GERMAN), ("de_AT", GERMAN), ("de", GERMAN),
    ("fr_FR", FRENCH), ("fr-CA", FRENCH), ("fr_CH", FRENCH),
    ("en_US", ENGLISH), ("en_GB", ENGLISH), ("ja_JP", ENGLISH), ("it_IT", ENGLISH),
])
def test_the_language_part_of_the_locale_chooses_the_labels(locale, expected):
    assert labels(locale) is expected


def test_language_is_the_part_before_the_territory():
    assert language("de_CH") == "de" and language("fr-CA") == "fr" and language("EN_us") == "en"


def test_recommendation_actions_have_words_in_every_language():
    for words in CATALOGUE.values():
        assert {words.action(name) for name in ("approve", "adjust", "stop")} == {
            words.approve, words.adjust, words.stop}


def test_the_default_tax_label_is_translated_and_a_configured_one_is_kept():
    assert tax_label("Tax", Decimal("0.19"), "de_DE").startswith("USt. 19")
    assert tax_label("Tax", Decimal("0.2"), "fr_FR").startswith("TVA 20")
    assert tax_label("Tax", Decimal("0.1"), "ja_JP").startswith("Tax ")
    assert tax_label("VAT", Decimal("0.19"), "de_DE").startswith("VAT 19")
