"""A team's or customer's currency as the parties policy declares it, checked at the close.

The card decides what usage is priced in; a party that declares `currency` says what its
documents must be in. A mismatch stops the close before anything is written, naming the party
and both currencies, instead of sending a document in a currency nobody agreed to."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from billing.parties import Registry
from invoices.documents import ShowbackStatement


def currency_mismatches(registry: Registry, statements: Iterable[ShowbackStatement],
                        charges: Mapping[str, Any]) -> list[str]:
    problems = []
    for statement in statements:
        wanted = registry.team(statement.team).currency
        if wanted and wanted != statement.currency:
            problems.append(f"team {statement.team}: its usage is priced in "
                            f"{statement.currency}, the parties policy says currency {wanted}")
    for customer, charge in sorted(charges.items()):
        wanted = registry.customer(customer).currency
        if wanted and wanted != charge.currency:
            problems.append(f"customer {customer}: its usage is priced in {charge.currency}, "
                            f"the parties policy says currency {wanted}")
    return problems
