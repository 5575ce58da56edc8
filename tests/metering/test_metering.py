"""Ingest on both databases: idempotent, conflicts refused, bad rows quarantined, nothing lost."""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from billing.ledger import usage_event
from billing.ledger.metering import ingest_lines, replay_quarantine
from billing.ledger.quarantine import discard_row, fix_row, list_rows
from billing.ledger.usage_event import validate
from billing.models import QuarantinedRow, UsageEvent

USAGE = Path(__file__).parent.parent / "fixtures" / "usage"
UTC = ZoneInfo("UTC")


def _count(engine, table=UsageEvent.__table__) -> int:  # noqa: ANN001
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def _event(event_id: str, **extra) -> str:  # noqa: ANN003
    event = {"event_id": event_id, "occurred_at": "2026-10-05T10:00:00Z", "team": "support",
             "model": "gpt-4o-mini", "input_tokens": 10, "output_tokens": 5, **extra}
    return json.dumps(event)


def test_native_fixture_lands_good_rows_and_names_every_bad_one(engine):
    result = ingest_lines(engine, (USAGE / "native.jsonl").open(), zone=UTC, source="native")
    assert (result.accepted, result.duplicates, result.rejected) == (4, 1, 4)
    errors = {error.row: (error.field, error.event_id) for error in result.errors}
    assert errors == {
        5: ("occurred_at", "nat-0004"),
        6: ("input_tokens", "nat-0005"),
        7: ("model", "nat-0006"),
        8: (None, None),
    }
    assert _count(engine) == 4
    assert _count(engine, QuarantinedRow.__table__) == 4


def test_csv_fixture(engine):
    with (USAGE / "usage.csv").open(newline="") as handle:
        result = ingest_lines(engine, handle, zone=UTC, fmt="csv", source="usage.csv")
    assert (result.accepted, result.rejected) == (3, 3)
    assert {(e.row, e.field) for e in result.errors} == {
        (5, "environment"), (6, "input_tokens"), (7, None)
    }
    with engine.connect() as connection:
        tags = connection.execute(
            select(UsageEvent.__table__.c.tags).where(UsageEvent.__table__.c.event_id == "csv-0001")
        ).scalar_one()
    assert json.loads(tags) == {"cost_center": "cc-100"}


def test_second_ingest_changes_nothing_and_quarantine_is_not_doubled(engine):
    first = ingest_lines(engine, (USAGE / "native.jsonl").open(), zone=UTC)
    second = ingest_lines(engine, (USAGE / "native.jsonl").open(), zone=UTC)
    assert second.accepted == 0
    assert second.duplicates == first.accepted + first.duplicates
    assert second.rejected == first.rejected
    assert _count(engine) == 4
    rows = list_rows(engine)
    assert len(rows) == 4
    assert {row["seen_count"] for row in rows} == {2}


def test_same_event_id_with_other_content_is_a_conflict_never_an_overwrite(engine):
    ingest_lines(engine, [_event("e-1")], zone=UTC)
    result = ingest_lines(engine, [_event("e-1", output_tokens=6)], zone=UTC)
    assert result.rejected == 1
    assert result.errors[0].field == "event_id"
    assert "different content" in result.errors[0].message
    with engine.connect() as connection:
        stored = connection.execute(select(UsageEvent.__table__.c.output_tokens)).scalar_one()
    assert stored == 5
    within = ingest_lines(engine, [_event("e-2"), _event("e-2", output_tokens=9)], zone=UTC)
    assert (within.accepted, within.rejected) == (1, 1)


FULL_EVENT = {
    "event_id": "e-full", "occurred_at": "2026-10-05T10:00:00Z", "team": "support",
    "use_case": "support-copilot", "customer": "acme", "environment": "production",
    "provider": "openai", "model": "gpt-4o-mini", "tier": "good", "input_tokens": 10,
    "output_tokens": 5, "cached_input_tokens": 3, "cache_write_input_tokens": 2, "requests": 1,
    "prompt_version": "v1", "tags": {"region": "eu"},
}
# every field the content hash covers, each changed to another valid value of the same period
CHANGES = {
    "input_tokens": 11,
    "output_tokens": 6,
    "cached_input_tokens": 4,
    "cache_write_input_tokens": 1,
    "team": "legal",
    "use_case": "contract-extraction",
    "customer": "globex",
    "model": "gpt-4o",
    "tier": "better",
    "occurred_at": "2026-10-05T10:00:01Z",
    "environment": "staging",
    "provider": "azure-openai",
    "requests": 2,
    "prompt_version": "v2",
    "tags": {"region": "us"},
}


@pytest.mark.parametrize("field", sorted(CHANGES))
def test_a_resend_that_changes_any_hashed_field_is_a_conflict(engine, field):
    changed = {**FULL_EVENT, field: CHANGES[field]}
    ingest_lines(engine, [json.dumps(FULL_EVENT)], zone=UTC)
    again = ingest_lines(engine, [json.dumps(FULL_EVENT)], zone=UTC)
    assert (again.accepted, again.duplicates, again.rejected) == (0, 1, 0)

    later = ingest_lines(engine, [json.dumps(changed)], zone=UTC)
    assert (later.accepted, later.duplicates, later.rejected) == (0, 0, 1)
    assert later.errors[0].field == "event_id"
    assert "different content" in later.errors[0].message
    with engine.connect() as connection:
        stored = connection.execute(select(UsageEvent.__table__)).mappings().one()
    assert stored["content_hash"] == validate(FULL_EVENT, UTC)["content_hash"]
    assert stored["input_tokens"] == 10 and stored["output_tokens"] == 5

    within = ingest_lines(
        engine, [json.dumps({**FULL_EVENT, "event_id": "e-2"}),
                 json.dumps({**changed, "event_id": "e-2"})], zone=UTC,
    )
    assert (within.accepted, within.duplicates, within.rejected) == (1, 0, 1)


def test_the_conflict_cases_cover_every_hashed_field():
    class Reads(dict):
        def __getitem__(self, key):  # noqa: ANN001, ANN204
            read.add(key)

    read: set[str] = set()
    usage_event._HASHED(Reads())
    assert read - {"event_id"} == set(CHANGES)


def test_duplicate_across_chunks_of_one_file_is_counted_once(engine):
    lines = [_event(f"e-{n}") for n in range(12)] + [_event("e-3")]
    from billing.ledger import metering

    rows = metering.reader_for("native")(lines)
    result = metering.ingest_rows(engine, rows, zone=UTC, chunk_size=5)
    assert (result.accepted, result.duplicates) == (12, 1)


def test_quarantined_row_fixed_and_replayed_lands_once(engine):
    ingest_lines(engine, (USAGE / "native.jsonl").open(), zone=UTC)
    bad_time = next(row for row in list_rows(engine) if row["field"] == "occurred_at")
    untouched = replay_quarantine(engine, zone=UTC)
    assert (untouched.replayed, untouched.still_rejected) == (0, 4)

    fix_row(engine, bad_time["id"], {"occurred_at": "2026-10-02T10:00:00Z"})
    replayed = replay_quarantine(engine, zone=UTC)
    assert replayed.replayed == 1 and replayed.still_rejected == 3
    assert _count(engine) == 5
    assert replay_quarantine(engine, zone=UTC).replayed == 0
    assert _count(engine) == 5


def test_a_fixed_copy_ingested_separately_supersedes_the_quarantined_row(engine):
    ingest_lines(engine, (USAGE / "native.jsonl").open(), zone=UTC)
    ingest_lines(engine, [_event("nat-0006", team="sales")], zone=UTC)
    result = replay_quarantine(engine, zone=UTC)
    assert result.superseded == 1
    statuses = {row["event_id"]: row["status"] for row in list_rows(engine, status="all")}
    assert statuses["nat-0006"] == "superseded"
    assert statuses["nat-0005"] == "pending"


def test_discarded_row_stays_on_record(engine):
    ingest_lines(engine, ["not json"], zone=UTC)
    row = list_rows(engine)[0]
    discard_row(engine, row["id"])
    assert list_rows(engine) == []
    assert list_rows(engine, status="discarded")[0]["raw"] == "not json"


@pytest.mark.parametrize("field,value", [
    ("input_tokens", "²"),
    ("output_tokens", "١٢"),
    ("occurred_at", "9999-12-31T23:59:59-12:00"),
    ("occurred_at", "0001-01-01T00:00:00+14:00"),
])
def test_a_file_row_with_a_bad_value_is_rejected_by_field_and_the_good_rows_land(
        engine, field, value):
    lines = [_event("bad-1", **{field: value}), _event("good-1"), _event("good-2")]
    result = ingest_lines(engine, lines, zone=UTC, source="bad-values.jsonl")
    assert (result.accepted, result.rejected) == (2, 1)
    assert [(error.row, error.field) for error in result.errors] == [(1, field)]
    assert _count(engine) == 2
    assert _count(engine, QuarantinedRow.__table__) == 1


def test_a_csv_row_with_unicode_digits_is_rejected_by_field(engine):
    header = "event_id,occurred_at,team,model,input_tokens,output_tokens"
    lines = [header, "c-1,2026-10-05T10:00:00Z,support,gpt-4o-mini,²,5",
             "c-2,2026-10-05T10:00:00Z,support,gpt-4o-mini,10,5"]
    result = ingest_lines(engine, lines, zone=UTC, fmt="csv", source="bad.csv")
    assert (result.accepted, result.rejected) == (1, 1)
    assert [error.field for error in result.errors] == ["input_tokens"]
