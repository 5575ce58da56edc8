"""The Spark path: a month reduced on Spark bills exactly what native ingest bills, bad rows get
ingest's reasons, and reducing the same window again restates instead of doubling."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import func, select

from billing.close.period_close import close_period
from billing.demo_data import generate
from billing.ledger.metering import ingest_lines
from billing.ledger.spark_reduce import reduce_and_ingest
from billing.models import Document, RatedLine, UsageEvent
from billing.rating.card_registry import publish_shipped
from tests_support import POOLS, REGISTRY, publish_policy, publish_pools, truncate

UTC_ZONE = ZoneInfo("UTC")
NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
rated, documents, usage = RatedLine.__table__, Document.__table__, UsageEvent.__table__
# a rated line's event count is what the ledger holds: raw events natively, groups on Spark
NOT_COMPARED = {"id", "events", "run_id"}
COUNTS = ("input_tokens", "output_tokens", "cached_input_tokens", "cache_write_input_tokens",
          "requests")


def _rated_lines(engine) -> list[tuple]:  # noqa: ANN001
    columns = [column for column in rated.c if column.name not in NOT_COMPARED]
    with engine.connect() as connection:
        rows = connection.execute(select(*columns)).all()
    return sorted(tuple(str(value) for value in row) for row in rows)


def _documents(engine) -> list[tuple]:  # noqa: ANN001
    """Every document of the month, without the statements' service levels: those come from
    each call's latency, which a reduced aggregate no longer has (a Spark-reduced month prints
    none; `_service_levels` shows which side has them)."""
    with engine.connect() as connection:
        rows = connection.execute(select(documents.c.kind, documents.c.number,
                                         documents.c.subject, documents.c.currency,
                                         documents.c.total, documents.c.content)
                                  .order_by(documents.c.kind, documents.c.number)).all()
    return [(*row[:5], {key: value for key, value in json.loads(row.content).items()
                        if key != "service_levels"}) for row in rows]


def _service_levels(engine) -> int:  # noqa: ANN001
    with engine.connect() as connection:
        contents = connection.execute(select(documents.c.content)).scalars().all()
    return sum(len(json.loads(content).get("service_levels") or ()) for content in contents)


def _ledger_counts(engine) -> tuple:  # noqa: ANN001
    with engine.connect() as connection:
        return tuple(int(value or 0) for value in connection.execute(
            select(*[func.sum(usage.c[name]) for name in COUNTS])).one())


def _publish(engine) -> None:  # noqa: ANN001
    publish_shipped(engine)
    publish_policy(engine, "parties", REGISTRY)
    publish_pools(engine, POOLS)


def _reduce(engine, spark, path: Path, tmp_path: Path, fmt: str = "json"):  # noqa: ANN001, ANN202
    return reduce_and_ingest(engine, spark, str(path), fmt=fmt, period="2026-10", zone=UTC_ZONE,
                             out=str(tmp_path / f"out-{path.stem}"))


def test_a_month_reduced_on_spark_closes_to_the_cent_like_native_ingest(
        engine, close_settings, spark, tmp_path):
    lines = list(generate("2026-10", 800, 11))
    source = tmp_path / "month.jsonl"
    source.write_text("\n".join(lines) + "\n")
    publish_shipped(engine)
    native = ingest_lines(engine, lines, zone=UTC_ZONE, source="native")
    assert close_period(engine, close_settings, "2026-10", now=NOW).status == "closed"
    native_lines, native_documents = _rated_lines(engine), _documents(engine)
    native_counts = _ledger_counts(engine)
    assert _service_levels(engine) > 0

    truncate(engine)
    _publish(engine)
    result = _reduce(engine, spark, source, tmp_path)
    assert close_period(engine, close_settings, "2026-10", now=NOW).status == "closed"

    assert (result.accepted, result.duplicates, result.rejected) == (
        native.accepted, native.duplicates, native.rejected)
    assert result.ingest["accepted"] == result.groups < native.accepted
    assert _ledger_counts(engine) == native_counts
    assert native_lines and _rated_lines(engine) == native_lines
    assert len(native_documents) > 3 and _documents(engine) == native_documents
    assert _service_levels(engine) == 0


BAD = [
    {"event_id": "ok-1", "occurred_at": "2026-10-03T10:00:00Z", "team": "search",
     "use_case": "answers", "model": "gpt-4o-mini", "input_tokens": 10, "output_tokens": 5},
    {"event_id": "when-1", "occurred_at": "2026-10-03 noon", "model": "gpt-4o-mini",
     "input_tokens": 1, "output_tokens": 1},
    {"event_id": "when-2", "occurred_at": "2026-10-03T10:00:00", "model": "gpt-4o-mini",
     "input_tokens": 1, "output_tokens": 1},
    {"event_id": "neg-1", "occurred_at": "2026-10-03T10:00:00Z", "model": "gpt-4o-mini",
     "input_tokens": -4, "output_tokens": 1},
    {"event_id": "model-1", "occurred_at": "2026-10-03T10:00:00Z", "input_tokens": 1,
     "output_tokens": 1},
    {"event_id": "ok-1", "occurred_at": "2026-10-03T10:00:00Z", "team": "search",
     "use_case": "answers", "model": "gpt-4o-mini", "input_tokens": 10, "output_tokens": 5},
    {"event_id": "ok-1", "occurred_at": "2026-10-03T10:00:00Z", "team": "search",
     "use_case": "answers", "model": "gpt-4o-mini", "input_tokens": 99, "output_tokens": 5},
    {"event_id": "odd-1", "occurred_at": "2026-10-03T10:00:00Z", "model": "gpt-4o-mini",
     "input_tokens": 1, "output_tokens": 1, "colour": "red"},
]


def _bad_lines() -> list[str]:
    return [orjson.dumps(row).decode() for row in BAD] + ["{not json", "[1, 2]"]


def _rejected_file(result) -> list[tuple]:  # noqa: ANN001
    found = []
    for part in sorted(Path(result.out, "rejected").glob("part-*.json")):
        for line in part.read_text().splitlines():
            row = json.loads(line)
            found.append((row["row"], row.get("field"), row["message"]))
    return sorted(found)


def test_bad_rows_get_ingests_reasons_and_never_stop_the_job(engine, spark, tmp_path):
    lines = _bad_lines()
    source = tmp_path / "bad.jsonl"
    source.write_text("\n".join(lines) + "\n")
    result = _reduce(engine, spark, source, tmp_path)
    truncate(engine)
    native = ingest_lines(engine, lines, zone=UTC_ZONE, source="native")
    expected = sorted((error.row, error.field, error.message) for error in native.errors)
    assert len(expected) == 8 and _rejected_file(result) == expected
    assert {row[1] for row in expected} >= {"occurred_at", "input_tokens", "model", "event_id"}
    assert (result.rows, result.accepted, result.duplicates, result.rejected) == (
        10, 1, 1, 8)
    assert result.ingest["accepted"] == 1


def test_csv_rows_get_the_same_reasons_as_csv_ingest(engine, spark, tmp_path):
    header = "event_id,occurred_at,team,use_case,model,input_tokens,output_tokens"
    lines = [header, "c-1,2026-10-04T01:00:00Z,search,answers,gpt-4o-mini,3,4",
             "c-2,yesterday,search,answers,gpt-4o-mini,3,4",
             "c-3,2026-10-04T01:00:00Z,search,answers,,3,4",
             "c-4,2026-10-04T01:00:00Z,search,answers,gpt-4o-mini,-3,4",
             "c-5,2026-10-04T01:00:00Z,search,answers,gpt-4o-mini,3"]
    source = tmp_path / "usage.csv"
    source.write_text("\n".join(lines) + "\n")
    result = _reduce(engine, spark, source, tmp_path, fmt="csv")
    truncate(engine)
    native = ingest_lines(engine, [line + "\n" for line in lines], zone=UTC_ZONE, fmt="csv")
    expected = sorted((error.row, error.field, error.message) for error in native.errors)
    assert len(expected) == 4 and _rejected_file(result) == expected


def test_reducing_the_same_window_again_restates_instead_of_doubling(engine, spark, tmp_path):
    publish_shipped(engine)
    first = list(generate("2026-10", 400, 3))
    source = tmp_path / "lake.jsonl"
    source.write_text("\n".join(first) + "\n")
    once = _reduce(engine, spark, source, tmp_path)
    counts = _ledger_counts(engine)
    again = _reduce(engine, spark, source, tmp_path)
    assert again.ingest["duplicates"] == once.ingest["accepted"] == once.groups
    assert again.ingest["accepted"] == again.ingest["restated"] == 0
    assert _ledger_counts(engine) == counts

    late = [line.replace("demo-2026-10-", "late-2026-10-") for line in first[:40]]
    source.write_text("\n".join(first + late) + "\n")
    restated = _reduce(engine, spark, source, tmp_path)
    assert restated.ingest["restated"] > 0
    assert restated.accepted == once.accepted + 40
    assert _ledger_counts(engine) == _native_counts(first + late)

    kept = [line for line in first if '"team":"search"' not in line]
    assert len(kept) < len(first)
    source.write_text("\n".join(kept) + "\n")
    shrunk = _reduce(engine, spark, source, tmp_path)
    assert shrunk.ingest["withdrawn"] > 0
    assert _ledger_counts(engine) == _native_counts(kept)


def _native_counts(lines: list[str]) -> tuple:
    """The token sums of the valid, first-seen events, added up here with plain integers."""
    seen, totals = set(), [0] * len(COUNTS)
    for line in lines:
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if not isinstance(event, dict) or event.get("event_id") in seen:
            continue
        if not str(event.get("event_id", "")).startswith(("demo-2026", "late-2026")):
            continue
        seen.add(event["event_id"])
        for index, name in enumerate(COUNTS):
            totals[index] += int(event.get(name, 1 if name == "requests" else 0))
    return tuple(totals)

