"""A provider bill: what a model provider actually charged for a period, per provider.

Three formats, told apart by their content: a CSV with the header `provider,amount,currency`
(one row per provider or per line item, summed); the OpenAI organization costs API response
(`GET /v1/organization/costs`, amounts in currency units, e.g. `{"value": 0.06, "currency":
"usd"}`); and the Anthropic Admin API cost report (`GET /v1/organizations/cost_report`, amounts
as decimal strings in the currency's lowest unit: `"123.45"` USD is $1.23). A JSON file may also
hold a list of such pages. Money is Decimal from the first byte (JSON floats are parsed as
Decimal), and a file that is not one of these says which file, where and what was expected.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ratecards import UnknownCurrency, currency_exponent

CSV_HEADER = ("provider", "amount", "currency")
FORMATS = ("csv", "openai_costs", "anthropic_cost_report")
EXPECTED = ("a CSV with the header provider,amount,currency, an OpenAI organization costs "
            "response (GET /v1/organization/costs) or an Anthropic cost report "
            "(GET /v1/organizations/cost_report)")


class ProviderBillError(ValueError):
    """A bill file that cannot be read; the message names the file, the place and the fix."""


@dataclass(frozen=True)
class ProviderTotal:
    provider: str
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class ProviderBill:
    """One bill file, summed per provider and currency."""

    source: str
    format: str
    totals: tuple[ProviderTotal, ...]
    items: int
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "format": self.format, "items": self.items,
                "totals": [{"provider": t.provider, "amount": str(t.amount),
                            "currency": t.currency} for t in self.totals],
                "starts_at": self.starts_at, "ends_at": self.ends_at,
                "warnings": list(self.warnings)}


def read_provider_bill(path: Path) -> ProviderBill:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ProviderBillError(f"{path}: cannot read the provider bill: "
                                f"{exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ProviderBillError(f"{path}: not UTF-8 text; expected {EXPECTED}") from None
    return parse_provider_bill(text, str(path))


def parse_provider_bill(text: str, source: str) -> ProviderBill:
    """The bill in `text`, whichever of the three formats it is."""
    if text.lstrip()[:1] in ("{", "["):
        try:
            document = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise ProviderBillError(f"{source}: not valid JSON: {exc.msg} (line {exc.lineno}, "
                                    f"column {exc.colno}); expected {EXPECTED}") from None
        return _json_bill(document, source)
    return _csv_bill(text, source)


class _Sums:
    """Per (provider, currency) sums, the number of items and the time the bill covers."""

    def __init__(self) -> None:
        self.amounts: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        self.items = 0
        self.starts: list[datetime] = []
        self.ends: list[datetime] = []
        self.warnings: list[str] = []

    def add(self, provider: str, amount: Decimal, currency: str) -> None:
        self.amounts[(provider, currency)] += amount
        self.items += 1

    def bill(self, source: str, kind: str) -> ProviderBill:
        totals = tuple(ProviderTotal(provider, amount, currency)
                       for (provider, currency), amount in sorted(self.amounts.items()))
        return ProviderBill(source, kind, totals, self.items,
                            min(self.starts) if self.starts else None,
                            max(self.ends) if self.ends else None, tuple(self.warnings))


def _currency(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ProviderBillError(f"{where}: expected an ISO 4217 currency code like USD, got "
                                f"{value!r}")
    code = value.strip().upper()
    try:
        currency_exponent(code)
    except UnknownCurrency as exc:
        raise ProviderBillError(f"{where}: {exc}") from None
    return code


def _decimal(value: Any, where: str, example: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise ProviderBillError(f"{where}: expected a decimal number like {example}, got "
                                f"{value!r}")
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise ProviderBillError(f"{where}: {value!r} is not a decimal number like "
                                f"{example}") from None
    if not amount.is_finite():
        raise ProviderBillError(f"{where}: {value!r} is not a finite amount")
    return amount


def _csv_bill(text: str, source: str) -> ProviderBill:
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if header is None or tuple(name.strip().lower() for name in header) != CSV_HEADER:
        found = ",".join(header) if header else "an empty file"
        raise ProviderBillError(f"{source}: row 1: found {found!r}; expected {EXPECTED}")
    sums = _Sums()
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"{source}: row {number}"
        if len(row) != len(CSV_HEADER):
            raise ProviderBillError(f"{where}: {len(row)} columns; expected 3: provider, "
                                    "amount, currency")
        provider, amount, currency = (cell.strip() for cell in row)
        if not provider:
            raise ProviderBillError(f"{where}, field provider: empty; name the provider as "
                                    "the usage events do (openai, anthropic, ...)")
        sums.add(provider.lower(), _decimal(amount, f"{where}, field amount", "1234.50"),
                 _currency(currency, f"{where}, field currency"))
    if not sums.items:
        raise ProviderBillError(f"{source}: no rows after the header; add one row per "
                                "provider: provider,amount,currency")
    return sums.bill(source, "csv")


def _object(value: Any, where: str, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProviderBillError(f"{where}: expected {what}, got {type(value).__name__}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ProviderBillError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def _json_bill(document: Any, source: str) -> ProviderBill:
    pages = document if isinstance(document, list) else [document]
    if not pages:
        raise ProviderBillError(f"{source}: an empty list; expected {EXPECTED}")
    kinds = {_kind(page, f"{source}: page {n}" if len(pages) > 1 else source)
             for n, page in enumerate(pages, start=1)}
    if len(kinds) > 1:
        raise ProviderBillError(f"{source}: mixes OpenAI and Anthropic pages; give each "
                                "provider's pages in a file of their own")
    kind = kinds.pop()
    sums = _Sums()
    for n, page in enumerate(pages, start=1):
        where = f"{source}: page {n}" if len(pages) > 1 else source
        if kind == "openai_costs":
            _openai_page(page, where, sums)
        else:
            _anthropic_page(page, where, sums)
    last = pages[-1]
    if last.get("has_more") is True:
        sums.warnings.append(
            f"{source} is one page of several (has_more: true, next_page "
            f"{last.get('next_page')!r}): the bill is incomplete; fetch every page and save "
            "them together as a JSON list of pages")
    return sums.bill(source, kind)


def _kind(page: Any, where: str) -> str:
    page = _object(page, where, EXPECTED)
    data = page.get("data")
    if page.get("object") == "page" and isinstance(data, list):
        return "openai_costs"
    if isinstance(data, list) and "has_more" in page and "object" not in page:
        return "anthropic_cost_report"
    raise ProviderBillError(f"{where}: a JSON document with keys {sorted(page)}; "
                            f"expected {EXPECTED}")


def _openai_page(page: dict[str, Any], where: str, sums: _Sums) -> None:
    for b, bucket in enumerate(_list(page["data"], f"{where}: data")):
        at = f"{where}: data[{b}]"
        bucket = _object(bucket, at, "a bucket object")
        for key, target in (("start_time", sums.starts), ("end_time", sums.ends)):
            if bucket.get(key) is not None:
                target.append(_unix_time(bucket[key], f"{at}.{key}"))
        for r, result in enumerate(_list(bucket.get("results"), f"{at}.results")):
            place = f"{at}.results[{r}]"
            result = _object(result, place, "an organization.costs.result object")
            if result.get("object", "organization.costs.result") != "organization.costs.result":
                raise ProviderBillError(f"{place}.object: {result['object']!r}; expected "
                                        "organization.costs.result")
            amount = result.get("amount")
            if amount is None:
                continue
            amount = _object(amount, f"{place}.amount", 'an object like {"value": 0.06, '
                             '"currency": "usd"}')
            sums.add("openai", _decimal(amount.get("value"), f"{place}.amount.value", "0.06"),
                     _currency(amount.get("currency"), f"{place}.amount.currency"))


def _anthropic_page(page: dict[str, Any], where: str, sums: _Sums) -> None:
    for b, bucket in enumerate(_list(page["data"], f"{where}: data")):
        at = f"{where}: data[{b}]"
        bucket = _object(bucket, at, "a time bucket object")
        for key, target in (("starting_at", sums.starts), ("ending_at", sums.ends)):
            if bucket.get(key) is not None:
                target.append(_timestamp(bucket[key], f"{at}.{key}"))
        for r, result in enumerate(_list(bucket.get("results"), f"{at}.results")):
            place = f"{at}.results[{r}]"
            result = _object(result, place, "a cost item object")
            currency = _currency(result.get("currency", "USD"), f"{place}.currency")
            lowest_units = _decimal(result.get("amount"), f"{place}.amount",
                                    '"123.45" (in cents)')
            sums.add("anthropic", lowest_units.scaleb(-currency_exponent(currency)), currency)


def _unix_time(value: Any, where: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProviderBillError(f"{where}: expected Unix seconds like 1730419200, got "
                                f"{value!r}")
    return datetime.fromtimestamp(value, UTC)


def _timestamp(value: Any, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ProviderBillError(f"{where}: {value!r} is not an RFC 3339 timestamp like "
                                "2025-08-01T00:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
