"""Which tax an invoice charges, by where the issuer is registered and who the customer is.

The parties policy says where the issuer is established (`issuer.country`) and registered for
tax (`issuer.registrations`, a country -> typed tax id map), and where each customer is
(`country`), with its tax ids. Then, per invoice:

- **domestic**: the issuer is established or registered in the customer's country: the
  customer's `tax_rate` is charged, and the issuer's id for that country is printed;
- **reverse charge**: the issuer is not registered there and the customer is a business with
  a VAT id: no tax is charged; the customer accounts for it, and the invoice says so in the
  customer's language, with both parties' ids (EU: Article 196 of Directive 2006/112/EC);
- **outside scope**: neither: no tax is charged, and the invoice says the issuer is not
  registered in the customer's country (a close warning asks finance to look).

A parties policy without countries keeps the customer's `tax_rate` as declared, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from billing.parties import CustomerEntry, Issuer
from invoices.labels import language

VAT_ID_TYPES = ("eu_vat", "gb_vat", "ch_vat", "no_vat", "is_vat")
REVERSE_CHARGE = {
    "en": "Reverse charge: VAT is to be accounted for by the recipient (customer VAT no. "
          "{customer_id}){eu}.",
    "de": "Steuerschuldnerschaft des Leistungsempfängers (Reverse-Charge-Verfahren); "
          "USt-IdNr. des Leistungsempfängers: {customer_id}{eu}.",
    "fr": "Autoliquidation : TVA due par le preneur (N° TVA du client : {customer_id}){eu}.",
}
EU_ARTICLE = {"en": ", Article 196 of Council Directive 2006/112/EC",
              "de": " (Art. 196 MwStSystRL 2006/112/EG)",
              "fr": ", article 196 de la directive 2006/112/CE"}
OUTSIDE = {
    "en": "No tax charged: the issuer is not registered for tax in {country}.",
    "de": "Keine Umsatzsteuer berechnet: Der Rechnungssteller ist in {country} nicht "
          "steuerlich registriert.",
    "fr": "Aucune taxe facturée : l'émetteur n'est pas immatriculé à la TVA en {country}.",
}
REVERSE_LABEL = {"en": "VAT (reverse charge)", "de": "USt. (Reverse-Charge)",
                 "fr": "TVA (autoliquidation)"}
EU = frozenset((
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"))


@dataclass(frozen=True)
class TaxTreatment:
    kind: str  # declared | domestic | reverse_charge | outside_scope
    rate: Decimal
    label: str
    note: str | None = None
    issuer_tax_id: str | None = None
    """The issuer's typed id to print, when the country calls for another than `tax_id`."""


def treatment(issuer: Issuer, customer: CustomerEntry) -> TaxTreatment:
    """How `customer`'s invoices are taxed; see the module docstring for the rules."""
    declared = TaxTreatment("declared", customer.tax_rate, customer.tax_label)
    country = customer.country
    if not country or not issuer.country:
        return declared
    if country == issuer.country or country in issuer.registrations:
        return TaxTreatment("domestic", customer.tax_rate, customer.tax_label,
                            issuer_tax_id=issuer.registrations.get(country))
    words = language(customer.locale)
    words = words if words in REVERSE_CHARGE else "en"
    vat_ids = [value for kind, value in customer.typed_tax_ids if kind in VAT_ID_TYPES]
    if vat_ids:
        eu = EU_ARTICLE[words] if country in EU else ""
        return TaxTreatment("reverse_charge", Decimal(0), REVERSE_LABEL[words],
                            REVERSE_CHARGE[words].format(customer_id=vat_ids[0], eu=eu))
    return TaxTreatment("outside_scope", Decimal(0), customer.tax_label,
                        OUTSIDE[words].format(country=country))
