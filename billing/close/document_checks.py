"""Checking a stored document: its lines against a rebuild from the rated ledger, and its total
against its own lines.

Both sides of a comparison are JSON twins (the stored one and `to_json` of the rebuild), so
money compares as Decimal and a line is found by what it is (use case, model, tier and
environment; an overhead pool; an invoice line's description), never by its position.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from billing.money import round_line

# (what a line is, what it says) for each list a twin carries
STATEMENT_PARTS = (
    ("lines", "line", ("use_case", "model", "tier", "environment"),
     ("requests", "input_tokens", "output_tokens", "cached_input_tokens", "amount")),
    ("overhead", "overhead share", ("pool",), ("driver", "treatment", "amount")),
)
INVOICE_PARTS = (
    ("lines", "line", ("description", "kind", "service_period"),
     ("unit", "quantity", "unit_price", "amount")),
)
DECIMALS = frozenset({"amount", "quantity", "unit_price"})


@dataclass(frozen=True)
class LineDifference:
    """One way a stored document differs from its rebuild."""

    part: str
    position: int | None  # 1-based on the stored document; None for a line only the rebuild has
    label: str
    field: str | None  # None: the whole line is on one side only
    stored: Any
    rebuilt: Any

    def sentence(self) -> str:
        where = f"{self.part} {self.position} ({self.label})" if self.position else \
            f"{self.part} ({self.label})"
        if self.field is None and self.rebuilt is None:
            return f"{where}, {self.stored}, has no rated lines behind it any more"
        if self.field is None:
            return (f"the rated ledger now gives a {where} of {self.rebuilt} that the "
                    "document does not have")
        return (f"{where}: {self.field} {self.stored} on the document, {self.rebuilt} from "
                "the rated ledger now")


def _value(name: str, value: Any) -> Any:
    if name in DECIMALS and value is not None:
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return value
    return value


def _label(line: dict[str, Any], keys: tuple[str, ...]) -> str:
    return ", ".join(str(line.get(key)) for key in keys
                     if line.get(key) not in (None, "")) or "no use case"


def compare_twins(kind: str, stored: dict[str, Any], rebuilt: dict[str, Any]
                  ) -> list[LineDifference]:
    """Every difference between a stored twin and the rebuilt one, line by line."""
    differences = []
    for name, part, keys, fields in STATEMENT_PARTS if kind == "statement" else INVOICE_PARTS:
        waiting: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
        for line in rebuilt.get(name) or []:
            waiting[tuple(line.get(key) for key in keys)].append(line)
        for position, line in enumerate(stored.get(name) or [], start=1):
            label = _label(line, keys)
            matches = waiting.get(tuple(line.get(key) for key in keys))
            if not matches:
                differences.append(LineDifference(part, position, label, None,
                                                  line.get("amount"), None))
                continue
            other = matches.pop(0)
            for field in fields:
                mine, theirs = _value(field, line.get(field)), _value(field, other.get(field))
                if mine != theirs:
                    differences.append(LineDifference(part, position, label, field, mine,
                                                      theirs))
        for lines in waiting.values():
            for line in lines:
                differences.append(LineDifference(part, None, _label(line, keys), None, None,
                                                  line.get("amount")))
    return differences


def _sum(lines: list[dict[str, Any]], pick: Any = None) -> Decimal:
    return sum((Decimal(line["amount"]) for line in lines if pick is None or pick(line)),
               Decimal(0))


def line_sum(twin: dict[str, Any]) -> Decimal:
    """The sum of a twin's rounded lines (usage lines, not overhead or tax)."""
    return _sum(twin.get("lines") or [])


def added_amount(kind: str, twin: dict[str, Any]) -> Decimal:
    """What a document adds to its lines: charged overhead (statement) or tax (invoice)."""
    if kind == "statement":
        return _sum(twin.get("overhead") or [], lambda share: share["treatment"] == "charged")
    return Decimal(str(twin.get("tax") or 0))


def total_problems(kind: str, row: Any, twin: dict[str, Any]) -> list[str]:
    """How a stored document fails to add up, in words; empty when it does.

    A statement's total is its lines plus its charged overhead shares; an invoice's or credit
    note's is its lines (the subtotal) plus tax on the subtotal, rounded once. The stored row,
    the twin's stated totals and the twin's hash must all agree.
    """
    problems = []
    if hashlib.sha256(row.content.encode()).hexdigest() != row.content_hash:
        problems.append("its stored JSON twin was edited after it was issued (the content "
                        "hash no longer matches)")
    try:
        lines = line_sum(twin)
        added = added_amount(kind, twin)
        stated = Decimal(twin["total"])
    except (KeyError, TypeError, InvalidOperation) as exc:
        return [*problems, f"its JSON twin is not a readable document ({exc!r})"]
    if kind != "statement":
        subtotal = Decimal(twin.get("subtotal") or 0)
        if subtotal != lines:
            problems.append(f"its lines add up to {lines} but its subtotal says {subtotal}")
        rate = Decimal(twin.get("tax_rate") or 0)
        tax = round_line(subtotal * rate, twin["currency"])
        if tax != added:
            problems.append(f"its tax is {added} but {rate} of the subtotal {subtotal}, rounded "
                            f"once, is {tax}")
    if lines + added != stated:
        what = "charged overhead" if kind == "statement" else "tax"
        problems.append(f"its lines ({lines}) plus {what} ({added}) make {lines + added}, but "
                        f"its total says {stated}")
    owed = Decimal(twin.get("amount_due") or stated)  # an invoice less prepaid credit applied
    if Decimal(row.total) != owed:
        problems.append(f"the documents table says {row.total} but its JSON twin says {owed}")
    return problems
