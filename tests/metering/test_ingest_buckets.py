"""Ingest of a provider's usage buckets (snapshots that can be restated) next to usage events:
each row's outcome, in order, with the event, field and message of a refusal, and the batch
that wrote each restatement; and the pure halves of the write path. SQLite, a handful of rows."""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from billing.ledger.formats import openai
from billing.ledger.formats.base import SourceRow
from billing.ledger.metering import RowOutcome, _prepare, compare_resend, ingest_lines
from billing.ledger.usage_event import LEDGER_COLUMNS
from billing.models import UsageEvent, UsageRestatement

UTC = ZoneInfo("UTC")
PAGE = json.loads((Path(__file__).parent.parent / "fixtures" / "usage"
                   / "openai_usage_completions_example.json").read_text())
DAY = 86_400


def _bucket(start: int, end: int, **counts) -> dict:  # noqa: ANN003
    bucket = json.loads(json.dumps(PAGE["data"][0]))
    bucket.update(start_time=start, end_time=end)
    bucket["results"][0].update(counts)
    return bucket


def _page(*buckets: dict) -> str:
    return json.dumps({**PAGE, "data": list(buckets)})


def _ingest(engine, *pages: str):  # noqa: ANN001, ANN202
    return ingest_lines(engine, list(pages), zone=UTC, fmt="openai", source="usage.json")


def _event_id(bucket: dict) -> str:
    [row] = openai.read([_page(bucket)])
    return row.data["event_id"]


def test_buckets_new_repeated_restated_and_overlapping_each_get_their_outcome(engine):
    start = PAGE["data"][0]["start_time"]
    first, second = _bucket(start, start + DAY), _bucket(start + DAY, start + 2 * DAY)
    result = _ingest(engine, _page(first, second))
    assert (result.accepted, result.duplicates, result.restated, result.rejected) == (2, 0, 0, 0)
    grown = _bucket(start, start + DAY, input_tokens=1_300)
    hourly = _bucket(start + DAY, start + DAY + 3_600)
    again = _ingest(engine, _page(grown, second, hourly))
    assert (again.accepted, again.duplicates, again.restated, again.rejected) == (0, 1, 1, 1)
    [refused] = again.errors
    assert (refused.row, refused.event_id, refused.field) == (3, _event_id(hourly), "start_time")
    assert refused.message == (
        "bucket 2026-10-10T00:00Z..2026-10-10T01:00Z (1h) overlaps the 1d bucket "
        "2026-10-10T00:00Z..2026-10-11T00:00Z already read from this report, so its usage "
        "would be counted twice; pull the report again with bucket_width=1d for this time")
    with engine.connect() as connection:
        stored = {row.event_id: row for row in connection.execute(
            select(UsageEvent.__table__))}
        [record] = connection.execute(select(UsageRestatement.__table__)).all()
    delta = stored[f"{_event_id(first)}~r1"]
    assert (delta.batch_id, delta.input_tokens, delta.requests) == (again.batch_id, 300, 0)
    assert stored[_event_id(first)].batch_id == result.batch_id
    assert (record.event_id, record.batch_id) == (_event_id(first), again.batch_id)
    assert len(stored) == 3


def test_a_bucket_repeated_in_one_file_is_a_duplicate_and_events_still_dedupe(engine):
    start = PAGE["data"][0]["start_time"]
    bucket = _bucket(start, start + DAY)
    result = _ingest(engine, _page(bucket), _page(bucket))
    assert (result.accepted, result.duplicates, result.rejected) == (1, 1, 0)
    event = {"event_id": "e-1", "occurred_at": "2026-10-05T10:00:00Z", "model": "gpt-4o-mini",
             "input_tokens": 10, "output_tokens": 5}
    lines = [json.dumps(event), json.dumps(event), json.dumps({**event, "input_tokens": 11})]
    native = ingest_lines(engine, lines, zone=UTC)
    assert (native.accepted, native.duplicates, native.rejected) == (1, 1, 1)
    assert [(error.row, error.event_id, error.field) for error in native.errors] == [
        (3, "e-1", "event_id")]


def test_a_resend_is_a_duplicate_of_its_event_and_a_conflict_says_what_to_do():
    assert compare_resend("e-1", "h", "h") == RowOutcome("duplicate", "e-1")
    assert compare_resend("e-1", "h", "other") == RowOutcome(
        "rejected", "e-1", "event_id", "event_id 'e-1' is already in the ledger with different "
        "content; usage is never overwritten: send a new event_id for new usage")


def test_preparing_a_chunk_keeps_the_date_window_unless_told_it_is_a_backfill():
    old = {"event_id": "e-old", "occurred_at": "1999-12-31T00:00:00Z", "model": "m",
           "input_tokens": 1, "output_tokens": 1}
    chunk = [SourceRow(1, old, json.dumps(old))]
    [refused] = _prepare(chunk, UTC, 7).outcomes
    assert (refused.status, refused.event_id, refused.field) == ("rejected", "e-old",
                                                                 "occurred_at")
    backfill = _prepare(chunk, UTC, 7, backfill=True)
    assert backfill.outcomes == [None] and backfill.chunk == chunk
    assert backfill.candidates["e-old"][1][LEDGER_COLUMNS.index("batch_id")] == 7
