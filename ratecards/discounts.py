"""Volume discounts and committed use: what a big customer or team pays less.

Graduated volume discounts work like tax bands: the tokens inside each band of the month's
volume get that band's discount, so crossing a threshold never makes earlier usage cheaper.
A commitment is a monthly amount a customer promised to spend at a discount: usage is billed
at the discounted price, and a month below the commitment is trued up to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ratecards.schema import Commitment, VolumeBand


def graduated_discount(
    bands: Sequence[VolumeBand], monthly_tokens_before: int, tokens: int, amount: Decimal
) -> Decimal:
    """Discount on `amount` for `tokens` more tokens, after `monthly_tokens_before` this month.

    The amount is spread evenly over the tokens; each token's share is discounted by the rate
    of the band it falls in. Splitting usage into several calls gives the same total.
    """
    if tokens <= 0 or amount == 0:
        return Decimal(0)
    start, end = monthly_tokens_before, monthly_tokens_before + tokens
    edges = sorted(bands, key=lambda band: band.above_tokens)
    discount = Decimal(0)
    for index, band in enumerate(edges):
        upper = edges[index + 1].above_tokens if index + 1 < len(edges) else None
        low = max(start, band.above_tokens)
        high = end if upper is None else min(end, upper)
        if high > low:
            discount += amount * Decimal(high - low) / Decimal(tokens) * band.discount
    return discount


@dataclass(frozen=True)
class CommitmentResult:
    usage: Decimal
    discounted_usage: Decimal
    true_up: Decimal

    @property
    def billed(self) -> Decimal:
        return self.discounted_usage + self.true_up


def committed_use(commitment: Commitment, amount: Decimal) -> CommitmentResult:
    """Bill a month's usage under a commitment: discounted, and never below the commitment."""
    discounted = amount * (1 - commitment.discount)
    true_up = max(Decimal(0), commitment.monthly_amount - discounted)
    return CommitmentResult(amount, discounted, true_up)
