"""The recommendation's rule in the statement's language, with the language's percents and
counts: a German or French budget holder reads why, not only the verdict."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.close.recommendation import Facts, recommend


def _facts(**changes: object) -> Facts:
    base = {"usage": Decimal("100"), "budget": Decimal("100"), "non_production": Decimal(0),
            "worst_pass_rate": None, "unpriced_requests": 0}
    return Facts(**{**base, **changes})


@pytest.mark.parametrize(("facts", "locale", "action", "rule"), [
    (_facts(usage=Decimal("125")), "de_DE", "stop",
     "Nutzung liegt 25\u00a0% über Budget (mehr als 20\u00a0%): vor dem nächsten Monat "
     "stoppen oder neu genehmigen"),
    (_facts(usage=Decimal("112.5")), "fr_FR", "adjust",
     "l'usage dépasse le budget de 12,5\u00a0% : relever le budget ou réduire l'usage"),
    (_facts(usage=Decimal("112.5")), "en_US", "adjust",
     "usage is 12.5% over budget: raise the budget or cut usage"),
    # unpriced usage is a gap in the card, named but never the team's reason to adjust
    (_facts(unpriced_requests=1823), "de_DE", "approve",
     "im Budget, keine Auffälligkeit; 1.823 Anfragen an Modelle ohne Preis in der "
     "Preisliste: eine Lücke der Preisliste, nicht dieses Teams"),
    (_facts(unpriced_requests=1823), "fr_FR", "approve",
     "dans le budget, aucune alerte ; 1\u202f823 requêtes vers des modèles sans prix dans la "
     "grille : une lacune de la grille, pas de cette équipe"),
    # a count takes its language's plural form: one request is "1 Anfrage", not "1 Anfragen"
    (_facts(unpriced_requests=1), "de_DE", "approve",
     "im Budget, keine Auffälligkeit; 1 Anfrage an Modelle ohne Preis in der "
     "Preisliste: eine Lücke der Preisliste, nicht dieses Teams"),
    (_facts(unpriced_requests=1), "en_US", "approve",
     "within budget, no flag raised; 1 request used models no card prices, a rate-card gap "
     "for the card's owners to close, not this team's"),
    (_facts(unpriced_requests=1), "fr_FR", "approve",
     "dans le budget, aucune alerte ; 1 requête vers des modèles sans prix dans la "
     "grille : une lacune de la grille, pas de cette équipe"),
    (_facts(worst_pass_rate=("triage", Decimal("0.4"))), "de_DE", "adjust",
     "Anwendungsfall triage nimmt nur 40\u00a0% seiner Ergebnisse an (unter 50\u00a0%): "
     "Modell und Prompt prüfen"),
    (_facts(budget=None), "fr_FR", "approve",
     "aucun budget n'est fixé pour la période ; aucune alerte"),
    (_facts(), "de_DE", "approve", "im Budget, keine Auffälligkeit"),
])
def test_the_rule_reads_in_the_statements_language(facts, locale, action, rule):
    assert recommend(facts, locale) == (action, rule)
