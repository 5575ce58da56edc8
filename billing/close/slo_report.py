"""The service-level report of a period, as every surface shows it (API, CLI, statement):
each tier's attainment with the card's SLO, for everyone, a team or a customer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine

from billing.budgets.slo import TierAttainment, period_attainment


def slo_report(engine: Engine, period: str, *, team: str | None = None,
               customer: str | None = None) -> dict[str, Any]:
    with engine.connect() as connection:
        found = period_attainment(connection, period, team=team, customer=customer)
    return {"period": period, "team": team, "customer": customer,
            "definition": "p50/p95: nearest rank over answered (ok) calls; error rate: error "
                          "and timeout; 429 rate: rate_limited; availability: ok and refused; "
                          "all over calls that reported a status",
            "tiers": [item.to_dict() for item in found]}


def tier_lines(connection: Connection, period: str, team: str) -> list[TierAttainment]:
    """A team's tiers for its statement's Service levels section."""
    return period_attainment(connection, period, team=team)

