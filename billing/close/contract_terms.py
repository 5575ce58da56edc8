"""A customer's contract on its card, as invoice lines: volume discounts and a commitment.

The card declares them (`volume_discounts` per tier, `commitments` per customer); this turns
them into lines of their own, each naming the rule behind it, so a customer can check every
step from usage to total. The base of each discount is the rounded lines it discounts, and
each discount is rounded once as a line, so the invoice still adds up its printed lines:

1. per tier, a graduated volume discount on the amount of the tier's token lines, by the
   period's tokens in the tier (`ratecards.discounts.graduated_discount`);
2. then, with a commitment, its discount on everything billed so far this period, and a
   true-up line when what is left is below the monthly commitment; the unused part expires
   or, as the card says, carries over to pay usage above the commitment of later months
   (a `carry_over` line, drawn from `billing.close.credits`).

Late usage of a closed period (prior-period adjustments) is outside both: it was, or would
have been, discounted in its own period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from billing.money import round_line
from invoices.contract_labels import contract_labels
from invoices.documents import InvoiceLine
from invoices.formatting import format_money, format_percent
from invoices.labels import labels
from invoices.plurals import counted
from ratecards import CardVersion
from ratecards.discounts import committed_use, graduated_discount

ONE = Decimal(1)


@dataclass(frozen=True)
class TierUsage:
    """A tier's usage of the period on one invoice: its tokens and its rounded token lines."""

    tokens: int
    amount: Decimal


def percent_text(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def _bands_text(card: CardVersion, tier: str, locale: str) -> str:
    words = contract_labels(locale)
    return ", ".join(words.band.format(rate=_percent(band.discount, locale),
                                       tokens=counted("token", band.above_tokens, locale))
                     for band in sorted(card.volume_discounts[tier],
                                        key=lambda band: band.above_tokens))


def _line(description: str, amount: Decimal, kind: str) -> InvoiceLine:
    return InvoiceLine(description=description, quantity=ONE, unit_price=amount, amount=amount,
                       kind=kind, unit="")


@dataclass
class ContractTerms:
    """The lines a contract adds to an invoice, and the notes that state the rule of each."""

    lines: list[InvoiceLine]
    notes: list[str]


def _percent(rate: Decimal, locale: str) -> str:
    digits = max(0, -int((rate * 100).normalize().as_tuple().exponent))
    return format_percent(rate, locale, digits=digits)


def contract_lines(card: CardVersion, customer: str, tiers: Mapping[str, TierUsage],
                   billed: Decimal, currency: str, carried: Decimal = Decimal(0), *,
                   locale: str = "en_US") -> ContractTerms:
    """The discount and true-up lines `card` gives `customer` on a period whose current
    usage and fee lines add up to `billed`; empty when the card declares neither. Line
    descriptions are in the language of `locale`, the customer's.

    `carried` is unused commitment of earlier months still usable (`unused: carry_over`):
    it pays for usage above this month's commitment, never below it."""
    terms = ContractTerms([], [])
    words, rules = labels(locale), contract_labels(locale)
    money = partial(format_money, currency=currency, locale=locale)
    where = rules.card.format(card=card.card, version=card.version)
    for tier in sorted(tiers):
        usage = tiers[tier]
        if tier not in card.volume_discounts or not usage.tokens:
            continue
        discount = round_line(graduated_discount(card.volume_discounts[tier], 0, usage.tokens,
                                                 usage.amount), currency)
        if discount:
            terms.lines.append(_line(words.volume_discount.format(tier=tier), -discount,
                                    "discount"))
            terms.notes.append(rules.volume_note.format(
                tier=tier, card=where, bands=_bands_text(card, tier, locale),
                tokens=counted("token", usage.tokens, locale), amount=money(usage.amount)))
    commitment = card.commitments.get(customer)
    if commitment is None:
        return terms
    base = billed + sum((line.amount for line in terms.lines), Decimal(0))
    result = committed_use(commitment, base)
    discount = round_line(base - result.discounted_usage, currency)
    rate = _percent(commitment.discount, locale)
    if discount:
        terms.lines.append(_line(words.committed_discount.format(rate=rate), -discount,
                                 "discount"))
    after = base - discount
    true_up = round_line(commitment.monthly_amount - after, currency)
    note = rules.commitment_note.format(card=where, monthly=money(commitment.monthly_amount),
                                        rate=rate, base=money(base), after=money(after))
    if true_up > 0:
        terms.lines.append(_line(words.commitment_true_up, true_up, "true_up"))
        note += rules.trued_up.format(true_up=money(true_up))
        if commitment.unused == "carry_over":
            note += rules.carries_over.format(amount=money(true_up), months=counted(
                "month", commitment.carry_over_months, locale))
        else:
            note += rules.expires.format(amount=money(true_up))
    elif carried > 0 and after > commitment.monthly_amount:
        used = min(carried, after - commitment.monthly_amount)
        terms.lines.append(_line(rules.carry_over_line, -used, "carry_over"))
        note += rules.carry_over_used.format(used=money(used), carried=money(carried),
                                             left=money(carried - used))
    terms.notes.append(note + ".")
    return terms
