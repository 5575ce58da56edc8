"""The words of a statement's KPI review page, in the statement's language.

Kept beside `invoices.labels` (the catalogue of every other label) so the review page can grow
without touching it; the same languages, the same fallback to English.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from invoices.labels import language


@dataclass(frozen=True)
class ReviewLabels:
    heading: str
    intro: str
    team_itself: str
    owner: str
    kpi: str
    value: str
    target: str
    status: str
    note: str
    no_kpis: str
    at_least: str
    at_most: str
    changes_heading: str
    changes_intro: str
    change: str
    shipped: str
    cost_per_call: str
    pass_rate: str
    cost_per_accepted: str
    no_changes: str
    points: str
    per_accepted: str
    against_baseline: str
    measured_window: str
    names: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)


ENGLISH = ReviewLabels(
    heading="KPI review",
    intro="Each KPI of the month against its target (the use case's kpi_targets, else the "
          "defaults): green on target, amber just past it, red beyond. The same figures as "
          "billing kpis and GET /v1/kpis.",
    team_itself="Team", owner="owner", kpi="KPI", value="Value", target="Target",
    status="Status", note="Note", no_kpis="No KPI could be computed for this period.",
    at_least="≥", at_most="≤",
    changes_heading="Promoted changes and their measured effect",
    changes_intro="Changes the evaluation gate promoted that shipped in this period or the one "
                  "before, measured from the ledger and outcomes: the days from shipping to "
                  "the end of this period against as many days just before. Their cost per "
                  "accepted outcome is usage only; the KPI above adds the overhead share.",
    change="Use case · change", shipped="Shipped", cost_per_call="Cost per call",
    pass_rate="Pass rate", cost_per_accepted="Usage cost per accepted outcome",
    no_changes="No promoted change shipped in this period or the one before.",
    points="pp", per_accepted="{cost} per accepted outcome",
    against_baseline="{candidate} against baseline {baseline}",
    measured_window="{change}: measured {after} against {before}.",
    names={"cost_per_outcome": "Cost per accepted outcome, change vs last month",
           "input_share": "Input share of token spend", "cache_hit_rate": "Cache hit rate",
           "eval_pass_rate_at_promotion": "Eval pass rate at promotion",
           "forecast_accuracy": "Forecast error (vs last close's forecast)",
           "budget_variance": "Budget variance",
           "attribution_coverage": "Attribution coverage"},
    statuses={"green": "green", "amber": "amber", "red": "red", "no data": "no data"},
)

GERMAN = ReviewLabels(
    heading="KPI-Review",
    intro="Jede Kennzahl des Monats gegen ihr Ziel (kpi_targets des Anwendungsfalls, sonst die "
          "Vorgaben): grün im Ziel, gelb knapp daneben, rot darüber hinaus. Dieselben Werte "
          "wie billing kpis und GET /v1/kpis.",
    team_itself="Team", owner="verantwortlich", kpi="Kennzahl", value="Wert", target="Ziel",
    status="Status", note="Hinweis", no_kpis="Für diese Periode ließ sich keine Kennzahl "
                                           "berechnen.",
    at_least="≥", at_most="≤",
    changes_heading="Freigegebene Änderungen und ihre gemessene Wirkung",
    changes_intro="Vom Evaluations-Gate freigegebene Änderungen, die in dieser oder der "
                  "vorigen Periode live gingen, gemessen aus Ledger und Ergebnissen: die Tage "
                  "ab Einführung bis Periodenende gegen ebenso viele Tage davor. Ihre Kosten je "
                  "akzeptiertem Ergebnis sind reine Nutzung; die KPI oben enthält den "
                  "Gemeinkostenanteil.",
    change="Anwendungsfall · Änderung", shipped="Live seit", cost_per_call="Kosten je Aufruf",
    pass_rate="Erfolgsquote", cost_per_accepted="Nutzungskosten je akzeptiertem Ergebnis",
    no_changes="Keine freigegebene Änderung ging in dieser oder der vorigen Periode live.",
    points="Pp.", per_accepted="{cost} je akzeptiertem Ergebnis",
    against_baseline="{candidate} gegen Ausgangsbasis {baseline}",
    measured_window="{change}: gemessen {after} gegen {before}.",
    names={"cost_per_outcome": "Kosten je akzeptiertem Ergebnis, Änderung zum Vormonat",
           "input_share": "Input-Anteil der Token-Kosten", "cache_hit_rate": "Cache-Trefferquote",
           "eval_pass_rate_at_promotion": "Evaluations-Erfolgsquote bei Freigabe",
           "forecast_accuracy": "Prognosefehler (zur Prognose des letzten Abschlusses)",
           "budget_variance": "Budgetabweichung",
           "attribution_coverage": "Zuordnungsabdeckung"},
    statuses={"green": "grün", "amber": "gelb", "red": "rot", "no data": "keine Daten"},
)

FRENCH = ReviewLabels(
    heading="Revue des KPI",
    intro="Chaque indicateur du mois face à sa cible (kpi_targets du cas d'usage, sinon les "
          "valeurs par défaut) : vert dans la cible, orange juste au-delà, rouge plus loin. "
          "Les mêmes chiffres que billing kpis et GET /v1/kpis.",
    team_itself="Équipe", owner="responsable", kpi="Indicateur", value="Valeur",
    target="Cible", status="Statut", note="Note",
    no_kpis="Aucun indicateur n'a pu être calculé pour cette période.",
    at_least="≥", at_most="≤",
    changes_heading="Changements promus et leur effet mesuré",
    changes_intro="Changements promus par la porte d'évaluation et déployés pendant cette "
                  "période ou la précédente, mesurés à partir du registre et des résultats : "
                  "les jours depuis le déploiement jusqu'à la fin de la période face à autant "
                  "de jours juste avant. Leur coût par résultat accepté est l'usage seul ; le KPI "
                  "ci-dessus ajoute la quote-part des frais généraux.",
    change="Cas d'usage · changement", shipped="Déployé le", cost_per_call="Coût par appel",
    pass_rate="Taux de réussite", cost_per_accepted="Coût d'usage par résultat accepté",
    no_changes="Aucun changement promu déployé pendant cette période ou la précédente.",
    points="pts", per_accepted="{cost} par résultat accepté",
    against_baseline="{candidate} face à la référence {baseline}",
    measured_window="{change} : mesuré du {after} face au {before}.",
    names={"cost_per_outcome": "Coût par résultat accepté, variation sur le mois précédent",
           "input_share": "Part des entrées dans le coût des jetons",
           "cache_hit_rate": "Taux de succès du cache",
           "eval_pass_rate_at_promotion": "Taux de réussite à l'évaluation lors de la promotion",
           "forecast_accuracy": "Erreur de prévision (face à la prévision de la dernière "
                                "clôture)",
           "budget_variance": "Écart au budget",
           "attribution_coverage": "Couverture d'attribution"},
    statuses={"green": "vert", "amber": "orange", "red": "rouge", "no data": "sans données"},
)

CATALOGUE = {"en": ENGLISH, "de": GERMAN, "fr": FRENCH}


def review_labels(locale: str) -> ReviewLabels:
    """The review page's words for a statement in `locale` (English when not catalogued)."""
    return CATALOGUE.get(language(locale), ENGLISH)
