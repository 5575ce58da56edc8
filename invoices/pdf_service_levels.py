"""The statement's "Service levels" section: per tier, p50/p95 latency, error and 429 rates
and availability against the tier's SLO. Statements only: invoices to external customers
never print it (their service levels are read over the API and settled by SLA credits)."""

from __future__ import annotations

from decimal import Decimal

from reportlab.platypus import Flowable, KeepTogether

from invoices.documents import ServiceLevel, ShowbackStatement
from invoices.formatting import format_integer, format_percent
from invoices.labels import Labels, language_of
from invoices.layout import grid, text

WORDS = {
    "en": {"heading": "Service levels", "tier": "Tier", "calls": "Calls", "errors": "Errors",
           "limited": "429s", "availability": "Availability", "slo": "SLO", "met": "met",
           "missed": "missed: {items}", "none": "-",
           "note": "p50/p95: nearest rank over answered calls; errors include timeouts; rates "
                   "over the calls that reported a status."},
    "de": {"heading": "Service-Level", "tier": "Stufe", "calls": "Aufrufe", "errors": "Fehler",
           "limited": "429", "availability": "Verfügbarkeit", "slo": "SLO", "met": "erfüllt",
           "missed": "verfehlt: {items}", "none": "-",
           "note": "p50/p95: Rangmethode über beantwortete Aufrufe; Fehler einschließlich "
                   "Zeitüberschreitungen; Quoten über Aufrufe mit gemeldetem Status."},
    "fr": {"heading": "Niveaux de service", "tier": "Niveau", "calls": "Appels",
           "errors": "Erreurs", "limited": "429", "availability": "Disponibilité",
           "slo": "SLO", "met": "respecté", "missed": "manqué : {items}", "none": "-",
           "note": "p50/p95 : rang le plus proche sur les appels servis ; erreurs y compris "
                   "les délais dépassés ; taux sur les appels ayant un statut."},
}
SHORT = {"p50_latency_ms": "p50 ≤ {} ms", "p95_latency_ms": "p95 ≤ {} ms",
         "availability": "≥ {}"}


def _rate(value: str | None, locale: str, none: str) -> str:
    return none if value is None else format_percent(Decimal(value), locale, digits=2)


def _slo(level: ServiceLevel) -> str:
    found = []
    for item in level.slo:
        name, _, target = item.partition(":")
        if name in SHORT:
            found.append(SHORT[name].format(target))
    return ", ".join(found)


def service_levels(statement: ShowbackStatement, words: Labels) -> list[Flowable]:
    if not statement.service_levels:
        return []
    said = WORDS.get(language_of(words), WORDS["en"])
    locale, none = statement.locale, said["none"]
    rows = [[said["tier"], said["calls"], "p50 ms", "p95 ms", said["errors"], said["limited"],
             said["availability"], said["slo"]]]
    for level in statement.service_levels:
        verdict = said["missed"].format(items=", ".join(level.breached)) if level.breached \
            else said["met"]
        rows.append([
            level.tier, format_integer(level.calls, locale),
            none if level.p50_latency_ms is None else format_integer(level.p50_latency_ms,
                                                                     locale),
            none if level.p95_latency_ms is None else format_integer(level.p95_latency_ms,
                                                                     locale),
            _rate(level.error_rate, locale, none), _rate(level.rate_limited_rate, locale, none),
            _rate(level.availability, locale, none), f"{_slo(level)}; {verdict}"])
    return [KeepTogether([text(said["heading"], "heading"),
                          grid(rows, [45, 45, 45, 45, 45, 40, 60, 190],
                               right=[1, 2, 3, 4, 5, 6]),
                          text(said["note"], "small")])]
