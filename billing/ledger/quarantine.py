"""The quarantine: rejected usage rows, kept verbatim with their reason until replayed.

A row is fixed in place (`fix_row`, for native JSON rows) or by ingesting a corrected copy;
`metering.replay_quarantine` then accepts it or marks it superseded. Nothing is deleted.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Engine, Select, func, select, update

from billing.models import QuarantinedRow

quarantine = QuarantinedRow.__table__
STATUSES = ("pending", "replayed", "superseded", "discarded", "all")


class QuarantineError(ValueError):
    pass


def list_rows(engine: Engine, *, status: str = "pending", limit: int | None = 50,
              offset: int = 0) -> list[dict[str, Any]]:
    """Rows of a status in id order; `limit` None for every row from `offset` on."""
    query = _of_status(select(quarantine), status).order_by(quarantine.c.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


def count_rows(engine: Engine, *, status: str = "pending") -> int:
    """How many rows a status has, so a page of them can say of how many."""
    query = _of_status(select(func.count()).select_from(quarantine), status)
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def _of_status(query: Select, status: str) -> Select:
    if status not in STATUSES:
        raise QuarantineError(f"status {status!r} is not one of {', '.join(STATUSES)}")
    return query if status == "all" else query.where(quarantine.c.status == status)


def _pending(engine: Engine, row_id: int) -> dict[str, Any]:
    with engine.connect() as connection:
        row = connection.execute(
            select(quarantine).where(quarantine.c.id == row_id)
        ).mappings().first()
    if row is None:
        raise QuarantineError(f"no quarantined row {row_id}; see `billing quarantine list`")
    if row["status"] != "pending":
        raise QuarantineError(f"quarantined row {row_id} is {row['status']}, not pending")
    return dict(row)


def fix_row(engine: Engine, row_id: int, changes: dict[str, Any]) -> str:
    """Apply field changes to a pending native row (None removes a field); returns the new text.

    The replay that follows validates it like any other row.
    """
    row = _pending(engine, row_id)
    if row["format"] not in ("native", "api"):
        raise QuarantineError(
            f"row {row_id} came in {row['format']} format; fix its source file and ingest it "
            "again, then replay: the quarantined copy is marked superseded"
        )
    try:
        data = orjson.loads(row["raw"])
    except orjson.JSONDecodeError:
        raise QuarantineError(
            f"row {row_id} is not valid JSON, so it cannot be edited field by field; fix the "
            "source and ingest it again"
        ) from None
    if not isinstance(data, dict):
        raise QuarantineError(f"row {row_id} is not a JSON object")
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    raw = orjson.dumps(data).decode()
    with engine.begin() as connection:
        connection.execute(
            update(quarantine).where(quarantine.c.id == row_id).values(
                raw=raw, last_seen_at=datetime.now(UTC)
            )
        )
    return raw


def discard_row(engine: Engine, row_id: int) -> None:
    """Mark a row as dropped on purpose; it stays on record."""
    _pending(engine, row_id)
    with engine.begin() as connection:
        connection.execute(
            update(quarantine).where(quarantine.c.id == row_id).values(
                status="discarded", resolved_at=datetime.now(UTC)
            )
        )
