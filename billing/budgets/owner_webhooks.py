"""The owners' webhooks in force: where alerts about a team or use case also go.

Read from the parties and use-cases policies in force for the month of `now`, so an owner
who changes hands in a new published version receives alerts from that month on."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from billing.config import Settings
from billing.period import Period
from billing.policies.in_force import policies_for
from billing.policies.ownership import Routes, owner_routes


def routes_in_force(engine: Engine, config: Settings, now: datetime | None = None) -> Routes:
    moment = now or datetime.now(UTC)
    policies = policies_for(engine, str(Period.of(moment, config.zone)))
    return owner_routes(policies.registry, policies.use_cases)
