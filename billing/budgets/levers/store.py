"""Candidates and their evaluation results, kept in the database, and the gate's verdicts.

An evaluation row: `evaluation_id` (the idempotency key), `use_case`, `candidate` (a proposed
candidate's name), `calls`, `passes`, `cost` (total, at card prices), `currency`, and
optionally `evaluated_at`. Rows are refused one by one with the field at fault; good rows of
the batch are kept; the same row sent again changes nothing, the same id with other numbers is
refused (an evaluation is a record, not a draft). The gate judges each candidate on its newest
evaluation.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson
from sqlalchemy import Engine, insert, select, update

from billing import identifiers
from billing.budgets.levers.gate import Evaluation, Verdict, gate
from billing.db import write_transaction
from billing.models import Evaluation as EvaluationRow
from billing.models import LeverCandidate
from ratecards.currency import is_currency

candidates = LeverCandidate.__table__
evaluations = EvaluationRow.__table__
CONFIG_KEYS = ("model", "prompt_version", "routing", "levers")
MAX_CALLS = 10**12


class LeverStoreError(ValueError):
    """A request that cannot be carried out as asked; the message says what to do."""


class _Invalid(ValueError):
    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


@dataclass(frozen=True)
class RowError:
    index: int
    evaluation_id: str | None
    field: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "evaluation_id": self.evaluation_id, "field": self.field,
                "message": self.message}


@dataclass
class EvaluationIngest:
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "duplicates": self.duplicates,
                "rejected": self.rejected, "errors": [e.to_dict() for e in self.errors]}


def _name(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(name, f"{name} is required")
    found = identifiers.problem(value.strip(), name)
    if found:
        raise _Invalid(name, found)
    return value.strip()


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise _Invalid(name, f"{name} must be a whole number")
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or not 0 <= value <= MAX_CALLS:
        raise _Invalid(name, f"{name} must be a whole number from 0 to {MAX_CALLS:,}")
    return value


def _cost(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Invalid("cost", "cost must be a decimal number, e.g. \"33.60\"")
    try:
        cost = Decimal(str(value).strip())
    except InvalidOperation:
        raise _Invalid("cost", f"cost {value!r} is not a decimal number") from None
    if not cost.is_finite() or cost < 0 or cost > Decimal(10**15):
        raise _Invalid("cost", "cost must be a finite amount >= 0")
    return cost


def _moment(value: Any) -> datetime:
    if value is None or value == "":
        return datetime.now(UTC)
    if not isinstance(value, str):
        raise _Invalid("evaluated_at", "evaluated_at must be an RFC 3339 timestamp")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _Invalid("evaluated_at", f"evaluated_at {value!r} is not an RFC 3339 timestamp, "
                                       "e.g. 2026-11-05T10:00:00Z") from None
    if moment.tzinfo is None:
        raise _Invalid("evaluated_at", "evaluated_at needs a time zone, e.g. Z or +01:00")
    return moment.astimezone(UTC)


def validate(row: Any) -> dict[str, Any]:
    if not isinstance(row, Mapping):
        raise _Invalid("", "each evaluation is a JSON object")
    values = {
        "evaluation_id": _name(row.get("evaluation_id"), "evaluation_id"),
        "use_case": _name(row.get("use_case"), "use_case"),
        "candidate": _name(row.get("candidate"), "candidate"),
        "calls": _count(row.get("calls"), "calls"),
        "passes": _count(row.get("passes"), "passes"),
        "cost": _cost(row.get("cost")),
        "evaluated_at": _moment(row.get("evaluated_at")),
    }
    currency = row.get("currency")
    if not isinstance(currency, str) or not is_currency(currency.strip().upper()):
        raise _Invalid("currency", "currency must be an ISO 4217 code, e.g. USD")
    values["currency"] = currency.strip().upper()
    if values["calls"] == 0:
        raise _Invalid("calls", "calls must be at least 1: an evaluation of no calls says nothing")
    if values["passes"] > values["calls"]:
        raise _Invalid("passes", f"passes ({values['passes']}) cannot exceed calls "
                                 f"({values['calls']})")
    return values


def _hash(values: dict[str, Any]) -> str:
    text = "|".join(str(values[name]) for name in (
        "use_case", "candidate", "calls", "passes", "cost", "currency", "evaluated_at"))
    return hashlib.sha256(text.encode()).hexdigest()


def read_rows(text: str, name: str = "") -> list[Any]:
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
        raise LeverStoreError(f"{name or 'evaluations'}: not valid JSON (an array or one object "
                              f"per line): {exc}") from None


def ingest_evaluations(engine: Engine, rows: Iterable[Any], *, source: str = ""
                       ) -> EvaluationIngest:
    """Store new evaluation results of proposed candidates."""
    result = EvaluationIngest()
    now = datetime.now(UTC)
    rows = list(rows)
    with write_transaction(engine) as connection:
        known = {(row.use_case, row.name) for row in connection.execute(
            select(candidates.c.use_case, candidates.c.name))}
        stored = {row.evaluation_id: row.content_hash for row in connection.execute(
            select(evaluations.c.evaluation_id, evaluations.c.content_hash))}
        for index, row in enumerate(rows):
            raw_id = row.get("evaluation_id") if isinstance(row, Mapping) else None
            try:
                values = validate(row)
                if (values["use_case"], values["candidate"]) not in known:
                    raise _Invalid("candidate", (
                        f"candidate {values['candidate']!r} of use case {values['use_case']!r} "
                        "was never proposed; record it first with `billing levers propose`"))
                digest = _hash(values)
                if values["evaluation_id"] in stored:
                    if stored[values["evaluation_id"]] != digest:
                        raise _Invalid("evaluation_id", (
                            f"evaluation {values['evaluation_id']!r} is already recorded with "
                            "other numbers; send new results under a new evaluation_id"))
                    result.duplicates += 1
                    continue
            except _Invalid as exc:
                result.rejected += 1
                result.errors.append(RowError(index, raw_id if isinstance(raw_id, str) else None,
                                              exc.field or None, str(exc)))
                continue
            connection.execute(insert(evaluations).values(
                **values, content_hash=digest, source=source[:500], ingested_at=now))
            stored[values["evaluation_id"]] = digest
            result.accepted += 1
    return result


def propose(engine: Engine, use_case: str, name: str, config: Mapping[str, Any], *,
            baseline: bool = False, note: str = "", by: str | None = None) -> dict[str, Any]:
    """Record a candidate (or the baseline); the same proposal again changes nothing."""
    for value, label in ((use_case, "use case"), (name, "name")):
        found = identifiers.problem(value, label)
        if found:
            raise LeverStoreError(found)
    unknown = sorted(set(config) - set(CONFIG_KEYS))
    if unknown:
        raise LeverStoreError(f"unknown configuration {', '.join(unknown)}; use "
                              f"{', '.join(CONFIG_KEYS)}")
    text = orjson.dumps(dict(config), option=orjson.OPT_SORT_KEYS).decode()
    with write_transaction(engine) as connection:
        found = connection.execute(select(candidates).where(
            candidates.c.use_case == use_case, candidates.c.name == name)).first()
        if found is not None:
            if found.config != text or found.baseline != baseline:
                raise LeverStoreError(
                    f"{name!r} of {use_case!r} is already proposed with another configuration; "
                    "propose the change under a new name")
            return _candidate_dict(found) | {"created": False}
        if baseline and connection.execute(select(candidates.c.name).where(
                candidates.c.use_case == use_case, candidates.c.baseline)).first():
            raise LeverStoreError(f"use case {use_case!r} already has a baseline; a new "
                                  "baseline is a new use-case configuration: name it a candidate")
        connection.execute(insert(candidates).values(
            use_case=use_case, name=name, baseline=baseline, config=text, note=note,
            proposed_at=datetime.now(UTC),
            proposed_by=(by or os.environ.get("USER") or "unknown")[:200]))
        row = connection.execute(select(candidates).where(
            candidates.c.use_case == use_case, candidates.c.name == name)).one()
    return _candidate_dict(row) | {"created": True}


def _candidate_dict(row: Any) -> dict[str, Any]:
    return {"use_case": row.use_case, "name": row.name, "baseline": bool(row.baseline),
            "config": orjson.loads(row.config), "note": row.note,
            "decision": row.decision, "decision_reason": row.decision_reason}


def list_candidates(engine: Engine, use_case: str | None = None) -> list[dict[str, Any]]:
    query = select(candidates).order_by(candidates.c.use_case, candidates.c.id)
    if use_case is not None:
        query = query.where(candidates.c.use_case == use_case)
    with engine.connect() as connection:
        return [_candidate_dict(row) for row in connection.execute(query)]


def newest_evaluations(engine: Engine, use_case: str) -> dict[str, Evaluation]:
    """Each candidate's newest evaluation: the one the gate judges."""
    query = (select(evaluations).where(evaluations.c.use_case == use_case)
             .order_by(evaluations.c.evaluated_at, evaluations.c.id))
    newest: dict[str, Evaluation] = {}
    currencies: set[str] = set()
    with engine.connect() as connection:
        for row in connection.execute(query):
            newest[row.candidate] = Evaluation(row.candidate, int(row.calls), int(row.passes),
                                               Decimal(row.cost))
            currencies.add(row.currency)
    if len(currencies) > 1:
        raise LeverStoreError(f"the evaluations of {use_case!r} are in "
                              f"{' and '.join(sorted(currencies))}; cost them in one currency")
    return newest


@dataclass(frozen=True)
class GateReport:
    use_case: str
    baseline: Evaluation
    tolerance_pp: Decimal
    verdicts: list[Verdict]
    unevaluated: list[str]

    def to_dict(self) -> dict[str, Any]:
        base = Verdict(self.baseline, "baseline", "the configuration in production", None)
        return {"use_case": self.use_case, "tolerance_pp": str(self.tolerance_pp),
                "baseline": base.to_dict(),
                "candidates": [v.to_dict() for v in self.verdicts],
                "unevaluated": self.unevaluated}


def run_gate(engine: Engine, use_case: str, *, tolerance_pp: Decimal = Decimal(0),
             record: bool = False) -> GateReport:
    """Judge every evaluated candidate of a use case against its baseline; with `record`,
    store each decision (a decision already stored is kept unless the verdict changed)."""
    proposed = list_candidates(engine, use_case)
    if not proposed:
        raise LeverStoreError(f"use case {use_case!r} has no proposed candidates; record the "
                              "baseline and candidates with `billing levers propose`")
    base = [c["name"] for c in proposed if c["baseline"]]
    if not base:
        raise LeverStoreError(f"use case {use_case!r} has no baseline; propose the configuration "
                              "in production with `billing levers propose --baseline`")
    newest = newest_evaluations(engine, use_case)
    if base[0] not in newest:
        raise LeverStoreError(f"the baseline {base[0]!r} has no evaluation; send its results "
                              "(`billing levers evaluations FILE` or POST /v1/evaluations)")
    names = [c["name"] for c in proposed if not c["baseline"]]
    report = GateReport(use_case, newest[base[0]], tolerance_pp,
                        gate(newest[base[0]], [newest[n] for n in names if n in newest],
                             tolerance_pp=tolerance_pp),
                        [n for n in names if n not in newest])
    if record:
        now = datetime.now(UTC)
        with write_transaction(engine) as connection:
            for verdict in report.verdicts:
                connection.execute(update(candidates).where(
                    candidates.c.use_case == use_case,
                    candidates.c.name == verdict.evaluation.candidate,
                    (candidates.c.decision.is_(None)) | (candidates.c.decision != verdict.decision)
                    | (candidates.c.decision_reason != verdict.reason),
                ).values(decision=verdict.decision, decision_reason=verdict.reason,
                         decided_at=now))
    return report
