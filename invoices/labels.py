"""The words a document prints around its data, in the document's language: a label catalogue.

Numbers and dates follow the document's locale through babel; the labels follow its language
(`de_CH` and `de_DE` read German, `fr_CA` French). English, German and French are catalogued;
any other language reads English, since the fonts draw no CJK glyphs. Text that comes with the
data (reasons, notes, names) is printed as given; the engine writes a line's description, a
statement's rule and change bullets in the document's language with the templates below, so
the PDF, the JSON twin and Stripe read the same words. A template field such as
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
    project: str
    # invoice line descriptions and units (filled in the customer's language at the close)
    line_tokens: str
    line_requests: str
    line_reported: str
    late_usage: str
    token_input: str
    token_output: str
    token_cached: str
    token_cache_write: str
    web_searches: str
    unit_k_searches: str
    volume_discount: str
    committed_discount: str
    commitment_true_up: str
    late_contract: str
    late_discounts: str
    late_true_up: str
    credit_against: str
    unit_m_tokens: str
    unit_requests: str
    unit_reported: str
    unit_credit: str
    online_payment: str
    payment_notice: str
    payment_notice_note: str
    # statement: environments, recommendation rules, change bullets
    env_production: str
    env_staging: str
    env_development: str
    env_test: str
    rule_stop: str
    rule_over: str
    rule_pass_rate: str
    rule_non_production: str
    rule_unpriced: str
    rule_unpriced_gap: str
    rule_no_budget: str
    rule_within: str
    change_card: str
    change_model: str
    change_first: str
    change_unpriced: str
    change_unlisted_env: str
    env_class_production: str
    env_class_non_production: str
    prior_period_use_case: str
    overhead_accrued: str
    overhead_converted: str
    overhead_by: str
    overhead_unpriced: str
    driver_spend: str
    driver_tokens: str
    driver_requests: str
    driver_even: str
    driver_shares: str
    driver_unit_tokens: str
    driver_unit_requests: str
    driver_unit_teams: str
    driver_unit_weight: str

    def action(self, name: str) -> str:
        """The word for a recommendation's action: approve, adjust or stop."""
        return {"approve": self.approve, "adjust": self.adjust, "stop": self.stop}[name]

    def environment_name(self, name: str) -> str:
        """A standard environment's name in this language; any other is printed as given."""
        return {"production": self.env_production, "staging": self.env_staging,
                "development": self.env_development, "test": self.env_test}.get(name, name)

    def driver_name(self, driver: str) -> str:
        """An overhead pool's driver (spend, tokens, requests, even, shares) in this language."""
        return {"spend": self.driver_spend, "tokens": self.driver_tokens,
                "requests": self.driver_requests, "even": self.driver_even,
                "shares": self.driver_shares}.get(driver, driver)

    def unit_name(self, unit: str) -> str:
        """A line's unit as printed; a unit the engine does not know is printed as given."""
        return {"M tokens": self.unit_m_tokens, "requests": self.unit_requests,
                "reported": self.unit_reported, "credit": self.unit_credit,
                "k searches": self.unit_k_searches}.get(unit, unit)

    def token_kind(self, kind: str) -> str:
        """input, output, cached input or cache write, as a line description names it."""
        return {"input": self.token_input, "output": self.token_output,
                "cached input": self.token_cached,
                "cache write": self.token_cache_write}[kind]


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
    project="Project",
    line_tokens="{model} ({tier} tier, card {card_version}) {kind}",
    line_requests="{model} ({tier} tier, card {card_version}) requests",
    line_reported="{model} ({tier} tier, card {card_version}) cost as reported by the source",
    late_usage="{period} usage: {description}",
    token_input="input", token_output="output", token_cached="cached input",
    token_cache_write="cache write", web_searches="web searches",
    unit_k_searches="k searches",
    volume_discount="Volume discount, {tier} tier",
    committed_discount="Committed-use discount {rate}",
    commitment_true_up="Commitment true-up",
    late_contract="{period} usage: contract {terms} with its late usage",
    late_discounts="discounts", late_true_up="commitment true-up",
    credit_against="Credit against {invoice}: {reason}",
    unit_m_tokens="M tokens", unit_requests="requests", unit_reported="reported",
    unit_credit="credit", online_payment="Pay online: {url}",
    payment_notice="Payment notice",
    payment_notice_note="Invoice {invoice} of {date} is unchanged; this notice adds where to "
                        "pay it online.",
    env_production="production", env_staging="staging", env_development="development",
    env_test="test",
    rule_stop="usage is {over} over budget (more than {limit}): stop or re-approve before next "
              "month",
    rule_over="usage is {over} over budget: raise the budget or cut usage",
    rule_pass_rate="use case {use_case} accepts only {rate} of its outcomes (under {limit}): "
                   "review its model and prompt",
    rule_non_production="non-production is {share} of spend (over {limit}): check test and "
                        "staging traffic",
    rule_unpriced="{requests} used models no card prices: add them to the rate card",
    rule_unpriced_gap="; {requests} used models no card prices, a rate-card gap for "
                      "the card's owners to close, not this team's",
    rule_no_budget="no budget is set for this period; spend has no flag raised",
    rule_within="within budget, no flag raised",
    change_card="new card version {version} in force", change_model="new model {model}",
    change_first="first period with rated usage for this team",
    change_unpriced="{requests} on unpriced models (not in the total)",
    change_unlisted_env="environment {environment} is not listed in the parties policy: shown "
                        "as {default} (its default)",
    env_class_production="production", env_class_non_production="non-production",
    prior_period_use_case="{use_case} (prior period {period})",
    overhead_accrued=" accrued for {days} of {period_days} days",
    overhead_converted=" at {rate} = {amount} {currency}",
    overhead_by="split by {driver}: {team} of {all}{unit}",
    overhead_unpriced=" (counts unpriced usage the lines leave out)",
    driver_spend="spend", driver_tokens="tokens", driver_requests="requests", driver_even="even",
    driver_shares="shares", driver_unit_tokens=" tokens", driver_unit_requests=" requests",
    driver_unit_teams=" teams", driver_unit_weight=" weight",
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
    not_billed_total="Summe nicht berechnet", project="Projekt",
    line_tokens="{model} ({tier}, Preisliste {card_version}): {kind}",
    line_requests="{model} ({tier}, Preisliste {card_version}): Anfragen",
    line_reported="{model} ({tier}, Preisliste {card_version}): Kosten laut Quelle",
    late_usage="Nutzung {period}: {description}",
    token_input="Eingabe-Tokens", token_output="Ausgabe-Tokens",
    token_cached="Cache-Lese-Tokens", token_cache_write="Cache-Schreib-Tokens",
    web_searches="Websuchen", unit_k_searches="Tsd. Suchen",
    volume_discount="Mengenrabatt, Stufe {tier}",
    committed_discount="Rabatt für Mindestabnahme {rate}",
    commitment_true_up="Ausgleich auf Mindestabnahme",
    late_contract="Nutzung {period}: {terms} mit nachgemeldeter Nutzung",
    late_discounts="Vertragsrabatte", late_true_up="Ausgleich auf Mindestabnahme",
    credit_against="Gutschrift zu {invoice}: {reason}",
    unit_m_tokens="Mio. Tokens", unit_requests="Anfragen", unit_reported="gemeldet",
    unit_credit="Gutschrift", online_payment="Online bezahlen: {url}",
    payment_notice="Zahlungshinweis",
    payment_notice_note="Die Rechnung {invoice} vom {date} bleibt unverändert; dieser Hinweis "
                        "nennt, wo sie online bezahlt werden kann.",
    env_production="Produktion", env_staging="Staging", env_development="Entwicklung",
    env_test="Test",
    rule_stop="Nutzung liegt {over} über Budget (mehr als {limit}): vor dem nächsten Monat "
              "stoppen oder neu genehmigen",
    rule_over="Nutzung liegt {over} über Budget: Budget erhöhen oder Nutzung senken",
    rule_pass_rate="Anwendungsfall {use_case} nimmt nur {rate} seiner Ergebnisse an (unter "
                   "{limit}): Modell und Prompt prüfen",
    rule_non_production="Nicht-produktive Nutzung macht {share} der Ausgaben aus (über "
                        "{limit}): Test- und Staging-Verkehr prüfen",
    rule_unpriced="{requests} an Modelle ohne Preis in einer Preisliste: in die "
                  "Preisliste aufnehmen",
    rule_unpriced_gap="; {requests} an Modelle ohne Preis in der Preisliste: eine "
                      "Lücke der Preisliste, nicht dieses Teams",
    rule_no_budget="für diesen Zeitraum ist kein Budget festgelegt; keine Auffälligkeit",
    rule_within="im Budget, keine Auffälligkeit",
    change_card="neue Preislistenversion {version} in Kraft", change_model="neues Modell {model}",
    change_first="erster Zeitraum mit bewerteter Nutzung für dieses Team",
    change_unpriced="{requests} an Modelle ohne Preis (nicht im Gesamtbetrag)",
    change_unlisted_env="Umgebung {environment} ist in der Parteien-Richtlinie nicht "
                        "aufgeführt: als {default} ausgewiesen (Standard)",
    env_class_production="produktiv", env_class_non_production="nicht produktiv",
    prior_period_use_case="{use_case} (Vorperiode {period})",
    overhead_accrued=", abgegrenzt für {days} von {period_days} Tagen",
    overhead_converted=" zum Kurs {rate} = {amount} {currency}",
    overhead_by="verteilt nach Schlüssel {driver}: {team} von {all}{unit}",
    overhead_unpriced=" (zählt Nutzung ohne Preis mit, die in den Positionen fehlt)",
    driver_spend="Ausgaben", driver_tokens="Tokens", driver_requests="Anfragen",
    driver_even="gleich verteilt", driver_shares="feste Anteile", driver_unit_tokens=" Tokens",
    driver_unit_requests=" Anfragen", driver_unit_teams=" Teams",
    driver_unit_weight=" Gewichtung",
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
    not_billed_total="Total non facturé", project="Projet",
    line_tokens="{model} ({tier}, grille {card_version}) : {kind}",
    line_requests="{model} ({tier}, grille {card_version}) : requêtes",
    line_reported="{model} ({tier}, grille {card_version}) : coût déclaré par la source",
    late_usage="Usage de {period} : {description}",
    token_input="jetons d'entrée", token_output="jetons de sortie",
    token_cached="jetons d'entrée en cache", token_cache_write="jetons d'écriture en cache",
    web_searches="recherches web", unit_k_searches="milliers de recherches",
    volume_discount="Remise sur volume, niveau {tier}",
    committed_discount="Remise d'engagement {rate}",
    commitment_true_up="Complément au minimum d'engagement",
    late_contract="Usage de {period} : {terms} avec l'usage transmis en retard",
    late_discounts="remises contractuelles", late_true_up="complément au minimum d'engagement",
    credit_against="Avoir sur {invoice} : {reason}",
    unit_m_tokens="M jetons", unit_requests="requêtes", unit_reported="déclaré",
    unit_credit="avoir", online_payment="Paiement en ligne : {url}",
    payment_notice="Avis de paiement",
    payment_notice_note="La facture {invoice} du {date} reste inchangée ; cet avis indique où "
                        "la régler en ligne.",
    env_production="production", env_staging="pré-production", env_development="développement",
    env_test="test",
    rule_stop="l'usage dépasse le budget de {over} (plus de {limit}) : arrêter ou faire "
              "réapprouver avant le mois prochain",
    rule_over="l'usage dépasse le budget de {over} : relever le budget ou réduire l'usage",
    rule_pass_rate="le cas d'usage {use_case} n'accepte que {rate} de ses résultats (moins de "
                   "{limit}) : revoir son modèle et son prompt",
    rule_non_production="l'usage hors production représente {share} de la dépense (plus de "
                        "{limit}) : vérifier le trafic de test et de pré-production",
    rule_unpriced="{requests} vers des modèles sans prix dans une grille : les "
                  "ajouter à la grille tarifaire",
    rule_unpriced_gap=" ; {requests} vers des modèles sans prix dans la grille : une "
                      "lacune de la grille, pas de cette équipe",
    rule_no_budget="aucun budget n'est fixé pour la période ; aucune alerte",
    rule_within="dans le budget, aucune alerte",
    change_card="nouvelle version de grille {version} en vigueur",
    change_model="nouveau modèle {model}",
    change_first="première période avec un usage valorisé pour cette équipe",
    change_unpriced="{requests} vers des modèles sans prix (hors total)",
    change_unlisted_env="l'environnement {environment} n'est pas listé dans la politique des "
                        "parties : indiqué comme {default} (par défaut)",
    env_class_production="production", env_class_non_production="hors production",
    prior_period_use_case="{use_case} (période antérieure {period})",
    overhead_accrued=", provisionné pour {days} jours sur {period_days}",
    overhead_converted=" au taux de {rate} = {amount} {currency}",
    overhead_by="réparti selon la clé {driver} : {team} sur {all}{unit}",
    overhead_unpriced=" (compte l'usage sans prix absent des lignes)",
    driver_spend="dépense", driver_tokens="jetons", driver_requests="requêtes",
    driver_even="parts égales", driver_shares="parts fixes", driver_unit_tokens=" jetons",
    driver_unit_requests=" requêtes", driver_unit_teams=" équipes",
    driver_unit_weight=" de pondération",
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
