"""The quarantine: rejected usage rows, kept verbatim with their reason until replayed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from billing.models import QuarantinedRow

quarantine = QuarantinedRow.__table__


def pending_rows(engine: Engine, *, status: str = "pending", limit: int = 50) -> list[dict[str, Any]]:
    query = select(quarantine).order_by(quarantine.c.id).limit(limit)
    if status != "all":
        query = query.where(quarantine.c.status == status)
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]
