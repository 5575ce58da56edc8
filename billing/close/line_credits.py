"""What crediting one line of an invoice is worth under the customer's contract.

A line of a discounted invoice was billed less its discounts, and a month trued up to its
commitment bills the commitment whatever usage it holds; so crediting a line credits what the
invoice's subtotal drops by when the line is taken out and the contract applied again
(`billing.close.contract_terms`, the function the close used): the line less its discounts,
less whatever the true-up grows by. Lines credited before are out already, so crediting every
line of an invoice credits at most what it billed. Carry-over and prepaid credit drawn stay as
they were: they paid the invoice; they are not its price.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from billing.close.contract_terms import TierUsage, contract_lines
from invoices.documents import ChargebackInvoice, InvoiceLine
from ratecards import CardVersion

MILLION = Decimal(1_000_000)
# the tier as every language's line template writes it: "(better tier, card", "(better, Preisliste"
TIER = re.compile(r"\((good|better|best)(?: tier)?, ")
CREDITABLE = ("usage", "fee")
LINE_REFERENCE = re.compile(r"^\D*\S+, line (\d+) \(")  # "Credit against INV-…, line 3 (…"


class LineNotCreditable(ValueError):
    pass


@dataclass(frozen=True)
class LineCredit:
    amount: Decimal
    explanation: str


def credited_lines(descriptions: list[str]) -> set[int]:
    """The line numbers earlier credit notes of the invoice credited (their own wording)."""
    return {int(found.group(1)) for text in descriptions
            if (found := LINE_REFERENCE.search(text))}


def _billed(card: CardVersion, customer: str, lines: list[InvoiceLine], currency: str
            ) -> Decimal:
    tiers: dict[str, TierUsage] = {}
    for line in lines:
        found = TIER.search(line.description)
        if found and line.unit == "M tokens":
            before = tiers.get(found.group(1), TierUsage(0, Decimal(0)))
            tiers[found.group(1)] = TierUsage(
                before.tokens + int(line.quantity * MILLION), before.amount + line.amount)
    billed = sum((line.amount for line in lines), Decimal(0))
    terms = contract_lines(card, customer, tiers, billed, currency)
    return billed + sum((line.amount for line in terms.lines), Decimal(0))


def line_credit(invoice: ChargebackInvoice, card: CardVersion, customer: str, number: int,
                credited: set[int]) -> LineCredit:
    """The credit for line `number` (1-based) of `invoice`, lines `credited` already out."""
    if not 1 <= number <= len(invoice.lines):
        raise LineNotCreditable(f"{invoice.invoice_number} has lines 1 to "
                                f"{len(invoice.lines)}; there is no line {number}")
    target = invoice.lines[number - 1]
    if target.kind not in CREDITABLE or target.service_period is not None:
        raise LineNotCreditable(
            f"line {number} of {invoice.invoice_number} is a {target.kind} line; credit a "
            "usage or fee line of the period (the contract lines follow from them), or give "
            "--amount")
    if number in credited:
        raise LineNotCreditable(f"line {number} of {invoice.invoice_number} is credited "
                                "already")
    kept = [line for n, line in enumerate(invoice.lines, start=1)
            if line.kind in CREDITABLE and line.service_period is None and n not in credited]
    was = _billed(card, customer, kept, invoice.currency)
    now = _billed(card, customer, [line for line in kept if line is not target],
                  invoice.currency)
    amount = was - now
    if amount <= 0:
        raise LineNotCreditable(
            f"crediting line {number} of {invoice.invoice_number} changes nothing: the month "
            f"is trued up to its commitment and still bills {was:f} {invoice.currency} "
            "without it")
    return LineCredit(amount, f"line {target.amount:f} under the contract: the invoice bills "
                              f"{was:f} with it, {now:f} without")
