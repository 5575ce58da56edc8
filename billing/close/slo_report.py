"""The service-level report of a period, as every surface shows it (API, CLI, statement):
each tier's attainment with the card's SLO, for everyone, a team or a customer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine

from billing.budgets.slo import period_attainment
from invoices.documents import ServiceLevel


def slo_report(engine: Engine, period: str, *, team: str | None = None,
               customer: str | None = None) -> dict[str, Any]:
    with engine.connect() as connection:
        found = period_attainment(connection, period, team=team, customer=customer)
    return {"period": period, "team": team, "customer": customer,
            "definition": "p50/p95: nearest rank over answered (ok) calls; error rate: error "
                          "and timeout; 429 rate: rate_limited; availability: ok and refused; "
                          "all over calls that reported a status",
            "tiers": [item.to_dict() for item in found]}


def statement_levels(connection: Connection, period: str, team: str) -> list[ServiceLevel]:
    """A team's tiers for its statement's Service levels section (none when its calls
    reported no status)."""
    levels = []
    for found in period_attainment(connection, period, team=team):
        row = found.to_dict()
        levels.append(ServiceLevel(
            tier=found.tier, calls=row["calls"], p50_latency_ms=row["p50_latency_ms"],
            p95_latency_ms=row["p95_latency_ms"], error_rate=row["error_rate"],
            rate_limited_rate=row["rate_limited_rate"], availability=row["availability"],
            slo=tuple(f"{item.name}:{item.target}" for item in found.items),
            breached=tuple(item.name for item in found.breached)))
    return levels

