"""Outcomes: the business results of use cases, ingested idempotently on `outcome_id`, and
counted per team and use case (the counts `billing.close.outcome_report` divides spend by).

An outcome row: `outcome_id` (the idempotency key), `use_case`, `occurred_at` (RFC 3339 with a
zone; decides the period), `accepted` (true or false by the use case's quality rule), and
optionally `team` and `quality_score`. Bad rows are refused one by one with the field at fault;
good rows of the same batch are kept. Files are a JSON array, JSON lines, or CSV.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Engine, func, select
from sqlalchemy.dialects import postgresql, sqlite

from billing import identifiers
from billing.db import write_transaction
from billing.models import Outcome, UsageEvent
from billing.period import Period
from billing.use_cases import UseCase

table = Outcome.__table__
usage = UsageEvent.__table__
CHUNK = 5_000
TRUE, FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


class OutcomeError(ValueError):
    pass


@dataclass(frozen=True)
class OutcomeRowError:
    index: int
    outcome_id: str | None
    field: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "outcome_id": self.outcome_id, "field": self.field,
                "message": self.message}


@dataclass
class OutcomeIngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[OutcomeRowError] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "duplicates": self.duplicates,
                "rejected": self.rejected, "errors": [e.to_dict() for e in self.errors]}


class _Invalid(ValueError):
    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


def _text(row: Mapping[str, Any], name: str, *, required: bool) -> str | None:
    value = row.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _Invalid(name, f"{name} is required")
        return None
    if not isinstance(value, str) or len(value) > 200:
        raise _Invalid(name, f"{name} must be a string of 1 to 200 characters")
    return value.strip()


def _name(row: Mapping[str, Any], name: str, *, required: bool) -> str | None:
    """A use case or team, held to the identifier rule as usage events are."""
    value = _text(row, name, required=required)
    found = None if value is None else identifiers.problem(value, name)
    if found:
        raise _Invalid(name, found)
    return value


def _accepted(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE | FALSE:
        return value.strip().lower() in TRUE
    raise _Invalid("accepted", "accepted must be true or false (did the outcome pass the use "
                               "case's quality rule?)")


def _occurred_at(value: Any) -> datetime:
    if not isinstance(value, str):
        raise _Invalid("occurred_at", "occurred_at is required, as an RFC 3339 timestamp")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _Invalid("occurred_at", f"occurred_at {value!r} is not an RFC 3339 timestamp, "
                                      "e.g. 2026-11-05T10:00:00Z") from None
    if moment.tzinfo is None:
        raise _Invalid("occurred_at", "occurred_at needs a time zone, e.g. Z or +01:00")
    return moment.astimezone(UTC)


def _score(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        score = Decimal(str(value))
    except InvalidOperation:
        raise _Invalid("quality_score", f"quality_score {value!r} is not a number") from None
    if not score.is_finite():
        raise _Invalid("quality_score", "quality_score must be a finite number")
    return score


def validate(row: Any, zone: ZoneInfo) -> dict[str, Any]:
    """One outcome row as stored; raises with the field at fault."""
    if not isinstance(row, Mapping):
        raise _Invalid("", "each outcome is a JSON object")
    occurred_at = _occurred_at(row.get("occurred_at"))
    return {
        "outcome_id": _text(row, "outcome_id", required=True),
        "use_case": _name(row, "use_case", required=True),
        "team": _name(row, "team", required=False),
        "occurred_at": occurred_at, "period": str(Period.of(occurred_at, zone)),
        "accepted": _accepted(row.get("accepted")), "quality_score": _score(
            row.get("quality_score")),
    }


def read_outcomes(text: str, name: str = "") -> list[Any]:
    """Rows of a JSON array, JSON lines, or (by a .csv name) CSV."""
    if name.lower().endswith(".csv"):
        return list(csv.DictReader(io.StringIO(text)))
    stripped = text.strip()
    if not stripped:
        return []
    try:
        if stripped.startswith("["):
            return list(orjson.loads(stripped))
        return [orjson.loads(line) for line in stripped.splitlines() if line.strip()]
    except orjson.JSONDecodeError as exc:
        raise OutcomeError(f"{name or 'outcomes'}: not valid JSON (an array or one object per "
                           f"line): {exc}") from None


def _used_use_cases(engine: Engine, names: set[str]) -> set[tuple[str | None, str]]:
    """(team, use case) pairs among `names` that the ledger has usage of."""
    query = select(usage.c.team, usage.c.use_case).where(usage.c.use_case.in_(sorted(names)))
    with engine.connect() as connection:
        return {(team, name) for team, name in connection.execute(query.distinct())}


def _check_use_case(values: dict[str, Any], declared: Mapping[str, UseCase],
                    used: set[tuple[str | None, str]]) -> None:
    """A use case is known if declared, or if the ledger has its usage (the row's team's)."""
    name, team = values["use_case"], values["team"]
    if name in declared or any(used_name == name and (team is None or used_team == team)
                               for used_team, used_name in used):
        return
    whose = f" of team {team!r}" if team else ""
    raise _Invalid("use_case", f"use_case: {name!r}{whose} is unknown: it is not declared in "
                   "the use_cases policy in force and has no usage; check the name, or "
                   "declare the use case and publish it (`billing policy publish FILE`)")


def ingest_outcomes(engine: Engine, rows: Iterable[Any], *, zone: ZoneInfo, source: str = "",
                    use_cases: Mapping[str, UseCase] | None = None) -> OutcomeIngestResult:
    """Store new outcomes; a known outcome_id is a duplicate, never counted twice. A row of a
    use case neither declared in `use_cases` nor seen in usage is refused."""
    result = OutcomeIngestResult()
    good: list[dict[str, Any]] = []
    seen: set[str] = set()
    now = datetime.now(UTC)
    rows = list(rows)
    names = {row["use_case"] for row in rows
             if isinstance(row, Mapping) and isinstance(row.get("use_case"), str)}
    used = _used_use_cases(engine, names) if names else set()
    for index, row in enumerate(rows):
        try:
            values = validate(row, zone)
            _check_use_case(values, use_cases or {}, used)
        except _Invalid as exc:
            result.rejected += 1
            outcome_id = row.get("outcome_id") if isinstance(row, Mapping) else None
            result.errors.append(OutcomeRowError(index, outcome_id if isinstance(
                outcome_id, str) else None, exc.field or None, str(exc)))
            continue
        if values["outcome_id"] in seen:
            result.duplicates += 1
            continue
        seen.add(values["outcome_id"])
        good.append({**values, "source": source[:500], "ingested_at": now})
    for start in range(0, len(good), CHUNK):
        chunk = good[start:start + CHUNK]
        with write_transaction(engine) as connection:
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            inserted = connection.execute(
                dialect.insert(table).values(chunk)
                .on_conflict_do_nothing(index_elements=["outcome_id"]).returning(table.c.id)
            ).all()
        result.accepted += len(inserted)
        result.duplicates += len(chunk) - len(inserted)
    return result


def ingest_outcomes_file(engine: Engine, path: Path, *, zone: ZoneInfo,
                         use_cases: Mapping[str, UseCase] | None = None) -> OutcomeIngestResult:
    return ingest_outcomes(engine, read_outcomes(path.read_text(encoding="utf-8"), path.name),
                           zone=zone, source=str(path), use_cases=use_cases)


def outcome_counts(engine: Engine, period: str) -> dict[tuple[str | None, str], list[int]]:
    """(team, use case) -> [all outcomes, accepted outcomes] in a period."""
    query = (select(table.c.team, table.c.use_case, table.c.accepted, func.count())
             .where(table.c.period == period)
             .group_by(table.c.team, table.c.use_case, table.c.accepted))
    counts: dict[tuple[str | None, str], list[int]] = defaultdict(lambda: [0, 0])
    with engine.connect() as connection:
        for team, use_case, accepted, count in connection.execute(query):
            counts[(team, use_case)][0] += count
            if accepted:
                counts[(team, use_case)][1] += count
    return dict(counts)
