"""The words a document prints around its data, in the document's language: a label catalogue.

Numbers and dates follow the document's locale through babel; the labels follow its language
(`de_CH` and `de_DE` read German, `fr_CA` French). English, German and French are catalogued;
any other language reads English, since the fonts draw no CJK glyphs. Text that comes with the
data (line descriptions, reasons, rules, notes) is printed as given. A template field such as
``{currency}`` is filled with `str.format`; every language has every label, with the same fields.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Labels:
    """Every label the invoice, credit note and showback statement print, in one language."""

    # page frame
    page_of: str
    continued: str
    tax_id: str
    currency: str
    amount: str
    # invoice
    invoice: str
    invoice_no: str
    service_period: str
    invoice_date: str
    due_date: str
    amount_due: str
    due_on: str
    bill_to: str
    description: str
    quantity: str
    unit: str
    unit_price: str
    line_amount: str
    prior_period: str
    prior_period_dated: str
    total_of_lines: str
    subtotal: str
    tax_default: str
    total_due: str
    invoice_note: str
    card_versions: str
    no_card_versions: str
    policy_versions: str
    invoice_subject: str
    purchase_order: str
    your_reference: str
    payment_details: str
    bank: str
    account_name: str
    account_number: str
    routing_number: str
    # credit note
    credit_note: str
    credit_note_no: str
    credits_invoice: str
    issue_date: str
    total_credit: str
    credit_to: str
    reason: str
    subtotal_credited: str
    total_credit_in: str
    credit_note_note: str
    credit_note_running: str
    credit_note_subject: str
    # running table
    brought_forward: str
    page_subtotal: str
    carried_forward: str
    # showback statement
    statement: str
    statement_no: str
    team: str
    period: str
    generated: str
    statement_note: str
    summary: str
    production_usage: str
    non_production_usage: str
    charged_overhead: str
    total: str
    budget: str
    variance: str
    last_month: str
    change: str
    of_volume: str
    of_unit_cost: str
    of_other: str
    recommendation: str
    rule: str
    approve: str
    adjust: str
    stop: str
    non_production_heading: str
    no_production: str
    no_non_production: str
    use_case: str
    unattributed: str
    environment: str
    model: str
    tier: str
    requests: str
    input_tokens: str
    output_tokens: str
    cached_tokens: str
    subtotal_production: str
    subtotal_non_production: str
    overhead_pools: str
    pool: str
    driver: str
    treatment: str
    charged: str
    central: str
    charged_overhead_total: str
    central_overhead_total: str
    outcomes: str
    accepted: str
    outcome_count: str
    pass_rate: str
    cost: str
    cost_per_accepted: str
    no_accepted_outcomes: str
    changes: str
    usage_total: str
    contract_terms: str
    contract_total: str
    total_in: str
    statement_subject: str
    variance_total: str
    over_budget: str
    under_budget: str
    on_budget: str
    outcome_definition: str
    overhead_how: str
    # ownership, use cases, environments, usage not billed
    owner: str
    not_defined: str
    raci: str
    use_cases: str
    outcome: str
    acceptance_rule: str
    guardrail: str
    production_environments: str
    not_billed: str
    not_billed_note: str
    tokens: str
    value_not_billed: str
    not_billed_total: str

    def action(self, name: str) -> str:
        """The word for a recommendation's action: approve, adjust or stop."""
        return {"approve": self.approve, "adjust": self.adjust, "stop": self.stop}[name]


ENGLISH = Labels(
    page_of="Page {page} of {count}", continued="(continued)", tax_id="Tax ID: {tax_id}",
    currency="Currency", amount="Amount",
    invoice="Invoice", invoice_no="Invoice no.", service_period="Service period",
    purchase_order="PO number", your_reference="Your reference",
    payment_details="Payment details", bank="Bank", account_name="Account name",
    account_number="Account no.", routing_number="Routing no.",
    invoice_date="Issue date", due_date="Due date", amount_due="Amount due", due_on="due {date}",
    bill_to="Bill to", description="Description", quantity="Quantity", unit="Unit",
    unit_price="Unit price", line_amount="Amount", prior_period="Prior period: {description}",
    prior_period_dated="Prior period ({period}): {description}", total_of_lines="Total of lines",
    subtotal="Subtotal", tax_default="Tax", total_due="Total due ({currency})",
    invoice_note="Quantities are million tokens unless the unit says otherwise; unit prices are "
                 "per unit. Each line is rounded half-up to the currency's minor unit; tax is "
                 "computed once on the subtotal.",
    card_versions="Rate card versions: {versions}", no_card_versions="none",
    policy_versions="Policy versions: {versions}",
    invoice_subject="Invoice to {party}, {period}",
    credit_note="Credit note", credit_note_no="Credit note no.",
    credits_invoice="Credits invoice", issue_date="Issue date", total_credit="Total credit",
    credit_to="Credit to", reason="Reason: {reason}", subtotal_credited="Subtotal credited",
    total_credit_in="Total credit ({currency})",
    credit_note_note="This credit note reduces the amount due on invoice {invoice} by "
                     "{amount}. Amounts shown are credits to the customer.",
    credit_note_running="for invoice {invoice}",
    credit_note_subject="Credit note to {party} for {invoice}",
    brought_forward="Brought forward", page_subtotal="Page subtotal",
    carried_forward="Carried forward",
    statement="Showback statement", statement_no="Statement no.", team="Team", period="Period",
    generated="Generated",
    statement_note="Showback: what the team's AI use cost the company this period. No money "
                   "moves. Each line is rounded half-up to the currency's minor unit; totals "
                   "are sums of the rounded lines.",
    summary="Summary", production_usage="Production usage",
    non_production_usage="Non-production usage", charged_overhead="Charged overhead",
    total="Total", budget="Budget", variance="Usage vs budget",
    last_month="Last month", change="Change vs last month", of_volume="  of which volume",
    of_unit_cost="  of which unit cost", of_other="  of which other",
    recommendation="Recommendation: {action}", rule="Rule: {rule}", approve="Approve",
    adjust="Adjust", stop="Stop",
    non_production_heading="Non-production usage",
    no_production="No production usage in this period.",
    no_non_production="No non-production usage in this period.",
    use_case="Use case", unattributed="unattributed", environment="Environment", model="Model",
    tier="Tier", requests="Requests", input_tokens="Input\ntokens", output_tokens="Output\ntokens",
    cached_tokens="Cached\ntokens", subtotal_production="Subtotal production",
    subtotal_non_production="Subtotal non-production", overhead_pools="Overhead pools",
    pool="Pool", driver="Driver", treatment="Treatment", charged="charged (in total)",
    central="central (not charged)", charged_overhead_total="Charged overhead (added to total)",
    central_overhead_total="Central overhead (shown, not charged)", outcomes="Outcomes",
    accepted="Accepted", outcome_count="Outcomes", pass_rate="Pass rate", cost="Cost",
    cost_per_accepted="Cost per accepted", no_accepted_outcomes="no accepted outcomes",
    changes="Changes in the period", usage_total="Usage total", contract_terms="Contract terms",
    contract_total="Contract terms (discounts, true-up)", total_in="Total ({currency})",
    statement_subject="Showback for team {team}, {period}",
    variance_total="Total vs budget", over_budget="over budget",
    under_budget="under budget", on_budget="on budget",
    outcome_definition="Cost per accepted outcome = the use case's usage on this statement plus "
                       "its share of the team's charged overhead (each pool's share split over "
                       "the use cases by that pool's driver; spend for even and fixed-share "
                       "pools), divided by the accepted outcomes of this team's use case.",
    overhead_how="How each share was derived",
    owner="Owner", not_defined="not defined",
    raci="Responsible: {responsible} · Accountable: {accountable} · Consulted: {consulted} · "
         "Informed: {informed}",
    use_cases="Use cases", outcome="Outcome", acceptance_rule="Acceptance rule",
    guardrail="Guardrail metric",
    production_environments="Production environments: {environments}; every other environment "
                            "is non-production (parties policy).",
    not_billed="Usage not billed",
    not_billed_note="Usage outside what the agreement bills: listed for reference, not "
                    "included in the total.",
    tokens="Tokens", value_not_billed="Value (not billed)", not_billed_total="Total not billed",
)

GERMAN = Labels(
    page_of="Seite {page} von {count}", continued="(Fortsetzung)",
    tax_id="USt-IdNr.: {tax_id}", currency="Währung", amount="Betrag",
    invoice="Rechnung", invoice_no="Rechnungsnr.", service_period="Leistungszeitraum",
    invoice_date="Rechnungsdatum", due_date="Fällig am", amount_due="Zahlbetrag",
    purchase_order="Bestellnummer", your_reference="Ihre Referenz",
    payment_details="Bankverbindung", bank="Bank", account_name="Kontoinhaber",
    account_number="Kontonr.", routing_number="Bankleitzahl",
    due_on="fällig am {date}", bill_to="Rechnungsempfänger", description="Beschreibung",
    quantity="Menge", unit="Einheit", unit_price="Einzelpreis", line_amount="Betrag",
    prior_period="Vorperiode: {description}",
    prior_period_dated="Vorperiode ({period}): {description}",
    total_of_lines="Summe der Positionen", subtotal="Zwischensumme", tax_default="USt.",
    total_due="Gesamtbetrag ({currency})",
    invoice_note="Mengen in Millionen Tokens, sofern die Einheit nichts anderes angibt; "
                 "Einzelpreise gelten je Einheit. Jede Position ist kaufmännisch auf die "
                 "kleinste Währungseinheit gerundet; die Steuer wird einmal auf die "
                 "Zwischensumme berechnet.",
    card_versions="Preislistenversionen: {versions}", no_card_versions="keine",
    policy_versions="Richtlinienversionen: {versions}",
    invoice_subject="Rechnung an {party}, {period}",
    credit_note="Rechnungskorrektur", credit_note_no="Korrekturnr.",
    credits_invoice="Ursprungsrechnung", issue_date="Ausstellungsdatum",
    total_credit="Gutschriftsbetrag", credit_to="Empfänger", reason="Grund: {reason}",
    subtotal_credited="Zwischensumme Gutschrift", total_credit_in="Gutschrift ({currency})",
    credit_note_note="Diese Rechnungskorrektur mindert den Zahlbetrag der Rechnung {invoice} "
                     "um {amount}. Die ausgewiesenen Beträge werden dem Kunden gutgeschrieben.",
    credit_note_running="zu Rechnung {invoice}",
    credit_note_subject="Rechnungskorrektur an {party} zu {invoice}",
    brought_forward="Übertrag von Vorseite", page_subtotal="Zwischensumme Seite",
    carried_forward="Übertrag auf Folgeseite",
    statement="Showback-Bericht", statement_no="Berichtsnr.", team="Team", period="Zeitraum",
    generated="Erstellt am",
    statement_note="Showback: was die KI-Nutzung des Teams das Unternehmen in diesem Zeitraum "
                   "gekostet hat. Es fließt kein Geld. Jede Position ist kaufmännisch auf die "
                   "kleinste Währungseinheit gerundet; Summen addieren die gerundeten "
                   "Positionen.",
    summary="Übersicht", production_usage="Produktivnutzung",
    non_production_usage="Nicht-produktive Nutzung", charged_overhead="Verrechnete Gemeinkosten",
    total="Gesamt", budget="Budget", variance="Nutzung ggü. Budget",
    last_month="Vormonat", change="Veränderung zum Vormonat", of_volume="  davon Menge",
    of_unit_cost="  davon Stückkosten", of_other="  davon Sonstiges",
    recommendation="Empfehlung: {action}", rule="Regel: {rule}", approve="Genehmigen",
    adjust="Anpassen", stop="Stoppen",
    non_production_heading="Nicht-produktive Nutzung",
    no_production="Keine Produktivnutzung in diesem Zeitraum.",
    no_non_production="Keine nicht-produktive Nutzung in diesem Zeitraum.",
    use_case="Anwendungsfall", unattributed="nicht zugeordnet", environment="Umgebung",
    model="Modell", tier="Stufe", requests="Anfragen", input_tokens="Eingabe-\nTokens",
    output_tokens="Ausgabe-\nTokens", cached_tokens="Cache-\nTokens",
    subtotal_production="Zwischensumme Produktion",
    subtotal_non_production="Zwischensumme Nicht-Produktion", overhead_pools="Gemeinkostenpools",
    pool="Pool", driver="Schlüssel", treatment="Behandlung", charged="verrechnet (im Gesamt)",
    central="zentral (nicht verrechnet)",
    charged_overhead_total="Verrechnete Gemeinkosten (im Gesamt enthalten)",
    central_overhead_total="Zentrale Gemeinkosten (ausgewiesen, nicht verrechnet)",
    outcomes="Ergebnisse", accepted="Akzeptiert", outcome_count="Gesamt",
    pass_rate="Quote", cost="Kosten", cost_per_accepted="Kosten je Annahme",
    no_accepted_outcomes="keine Annahmen", changes="Änderungen im Zeitraum",
    usage_total="Nutzung gesamt", contract_terms="Vertragskonditionen",
    contract_total="Vertragskonditionen (Rabatte, Ausgleich)", total_in="Gesamt ({currency})",
    statement_subject="Showback für Team {team}, {period}",
    variance_total="Gesamt ggü. Budget", over_budget="über Budget",
    under_budget="unter Budget", on_budget="im Budget",
    outcome_definition="Kosten je angenommenem Ergebnis = Nutzung des Anwendungsfalls auf dieser "
                       "Abrechnung plus sein Anteil an den belasteten Gemeinkosten des Teams "
                       "(je Pool nach dessen Schlüssel aufgeteilt; bei gleichen oder festen "
                       "Anteilen nach Ausgaben), geteilt durch die angenommenen Ergebnisse des "
                       "Anwendungsfalls dieses Teams.",
    overhead_how="Herleitung der Anteile",
    owner="Verantwortlich", not_defined="nicht festgelegt",
    raci="Durchführung: {responsible} · Verantwortung: {accountable} · Beratung: {consulted} · "
         "Information: {informed}",
    use_cases="Anwendungsfälle", outcome="Ergebnis", acceptance_rule="Abnahmeregel",
    guardrail="Leitplanken-Kennzahl",
    production_environments="Produktive Umgebungen: {environments}; alle anderen Umgebungen "
                            "sind nicht produktiv (Parteien-Richtlinie).",
    not_billed="Nicht berechnete Nutzung",
    not_billed_note="Nutzung außerhalb des vertraglich Berechneten: zur Information aufgeführt, "
                    "nicht im Gesamtbetrag enthalten.",
    tokens="Anzahl Token", value_not_billed="Wert (nicht berechnet)",
    not_billed_total="Summe nicht berechnet",
)

FRENCH = Labels(
    page_of="Page {page} sur {count}", continued="(suite)", tax_id="N° TVA : {tax_id}",
    currency="Devise", amount="Montant",
    invoice="Facture", invoice_no="N° de facture", service_period="Période de prestation",
    invoice_date="Date d'émission", due_date="Échéance", amount_due="Montant à payer",
    purchase_order="N° de commande", your_reference="Votre référence",
    payment_details="Coordonnées bancaires", bank="Banque", account_name="Titulaire du compte",
    account_number="N° de compte", routing_number="Code banque",
    due_on="à régler avant le {date}", bill_to="Facturé à", description="Désignation",
    quantity="Quantité", unit="Unité", unit_price="Prix unit. HT", line_amount="Montant HT",
    prior_period="Période antérieure : {description}",
    prior_period_dated="Période antérieure ({period}) : {description}",
    total_of_lines="Total des lignes", subtotal="Sous-total HT", tax_default="TVA",
    total_due="Total TTC ({currency})",
    invoice_note="Les quantités sont en millions de jetons, sauf autre unité indiquée ; les "
                 "prix unitaires s'entendent par unité. Chaque ligne est arrondie au plus "
                 "proche (demi vers le haut) à l'unité monétaire minimale ; la taxe est "
                 "calculée une seule fois sur le sous-total.",
    card_versions="Versions des grilles tarifaires : {versions}", no_card_versions="aucune",
    policy_versions="Versions des politiques : {versions}",
    invoice_subject="Facture à {party}, {period}",
    credit_note="Avoir", credit_note_no="N° d'avoir", credits_invoice="Facture d'origine",
    issue_date="Date d'émission", total_credit="Total de l'avoir", credit_to="Au profit de",
    reason="Motif : {reason}", subtotal_credited="Sous-total HT crédité",
    total_credit_in="Total TTC crédité ({currency})",
    credit_note_note="Cet avoir réduit de {amount} le montant dû au titre de la facture "
                     "{invoice}. Les montants indiqués sont crédités au client.",
    credit_note_running="sur facture {invoice}",
    credit_note_subject="Avoir à {party} sur facture {invoice}",
    brought_forward="Report", page_subtotal="Sous-total de la page",
    carried_forward="À reporter",
    statement="Relevé showback", statement_no="N° de relevé", team="Équipe", period="Période",
    generated="Établi le",
    statement_note="Showback : ce que l'usage de l'IA par l'équipe a coûté à l'entreprise sur "
                   "la période. Aucun flux financier. Chaque ligne est arrondie au plus proche "
                   "(demi vers le haut) à l'unité monétaire minimale ; les totaux sont les "
                   "sommes des lignes arrondies.",
    summary="Synthèse", production_usage="Usage en production",
    non_production_usage="Usage hors production", charged_overhead="Frais généraux imputés",
    total="Total", budget="Budget", variance="Usage / budget",
    last_month="Mois précédent", change="Variation sur le mois précédent",
    of_volume="  dont volume", of_unit_cost="  dont coût unitaire", of_other="  dont autres",
    recommendation="Recommandation : {action}", rule="Règle : {rule}", approve="Approuver",
    adjust="Ajuster", stop="Arrêter",
    non_production_heading="Usage hors production",
    no_production="Aucun usage en production sur la période.",
    no_non_production="Aucun usage hors production sur la période.",
    use_case="Cas d'usage", unattributed="non attribué", environment="Environn.",
    model="Modèle", tier="Niv.", requests="Requêtes", input_tokens="Jetons\nd'entrée",
    output_tokens="Jetons\nde sortie", cached_tokens="Jetons\nen cache",
    subtotal_production="Sous-total production",
    subtotal_non_production="Sous-total hors production",
    overhead_pools="Pools de frais généraux", pool="Pool", driver="Clé de répartition",
    treatment="Traitement", charged="imputé (inclus au total)", central="central (non imputé)",
    charged_overhead_total="Frais généraux imputés (ajoutés au total)",
    central_overhead_total="Frais généraux centraux (indiqués, non imputés)",
    outcomes="Résultats", accepted="Acceptés", outcome_count="Résultats",
    pass_rate="% acceptés", cost="Coût", cost_per_accepted="Coût par accepté",
    no_accepted_outcomes="aucun résultat accepté", changes="Changements sur la période",
    usage_total="Total des usages", contract_terms="Conditions contractuelles",
    contract_total="Conditions contractuelles (remises, ajustement)", total_in="Total ({currency})",
    statement_subject="Showback de l'équipe {team}, {period}",
    variance_total="Total / budget", over_budget="au-dessus du budget",
    under_budget="sous le budget", on_budget="dans le budget",
    outcome_definition="Coût par résultat accepté = l'usage du cas d'usage sur ce relevé plus sa "
                       "part des frais généraux facturés à l'équipe (chaque pool réparti selon "
                       "sa clé ; selon la dépense pour les parts égales ou fixes), divisé par "
                       "les résultats acceptés de ce cas d'usage de l'équipe.",
    overhead_how="Calcul de chaque part",
    owner="Responsable", not_defined="non défini",
    raci="Réalise : {responsible} · Approuve : {accountable} · Consulté : {consulted} · "
         "Informé : {informed}",
    use_cases="Cas d'usage", outcome="Résultat", acceptance_rule="Règle d'acceptation",
    guardrail="Indicateur garde-fou",
    production_environments="Environnements de production : {environments} ; tout autre "
                            "environnement est hors production (politique des parties).",
    not_billed="Usage non facturé",
    not_billed_note="Usage hors du périmètre facturé par le contrat : indiqué pour information, "
                    "non inclus dans le total.",
    tokens="Jetons", value_not_billed="Valeur (non facturée)",
    not_billed_total="Total non facturé",
)

CATALOGUE = {"en": ENGLISH, "de": GERMAN, "fr": FRENCH}
KEYS = tuple(field.name for field in fields(Labels))


def language(locale: str) -> str:
    """The language part of a locale: ``de_CH`` -> ``de``, ``fr-CA`` -> ``fr``."""
    return locale.replace("-", "_").split("_")[0].lower()


def language_of(words: Labels) -> str:
    """The language a catalogue is in (English for any other)."""
    return next((name for name, found in CATALOGUE.items() if found is words), "en")


def labels(locale: str) -> Labels:
    """The labels for a document in locale: its language's, or English when not catalogued."""
    return CATALOGUE.get(language(locale), ENGLISH)


__all__ = ["CATALOGUE", "ENGLISH", "FRENCH", "GERMAN", "KEYS", "Labels", "labels", "language",
           "language_of"]
