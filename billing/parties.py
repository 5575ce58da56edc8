"""The registry of parties: who issues documents, and each team's and customer's details.

The `parties` policy (`billing policy publish`), kept in git beside the rate cards. Teams
and customers that are not listed still get documents, with the defaults (en_US, no tax, 30
days), so a close never fails because someone forgot a line here.

```yaml
issuer:
  name: Example Corp AI Platform
  address: ["1 Market St", "San Francisco, CA 94105", "USA"]
  email: ai-billing@example.com
  tax_id: us_ein:12-3456789     # Stripe's tax id type, a colon, the id (or just the id)
  invoice_prefix: INV           # invoice numbers: INV-2026-00001, gapless per year
  credit_note_prefix: CN
teams:
  support:
    locale: en_US
    currency: USD                # optional: the currency its statements must be in
    owner: Dana Lee
    raci: {accountable: dana.lee@example.com, responsible: engineering, informed: [finance]}
    webhook: https://hooks.example.com/ai-spend/support   # alerts about the team go here too
customers:
  acme:
    name: ACME GmbH
    address: ["Hauptstr. 1", "10115 Berlin", "Germany"]
    email: ap@acme.example
    locale: de_DE
    tax_rate: "0.19"
    payment_terms_days: 14
    tax_ids: ["eu_vat:DE123456789"]   # Stripe's tax id type, a colon, the id
    stripe_customer_id: cus_123   # optional: created on first push otherwise
    currency: EUR                 # optional: the currency its invoices must be in
    billable: {environments: [production], use_cases: [support-bot]}   # optional: all
environments: {production: [production], non_production: [staging], default: non-production}
```
Ownership (`raci`, `webhook`) is `billing.policies.ownership`, what is billable
`billing.policies.billable`, the environment classes `billing.policies.environments`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from babel import Locale, UnknownLocaleError

from billing.policies.billable import Billable, BillableError, load_billable
from billing.policies.environments import (
    EnvironmentClassError,
    EnvironmentClasses,
    load_environments,
)
from billing.policies.ownership import OwnershipError, Raci, load_raci, load_webhook, owner_of
from invoices.documents import Party, PaymentDetails
from invoices.tax_ids import split_tax_id
from ratecards import UnknownCurrency, currency_exponent


class RegistryError(ValueError):
    pass


@dataclass(frozen=True)
class Issuer:
    name: str = "AI Platform"
    address: tuple[str, ...] = ()
    email: str | None = None
    tax_id: str | None = None
    locale: str = "en_US"
    invoice_prefix: str = "INV"
    credit_note_prefix: str = "CN"
    country: str | None = None
    """ISO 3166 code of where the issuer is established (billing.close.tax_treatment)."""
    registrations: dict[str, str] = field(default_factory=dict)
    """Country -> the issuer's typed tax id there, where it is registered to charge tax."""
    payment: PaymentDetails | None = None
    """Bank details printed on every invoice."""

    @property
    def party(self) -> Party:
        """The issuer as documents print it; `tax_id: us_ein:12-3456789` names its type."""
        kind, value = split_tax_id(self.tax_id) if self.tax_id else (None, None)
        return Party(self.name, self.address, self.email, value, self.locale, kind)


@dataclass(frozen=True)
class TeamEntry:
    team: str
    locale: str = "en_US"
    owner: str | None = None
    currency: str | None = None
    """None: whatever its card prices in."""
    raci: Raci | None = None
    webhook: str | None = None

    @property
    def accountable(self) -> str | None:
        """The owner statements name: the Accountable of its RACI, else `owner`."""
        return owner_of(self.raci, self.owner)


@dataclass(frozen=True)
class CustomerEntry:
    customer: str
    name: str
    address: tuple[str, ...] = ()
    email: str | None = None
    locale: str = "en_US"
    tax_rate: Decimal = Decimal(0)
    tax_label: str = "Tax"
    payment_terms_days: int = 30
    tax_ids: tuple[str, ...] = ()
    stripe_customer_id: str | None = None
    currency: str | None = None
    """None: whatever its card prices in."""
    billable: Billable = field(default_factory=Billable)
    country: str | None = None
    """ISO 3166 code of where the customer is: with the issuer's, it decides the tax."""
    purchase_order: str | None = None
    reference: str | None = None
    """The customer's own reference for us (a vendor or contract number), printed on invoices."""

    @property
    def typed_tax_ids(self) -> tuple[tuple[str, str], ...]:
        """(Stripe tax id type, value) of each "type:value" entry; a bare value has no type."""
        pairs = (item.partition(":") for item in self.tax_ids)
        return tuple((kind, value) if colon else ("", kind) for kind, colon, value in pairs)

    @property
    def tax_id_values(self) -> tuple[str, ...]:
        """The ids as printed on documents, without their type."""
        return tuple(value for _, value in self.typed_tax_ids)

    @property
    def party(self) -> Party:
        """The customer as documents print it, with its first tax id and that id's type."""
        kind, value = self.typed_tax_ids[0] if self.tax_ids else (None, None)
        return Party(self.name, self.address, self.email, value, self.locale, kind or None)


@dataclass(frozen=True)
class Registry:
    issuer: Issuer = field(default_factory=Issuer)
    teams: dict[str, TeamEntry] = field(default_factory=dict)
    customers: dict[str, CustomerEntry] = field(default_factory=dict)
    environments: EnvironmentClasses = field(default_factory=EnvironmentClasses)
    billable: Billable = field(default_factory=Billable)
    """What is billable for a customer the policy does not list (or lists without its own)."""

    def team(self, team: str) -> TeamEntry:
        return self.teams.get(team) or TeamEntry(team)

    def customer(self, customer: str) -> CustomerEntry:
        return self.customers.get(customer) or CustomerEntry(customer, name=customer,
                                                             billable=self.billable)


def _locale(value: Any, where: str) -> str:
    try:
        Locale.parse(str(value))
    except (UnknownLocaleError, ValueError):
        raise RegistryError(
            f"{where}: locale {value!r} is not a locale like en_US or de_DE") from None
    return str(value)


def _currency(value: Any, where: str) -> str | None:
    if value is None:
        return None
    try:
        currency_exponent(str(value))
    except UnknownCurrency as exc:
        raise RegistryError(f"{where}: currency: {exc}") from None
    return str(value)


def _team(key: str, entry: dict[str, Any], where: str) -> TeamEntry:
    try:
        return TeamEntry(key, _locale(entry.get("locale", "en_US"), where), entry.get("owner"),
                         _currency(entry.get("currency"), where),
                         load_raci(entry.get("raci"), where),
                         load_webhook(entry.get("webhook"), where))
    except OwnershipError as exc:
        raise RegistryError(str(exc)) from None


def _lines(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (str(value),) if isinstance(value, str) else tuple(str(item) for item in value)


def _country(value: Any, where: str) -> str | None:
    if value is None:
        return None
    text = str(value)
    if text not in Locale("en").territories or not (len(text) == 2 and text.isupper()):
        raise RegistryError(f"{where}: country {text!r} is not an ISO 3166 code such as DE, "
                            "FR or US")
    return text


def _registrations(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RegistryError(f"{where}: registrations: a map of country to tax id, such as "
                            "{DE: 'eu_vat:DE123456789'}")
    return {_country(country, f"{where}.registrations"): str(tax_id)
            for country, tax_id in value.items()}


PAYMENT_KEYS = ("bank", "account_name", "iban", "bic", "account_number", "routing_number",
                "instructions")


def _payment(value: Any, where: str) -> PaymentDetails | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - set(PAYMENT_KEYS):
        raise RegistryError(f"{where}: payment: a map with any of {', '.join(PAYMENT_KEYS)}")
    return PaymentDetails(**{key: str(item) for key, item in value.items() if item is not None})


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _customer(key: str, entry: dict[str, Any], where: str, default: Billable
              ) -> CustomerEntry:
    rate_text = entry.get("tax_rate", "0")
    if not isinstance(rate_text, str):
        raise RegistryError(f"{where}: tax_rate: write it as a quoted decimal like \"0.19\"")
    try:
        rate = Decimal(rate_text)
    except InvalidOperation:
        raise RegistryError(f"{where}: tax_rate {rate_text!r} is not a decimal") from None
    if not Decimal(0) <= rate < 1:
        raise RegistryError(f"{where}: tax_rate {rate_text} must be a fraction like 0.19")
    terms = entry.get("payment_terms_days", 30)
    if not isinstance(terms, int) or terms < 0:
        raise RegistryError(f"{where}: payment_terms_days must be a whole number of days")
    try:
        billable = load_billable(entry.get("billable"), where, default)
    except BillableError as exc:
        raise RegistryError(str(exc)) from None
    return CustomerEntry(
        customer=key, name=str(entry.get("name", key)), address=_lines(entry.get("address")),
        email=entry.get("email"), locale=_locale(entry.get("locale", "en_US"), where),
        tax_rate=rate, tax_label=str(entry.get("tax_label", "Tax")), payment_terms_days=terms,
        tax_ids=_lines(entry.get("tax_ids")), stripe_customer_id=entry.get("stripe_customer_id"),
        currency=_currency(entry.get("currency"), where), billable=billable,
        country=_country(entry.get("country"), where),
        purchase_order=_text(entry.get("purchase_order")), reference=_text(entry.get("reference")),
    )


def load_registry(text: str, source: str = "registry") -> Registry:
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise RegistryError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(document, dict):
        raise RegistryError(f"{source}: expected issuer:, teams: and customers: sections")
    issuer_entry = document.get("issuer") or {}
    issuer = Issuer(
        name=str(issuer_entry.get("name", Issuer.name)),
        address=_lines(issuer_entry.get("address")), email=issuer_entry.get("email"),
        tax_id=issuer_entry.get("tax_id"),
        locale=_locale(issuer_entry.get("locale", "en_US"), f"{source}: issuer"),
        invoice_prefix=str(issuer_entry.get("invoice_prefix", "INV")),
        credit_note_prefix=str(issuer_entry.get("credit_note_prefix", "CN")),
        country=_country(issuer_entry.get("country"), f"{source}: issuer"),
        registrations=_registrations(issuer_entry.get("registrations"), f"{source}: issuer"),
        payment=_payment(issuer_entry.get("payment"), f"{source}: issuer"),
    )
    teams = {str(key): _team(str(key), entry or {}, f"{source}: teams.{key}")
             for key, entry in (document.get("teams") or {}).items()}
    try:
        default = load_billable(document.get("billable"), source)
    except BillableError as exc:
        raise RegistryError(str(exc)) from None
    customers = {
        str(key): _customer(str(key), entry or {}, f"{source}: customers.{key}", default)
        for key, entry in (document.get("customers") or {}).items()
    }
    try:
        environments = load_environments(document.get("environments"), source)
    except EnvironmentClassError as exc:
        raise RegistryError(str(exc)) from None
    return Registry(issuer, teams, customers, environments, default)

