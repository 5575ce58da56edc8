"""The words of a contract on an invoice or statement, in the document's language.

The rule notes of volume discounts and a commitment (true-up, carry-over, expiry), the
carry-over and prepaid-credit line descriptions and the prepaid credit's totals rows: the
close writes them in the customer's (or team's) language from these templates, so the PDF,
the JSON twin and Stripe read the same words, as `invoices.labels` does for the rest.
Amounts, counts, rates and dates are filled in already formatted for the locale (babel);
counted nouns come from `invoices.plurals`. Every language has every template, with the
same fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from invoices.labels import language


@dataclass(frozen=True)
class ContractLabels:
    """Every contract template, in one language."""

    card: str
    band: str
    volume_note: str
    commitment_note: str
    trued_up: str
    carries_over: str
    expires: str
    carry_over_used: str
    carry_over_line: str
    carry_over_expired: str
    late_note: str
    late_carry_over: str
    late_carry_over_note: str
    prepaid_line: str
    prepaid_note: str
    prepaid_left: str
    prepaid_applied: str
    invoice_total: str
    amount_due: str


ENGLISH = ContractLabels(
    card="card {card}@{version}",
    band="{rate} above {tokens}",
    volume_note="Volume discount, {tier} tier ({card}): {bands}; {tokens} this period, "
                "{amount} of token lines.",
    commitment_note="Commitment ({card}): {monthly} a month at a {rate} discount; usage {base}, "
                    "less {rate} = {after}",
    trued_up=", trued up by {true_up} to the commitment",
    carries_over="; the unused {amount} carries over as credit for usage above the commitment "
                 "for the next {months}",
    expires="; the unused {amount} expires (not carried over)",
    carry_over_used="; {used} of the {carried} carried over from earlier months' unused "
                    "commitment pays usage above the commitment, {left} left",
    carry_over_line="Commitment carry-over used",
    carry_over_expired="Unused commitment of {origin} carried over: {left} of {amount} expired "
                       "unused on {date}.",
    late_note="Late usage of {period} ({amount}) is billed with {period}'s contract: {notes}",
    late_carry_over="{period} usage: paid from its carried-over commitment",
    late_carry_over_note="Late usage of {period} lowers its unused commitment from {was} to "
                         "{now}: the carry-over granted at its close stays as granted, and "
                         "{change} of it pays this late usage, on its own line.",
    prepaid_line="Prepaid credit #{grant} (expires {date})",
    prepaid_note="Prepaid credit: {used} applied to this invoice's total after tax; remaining "
                 "balance {remaining}{grants}.",
    prepaid_left="#{grant}: {amount} until {date}",
    prepaid_applied="Prepaid credit applied",
    invoice_total="Invoice total ({currency})",
    amount_due="Amount due ({currency})",
)

GERMAN = ContractLabels(
    card="Preisliste {card}@{version}",
    band="{rate} ab {tokens}",
    volume_note="Mengenrabatt, Stufe {tier} ({card}): {bands}; {tokens} in diesem Zeitraum, "
                "{amount} aus Token-Positionen.",
    commitment_note="Mindestabnahme ({card}): {monthly} monatlich mit {rate} Rabatt; Nutzung "
                    "{base}, abzüglich {rate} = {after}",
    trued_up=", auf die Mindestabnahme um {true_up} ausgeglichen",
    carries_over="; die nicht genutzten {amount} werden als Guthaben für Nutzung über der "
                 "Mindestabnahme für {months} danach übertragen",
    expires="; die nicht genutzten {amount} verfallen (keine Übertragung)",
    carry_over_used="; {used} der {carried} aus nicht genutzter Mindestabnahme früherer "
                    "Monate begleichen Nutzung über der Mindestabnahme, {left} verbleiben",
    carry_over_line="Übertrag aus Mindestabnahme verwendet",
    carry_over_expired="Übertrag der nicht genutzten Mindestabnahme {origin}: {left} von "
                       "{amount} am {date} ungenutzt verfallen.",
    late_note="Nachgemeldete Nutzung {period} ({amount}) wird nach dem Vertrag von {period} "
              "berechnet: {notes}",
    late_carry_over="Nutzung {period}: aus Übertrag der Mindestabnahme bezahlt",
    late_carry_over_note="Nachgemeldete Nutzung {period} senkt die nicht genutzte "
                         "Mindestabnahme von {was} auf {now}: der beim Abschluss gewährte "
                         "Übertrag bleibt wie gewährt, {change} daraus begleichen diese "
                         "nachgemeldete Nutzung, als eigene Position.",
    prepaid_line="Vorauszahlungsguthaben #{grant} (gültig bis {date})",
    prepaid_note="Vorauszahlungsguthaben: {used} auf den Rechnungsbetrag nach Steuern "
                 "angerechnet; Restguthaben {remaining}{grants}.",
    prepaid_left="#{grant}: {amount} bis {date}",
    prepaid_applied="Angerechnetes Vorauszahlungsguthaben",
    invoice_total="Rechnungsbetrag ({currency})",
    amount_due="Zahlbetrag ({currency})",
)

FRENCH = ContractLabels(
    card="grille {card}@{version}",
    band="{rate} au-delà de {tokens}",
    volume_note="Remise sur volume, niveau {tier} ({card}) : {bands} ; {tokens} sur la "
                "période, {amount} de lignes de jetons.",
    commitment_note="Engagement ({card}) : {monthly} par mois avec une remise de {rate} ; "
                    "usage {base}, moins {rate} = {after}",
    trued_up=", complété de {true_up} jusqu'au minimum d'engagement",
    carries_over=" ; les {amount} non utilisés sont reportés en avoir pour l'usage au-delà "
                 "de l'engagement pendant {months}",
    expires=" ; les {amount} non utilisés sont perdus (sans report)",
    carry_over_used=" ; {used} des {carried} reportés de l'engagement non utilisé des mois "
                    "précédents règlent l'usage au-delà de l'engagement, reste {left}",
    carry_over_line="Report d'engagement utilisé",
    carry_over_expired="Engagement non utilisé de {origin} reporté : {left} sur {amount} "
                       "perdus sans utilisation le {date}.",
    late_note="L'usage de {period} transmis en retard ({amount}) est facturé selon le contrat "
              "de {period} : {notes}",
    late_carry_over="Usage de {period} : réglé par le report d'engagement",
    late_carry_over_note="L'usage de {period} transmis en retard réduit son engagement non "
                         "utilisé de {was} à {now} : le report accordé à la clôture reste tel "
                         "qu'accordé, et {change} de ce report règlent cet usage, sur une "
                         "ligne à part.",
    prepaid_line="Avoir prépayé n° {grant} (valable jusqu'au {date})",
    prepaid_note="Avoir prépayé : {used} imputés sur le total TTC de cette facture ; solde "
                 "restant {remaining}{grants}.",
    prepaid_left="n° {grant} : {amount} jusqu'au {date}",
    prepaid_applied="Avoir prépayé imputé",
    invoice_total="Total TTC ({currency})",
    amount_due="Net à payer ({currency})",
)

CATALOGUE = {"en": ENGLISH, "de": GERMAN, "fr": FRENCH}


def contract_labels(locale: str) -> ContractLabels:
    """The contract templates for a document in `locale`: its language's, else English."""
    return CATALOGUE.get(language(locale), ENGLISH)


__all__ = ["CATALOGUE", "ENGLISH", "FRENCH", "GERMAN", "ContractLabels", "contract_labels"]
