"""The grand total of a period's documents, explained: what the statements (or invoices) add up
to = the exact rated amount + the rounding of their lines + what they add (charged overhead
pools, or tax).

The rounding and the additions come from the rebuild and from the pools' configuration, not
from the documents themselves, so a document that drifted from the ledger, or a pool changed
after the close, leaves a residual instead of hiding in a sum of itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from billing.close.document_checks import added_amount, line_sum
from billing.close.ledger_checks import Exact, RatedAmounts
from billing.money import minor_unit, round_line
from billing.rating.overhead import Pool


@dataclass(frozen=True)
class GrandTotal:
    """Documents' total = exact rated amount + rounding of their lines + what they add.

    `rounded` and `added` come from the rebuild and the pools' configuration, not from the
    documents, so a document that drifted from the ledger leaves a residual."""

    kind: str  # statements or invoices
    currency: str
    documents: int
    lines: int
    total: Decimal
    exact: Decimal
    rounded: Decimal
    added: Decimal
    added_parts: tuple[tuple[str, Decimal], ...] = ()

    @property
    def rounding(self) -> Decimal:
        return self.rounded - self.exact

    @property
    def residual(self) -> Decimal:
        return self.total - self.rounded - self.added

    def explanation(self) -> str:
        added = "charged overhead pools" if self.kind == "statements" else "tax"
        unit = minor_unit(self.currency)
        return (f"{self.kind} {self.total:,} {self.currency} = rated {self.exact:,f} (exact) "
                f"+ {self.rounding:,f} rounding ({self.lines:,} lines, each rounded half-up to "
                f"{unit} {self.currency}) + {self.added:,} {added}")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "currency": self.currency, "documents": self.documents,
                "lines": self.lines, "total": str(self.total), "exact": str(self.exact),
                "rounded": str(self.rounded), "rounding": str(self.rounding),
                "added": str(self.added),
                "added_parts": [{"name": name, "amount": str(amount)}
                                for name, amount in self.added_parts],
                "residual": str(self.residual), "explanation": self.explanation()}



def charged_pools(pools: list[Pool], period: str, teams: Iterable[str]
                  ) -> dict[str, list[tuple[str, Decimal]]]:
    """The charged pools of the period by currency, rounded as allocation rounds them (no
    team, no allocation)."""
    by_currency: dict[str, list[tuple[str, Decimal]]] = {}
    if not list(teams):
        return by_currency
    for pool in pools:
        if pool.treatment == "charged" and pool.applies_to(period):
            by_currency.setdefault(pool.currency, []).append(
                (pool.name, round_line(pool.amount, pool.currency)))
    return by_currency


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, Decimal(0))


def grand_totals(
    stored: dict[str, list[dict[str, Any]]], rebuilt: dict[str, list[dict[str, Any]]],
    exact: RatedAmounts, pools: list[Pool], period: str,
) -> list[tuple[GrandTotal, str | None]]:
    """Per kind and currency, the grand total and, when it does not add up, why in words.

    `stored` are the twins whose totals are explained (the issued documents, or the
    provisional ones of an open period), `rebuilt` the same documents built from the ledger now.
    """
    teams = {twin.get("team") for twin in rebuilt["statement"]}
    pools_by_currency = charged_pools(pools, period, teams)
    results = []
    for kind, sums in (("statement", exact.teams), ("invoice", exact.customers)):
        currencies = sorted({twin["currency"] for twin in (*stored[kind], *rebuilt[kind])}
                            | (set(pools_by_currency) if kind == "statement" else set()))
        for currency in currencies:
            mine = [twin for twin in stored[kind] if twin["currency"] == currency]
            built = [twin for twin in rebuilt[kind] if twin["currency"] == currency]
            if kind == "statement":
                parts = tuple(pools_by_currency.get(currency, []))
                added = _sum(amount for _, amount in parts)
            else:
                parts, added = (), _sum(added_amount(kind, twin) for twin in built)
            total = GrandTotal(
                f"{kind}s", currency, len(mine), sum(len(t.get("lines") or []) for t in built),
                _sum(Decimal(twin["total"]) for twin in mine), _rated(sums, currency),
                _sum(line_sum(twin) for twin in built), added, parts)
            results.append((total, _residual_reason(total, mine, built, kind)
                            if total.residual else None))
    return results


def _rated(sums: dict[str, Exact], currency: str) -> Decimal:
    return _sum(item.amount for item in sums.values() if item.currency == currency)


def _residual_reason(total: GrandTotal, mine: list[dict], built: list[dict], kind: str) -> str:
    lines = _sum(line_sum(t) for t in mine) - _sum(line_sum(t) for t in built)
    added = _sum(added_amount(kind, t) for t in mine) - total.added
    reasons = []
    if lines:
        reasons.append(f"the documents' lines add up to {abs(lines)} "
                       f"{'less' if lines < 0 else 'more'} than the rated ledger gives now")
    what = ("charged overhead than the pools of the period (a pool changed after the close, "
            "or allocates to a team with no statement)" if kind == "statement" else
            "tax than the customers' tax rates give now")
    if added:
        reasons.append(f"they carry {abs(added)} {'less' if added < 0 else 'more'} {what}")
    return (f"{total.kind} total {total.total} {total.currency}, but rated {total.exact} + "
            f"rounding {total.rounding} + {total.added} is {total.rounded + total.added}: off "
            f"by {total.residual}" + (f" ({'; '.join(reasons)})" if reasons else ""))
