"""Alerts: a threshold crossed, a hard cap reached, a spending anomaly, or unpriced usage.

Each alert has a dedupe key naming what it is about (`threshold:2026-11:team:support:80`), and
the table is unique on it, so raising the same alert twice, from two runs or two processes,
stores it once, logs it once and sends it once. Delivery to webhooks is `billing.budgets.webhooks`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Select, func, select
from sqlalchemy.dialects import postgresql, sqlite

from billing.budgets.unpriced_advice import current
from billing.models import Alert as AlertRow
from billing.models import PeriodClose

KINDS = ("threshold", "hard_cap", "anomaly", "unpriced")
SEVERITIES = ("info", "warning", "critical")
log = logging.getLogger("billing.budgets.alerts")
table = AlertRow.__table__


@dataclass(frozen=True)
class Alert:
    kind: str
    dedupe_key: str
    severity: str
    message: str
    period: str | None = None
    team: str | None = None
    scope_kind: str | None = None
    scope_key: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def row(self, now: datetime) -> dict[str, Any]:
        return {
            "kind": self.kind, "dedupe_key": self.dedupe_key, "severity": self.severity,
            "message": self.message, "period": self.period, "team": self.team,
            "scope_kind": self.scope_kind, "scope_key": self.scope_key,
            "details": orjson.dumps(self.details, default=str).decode(), "raised_at": now,
        }


def dedupe_key(kind: str, *parts: object) -> str:
    """What makes two alerts the same alert: the kind and what it is about."""
    return ":".join([kind, *(str(part) for part in parts)])


def _insert(connection: Connection):  # noqa: ANN202
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def raise_alerts(connection: Connection, alerts: list[Alert],
                 now: datetime | None = None) -> list[Alert]:
    """Store the alerts not raised before; returns (and logs) only the new ones."""
    now = now or datetime.now(UTC)
    new = []
    for alert in alerts:
        if alert.kind not in KINDS or alert.severity not in SEVERITIES:
            raise ValueError(f"alert kind {alert.kind!r} / severity {alert.severity!r} unknown")
        inserted = connection.execute(
            _insert(connection).values(alert.row(now))
            .on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.id)
        ).scalar()
        if inserted is not None:
            new.append(alert)
            level = logging.WARNING if alert.severity != "info" else logging.INFO
            log.log(level, "alert %s: %s", alert.dedupe_key, alert.message)
    return new


def alert_dict(row: Any) -> dict[str, Any]:
    values = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
    values["details"] = orjson.loads(values.get("details") or "{}")
    return values


def list_alerts(
    engine: Engine, *, period: str | None = None, team: str | None = None,
    kind: str | None = None, limit: int | None = 500, before_id: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Alerts newest first, optionally for one period, team or kind; `before_id` (or
    `offset`) pages on; `limit` None for all."""
    query = _filtered(select(table), period, team, kind).order_by(table.c.id.desc())
    query = query.offset(offset).limit(limit)
    if before_id:
        query = query.where(table.c.id < before_id)
    with engine.connect() as connection:
        rows = [alert_dict(row) for row in connection.execute(query)]
        closed = set(connection.execute(select(PeriodClose.__table__.c.period)).scalars())
    return [current(row, closed) for row in rows]


def count_alerts(engine: Engine, *, period: str | None = None, team: str | None = None,
                 kind: str | None = None) -> int:
    """How many alerts `list_alerts` pages through, so a page can say of how many."""
    query = _filtered(select(func.count()).select_from(table), period, team, kind)
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def _filtered(query: Select, period: str | None, team: str | None, kind: str | None) -> Select:
    for column, value in ((table.c.period, period), (table.c.team, team), (table.c.kind, kind)):
        if value:
            query = query.where(column == value)
    return query
