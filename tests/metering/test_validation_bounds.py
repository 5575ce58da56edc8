"""Bounds of the usage-event contract that hold on every path: a label's length, an empty label,
the host's own time zone, and the one clock a chunk is measured against."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from billing.ledger import metering, usage_event
from billing.ledger.metering import ingest_lines
from billing.ledger.usage_event import MAX_TEXT, InvalidEvent, validate
from billing.models import UsageEvent

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)
EVENT = {"event_id": "e-1", "occurred_at": "2026-10-05T10:00:00Z", "model": "gpt-4o-mini",
         "input_tokens": 10, "output_tokens": 5}
LABELS = ("team", "use_case", "customer", "project", "provider", "prompt_version")


@pytest.fixture(autouse=True)
def _no_remembered_checks():
    usage_event._checked_labels.clear()


@pytest.mark.parametrize("name", LABELS)
def test_a_label_one_character_too_long_is_refused_by_name(name: str):
    assert validate({**EVENT, name: "x" * MAX_TEXT}, ZoneInfo("UTC"), now=NOW)[name] == \
        "x" * MAX_TEXT
    with pytest.raises(InvalidEvent) as refused:
        validate({**EVENT, name: "x" * (MAX_TEXT + 1)}, ZoneInfo("UTC"), now=NOW)
    assert (refused.value.field, refused.value.message) == (
        name, f"{name} is {MAX_TEXT + 1} characters; at most {MAX_TEXT} allowed")


@pytest.mark.parametrize("name", LABELS)
@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_label_is_no_label(name: str, value: str):
    """An empty CSV cell is stored as NULL, so it groups with events that never had it."""
    assert validate({**EVENT, name: value}, ZoneInfo("UTC"), now=NOW)[name] is None


@pytest.mark.parametrize("extra", [{}, {"project": "p1"}, {"service_tier": "batch"}],
                         ids=["plain", "project", "billing"])
def test_the_hosts_time_zone_changes_no_row_and_no_hash(monkeypatch, extra: dict):
    """A server whose clock runs in New York stores and fingerprints the very rows a UTC one
    does: otherwise its resends of the same events would be conflicts."""
    data = {**EVENT, **extra, "occurred_at": "2026-10-31T20:00:00-02:00"}
    in_utc = validate(data, ZoneInfo("Asia/Tokyo"), now=NOW)
    usage_event._checked_labels.clear()
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        elsewhere = validate(data, ZoneInfo("Asia/Tokyo"), now=NOW)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert elsewhere["occurred_at"].isoformat() == "2026-10-31T22:00:00+00:00"
    assert elsewhere == in_utc
    assert usage_event.ledger_tuple(elsewhere | {"batch_id": 1})[1] == \
        "2026-10-31 22:00:00.000000"


def test_a_chunk_is_measured_against_the_clock_read_once_for_it(engine, monkeypatch):
    """`billing ingest` reads the clock once per chunk: every event of the chunk is in or out
    of the window by the same instant (here an ingest clock of 2020-01-15)."""
    monkeypatch.setattr(metering, "_now", lambda: datetime(2020, 1, 15, tzinfo=UTC))
    lines = [json.dumps({**EVENT, "event_id": "e-in", "occurred_at": "2020-01-16T00:00:00Z"}),
             json.dumps({**EVENT, "event_id": "e-late", "occurred_at": "2020-01-16T00:00:01Z"})]
    result = ingest_lines(engine, lines, zone=ZoneInfo("UTC"))
    assert (result.accepted, result.rejected) == (1, 1)
    [late] = result.errors
    assert (late.event_id, late.field) == ("e-late", "occurred_at")
    assert "more than a day after now (2020-01-15T00:00Z)" in late.message
    with engine.connect() as connection:
        stored = connection.execute(select(UsageEvent.__table__.c.event_id)).scalars().all()
    assert stored == ["e-in"]


CSV_HEADER = "event_id,occurred_at,team,model,input_tokens,output_tokens"


def test_a_csv_row_takes_the_billing_zone_for_its_day(engine):
    """CSV rows are read to dicts and validated row by row (not the JSON lines decoder): an
    event at 23:30 UTC on the last day of October is a November usage in Berlin, whatever zone
    the host runs in."""
    lines = [CSV_HEADER, "e-csv-1,2026-10-31T23:30:00Z,search,gpt-4o-mini,10,5"]
    result = ingest_lines(engine, lines, zone=ZoneInfo("Europe/Berlin"), fmt="csv")
    assert (result.accepted, result.rejected) == (1, 0)
    with engine.connect() as connection:
        day, period = connection.execute(select(UsageEvent.__table__.c.usage_date,
                                                UsageEvent.__table__.c.period)).one()
    assert (str(day), period) == ("2026-11-01", "2026-11")


def test_a_csv_chunk_is_measured_against_the_ingest_clock(engine, monkeypatch):
    """The CSV path reads the same one clock per chunk as JSON lines: with an ingest clock of
    2020-01-15, an event a second past the day's slack is refused by name."""
    monkeypatch.setattr(metering, "_now", lambda: datetime(2020, 1, 15, tzinfo=UTC))
    lines = [CSV_HEADER, "e-in,2020-01-16T00:00:00Z,search,gpt-4o-mini,10,5",
             "e-late,2020-01-16T00:00:01Z,search,gpt-4o-mini,10,5"]
    result = ingest_lines(engine, lines, zone=ZoneInfo("UTC"), fmt="csv")
    assert (result.accepted, result.rejected) == (1, 1)
    [late] = result.errors
    assert (late.event_id, late.field, late.row) == ("e-late", "occurred_at", 3)


BATCH = {**EVENT, "service_tier": "batch"}  # a billing field: the full rules, not the decoder


def test_a_json_line_the_decoder_leaves_takes_the_billing_zone_and_the_batch(engine):
    """A JSON line with a billing field is read and validated row by row: it takes the billing
    zone for its day (not the host's) and the ingest batch it came in."""
    line = json.dumps({**BATCH, "occurred_at": "2026-10-31T23:30:00Z"})
    result = ingest_lines(engine, [line], zone=ZoneInfo("Europe/Berlin"))
    assert (result.accepted, result.rejected) == (1, 0)
    table = UsageEvent.__table__
    with engine.connect() as connection:
        day, period, batch = connection.execute(
            select(table.c.usage_date, table.c.period, table.c.batch_id)).one()
    assert (str(day), period, batch) == ("2026-11-01", "2026-11", result.batch_id)


def test_a_json_line_the_decoder_leaves_is_a_backfill_when_told(engine):
    line = json.dumps({**BATCH, "occurred_at": "1999-12-31T23:00:00Z"})
    refused = ingest_lines(engine, [line], zone=ZoneInfo("UTC"))
    assert (refused.accepted, refused.rejected) == (0, 1)
    taken = ingest_lines(engine, [line], zone=ZoneInfo("UTC"), backfill=True)
    assert (taken.accepted, taken.rejected) == (1, 0)
