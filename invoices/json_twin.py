"""The JSON twin: the machine-readable copy stored beside each PDF, which round-trips exactly.

Money is a decimal string (``"1234.50"``) beside the document's `currency`; counts are
integers; dates are ISO 8601. The twin also carries the derived totals (`subtotal`, `tax`,
`total`, ...) so a reader needs no code to see them; `from_json` recomputes them from the
lines and refuses a twin whose stated totals disagree, so an edited file cannot pass silently.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from invoices.documents import (
    ChargebackInvoice,
    CreditNote,
    Document,
    InvoiceLine,
    NotBilledUsage,
    OutcomeSummary,
    OverheadShare,
    Ownership,
    Party,
    PaymentDetails,
    Recommendation,
    ServiceLevel,
    ShowbackStatement,
    StatementLine,
    UseCaseNote,
)
from invoices.money import decimal_text
from invoices.review import REVIEW_DECIMALS, KpiLine, PromotedChange

SCHEMA_VERSION = 1
KINDS: dict[str, type] = {
    "showback_statement": ShowbackStatement,
    "chargeback_invoice": ChargebackInvoice,
    "credit_note": CreditNote,
}
_DECIMALS = {"amount", "budget", "last_month_total", "volume_effect", "price_effect", "cost",
             "quantity", "unit_price", "tax_rate", "unit_cost", "fx_rate", "source_amount",
             *REVIEW_DECIMALS}
_NESTED: dict[str, type] = {"issuer": Party, "bill_to": Party, "recommendation": Recommendation,
                            "ownership": Ownership, "payment": PaymentDetails}
_NESTED_LISTS: dict[str, type] = {"overhead": OverheadShare, "outcomes": OutcomeSummary,
                                  "use_cases": UseCaseNote, "not_billed": NotBilledUsage,
                                  "contract": InvoiceLine, "kpis": KpiLine,
                                  "promoted_changes": PromotedChange,
                                  "service_levels": ServiceLevel, "prepaid": InvoiceLine}
_LINES: dict[type, type] = {ShowbackStatement: StatementLine, ChargebackInvoice: InvoiceLine,
                            CreditNote: InvoiceLine}


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if is_dataclass(value):
        return {f.name: _encode(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_encode(item) for item in value]
    return value


def _money(value: Decimal | None) -> str | None:
    return None if value is None else decimal_text(value)


def _derived(document: Document) -> dict[str, Any]:
    if isinstance(document, ShowbackStatement):
        percent = document.variance_percent
        return {
            "production_total": _money(document.production_total),
            "non_production_total": _money(document.non_production_total),
            "usage_total": _money(document.usage_total),
            **({"contract_total": _money(document.contract_total)} if document.contract else {}),
            "charged_overhead_total": _money(document.charged_overhead_total),
            "central_overhead_total": _money(document.central_overhead_total),
            "total": _money(document.total),
            "variance": _money(document.variance),
            "variance_percent": None if percent is None else decimal_text(
                percent.quantize(Decimal("0.0001"))),
            "change_vs_last_month": _money(document.change_vs_last_month),
            "other_effect": _money(document.other_effect),
        }
    derived = {"subtotal": _money(document.subtotal), "tax": _money(document.tax),
               "total": _money(document.total)}
    if isinstance(document, ChargebackInvoice) and document.not_billed:
        derived["not_billed_amount"] = _money(document.not_billed_amount)
    if isinstance(document, ChargebackInvoice) and document.prepaid:
        derived["prepaid_applied"] = _money(document.prepaid_applied)
        derived["amount_due"] = _money(document.amount_due)
    return derived


def to_json(document: Document) -> dict[str, Any]:
    """The JSON twin of a statement, invoice or credit note (a dict ready for json.dumps)."""
    kind = next((name for name, cls in KINDS.items() if isinstance(document, cls)), None)
    if kind is None:
        raise TypeError(f"not a document: {type(document).__name__}")
    body = _encode(document)
    if isinstance(document, ShowbackStatement):
        for outcome, encoded in zip(document.outcomes, body["outcomes"], strict=True):
            rate = outcome.pass_rate
            encoded["pass_rate"] = None if rate is None else decimal_text(
                rate.quantize(Decimal("0.0001")))
            each = outcome.cost_per_accepted(document.currency)
            encoded["cost_per_accepted"] = None if each is None else decimal_text(each)
        if not document.service_levels:  # twins from before service levels stay as they were
            del body["service_levels"]
    return {"document": kind, "schema_version": SCHEMA_VERSION, **body, **_derived(document)}


def _decimal(value: Any, where: str) -> Decimal:
    if not isinstance(value, str):
        raise ValueError(f"{where}: expected a decimal string like \"12.50\", got {value!r}")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{where}: {value!r} is not a decimal number") from None


def _decode(cls: type, data: dict[str, Any], where: str) -> Any:
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        at = f"{where}.{f.name}"
        if value is None:
            kwargs[f.name] = None
        elif f.name in _DECIMALS:
            kwargs[f.name] = _decimal(value, at)
        elif f.name == "generated_at":
            kwargs[f.name] = datetime.fromisoformat(value)
        elif f.name in ("issue_date", "due_date"):
            kwargs[f.name] = date.fromisoformat(value)
        elif f.name in _NESTED:
            kwargs[f.name] = _decode(_NESTED[f.name], value, at)
        elif f.name in _NESTED_LISTS or f.name == "lines":
            item = _LINES[cls] if f.name == "lines" else _NESTED_LISTS[f.name]
            kwargs[f.name] = tuple(_decode(item, entry, f"{at}[{n}]")
                                   for n, entry in enumerate(value))
        elif isinstance(value, list):
            kwargs[f.name] = tuple(value)
        else:
            kwargs[f.name] = value
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ValueError(f"{where}: {exc}") from None


def from_json(data: dict[str, Any]) -> Document:
    """The document a JSON twin describes; refuses a twin whose stated totals do not add up."""
    kind = data.get("document")
    if kind not in KINDS:
        raise ValueError(f"JSON twin: 'document' is {kind!r}, expected one of {', '.join(KINDS)}")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"JSON twin: schema_version {data.get('schema_version')!r} is not "
                         f"{SCHEMA_VERSION}")
    document = _decode(KINDS[kind], data, kind)
    for name, value in _derived(document).items():
        if name in data and data[name] != value:
            raise ValueError(f"{kind}: stated {name} {data[name]} does not match its lines "
                             f"({value}); the twin was edited or is corrupt")
    return document
