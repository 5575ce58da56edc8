"""The usage-event contract at its edges: whitespace, limits, the date window, tags, time zones
and the message and field each refusal names; and what ingest reports per row."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from billing import identifiers
from billing.ledger.metering import ingest_lines
from billing.ledger.usage_event import BACKFILL_HINT, InvalidEvent, validate
from billing.models import UsageEvent

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)
EVENT = {"event_id": "e-1", "occurred_at": "2026-10-05T10:00:00Z", "model": "gpt-4o-mini",
         "input_tokens": 10, "output_tokens": 5}
BIG = 2**62


def _valid(**changes) -> dict:  # noqa: ANN003
    return validate({**EVENT, **changes}, ZoneInfo("UTC"), now=NOW)


def _refused(event: object, **options) -> tuple[str | None, str]:  # noqa: ANN003
    with pytest.raises(InvalidEvent) as refused:
        validate(event, ZoneInfo("UTC"), now=NOW, **options)
    return refused.value.field, refused.value.message


def test_text_is_stripped_of_surrounding_whitespace():
    row = _valid(team=" support", use_case="copilot ", customer="a", model=" gpt-4o-mini ",
                 tier="good ", environment=" staging", prompt_version=" " + "v" * 200 + " ")
    assert (row["team"], row["use_case"], row["customer"], row["model"], row["tier"],
            row["environment"]) == ("support", "copilot", "a", "gpt-4o-mini", "good", "staging")
    assert row["prompt_version"] == "v" * 200


def test_text_refusals_name_the_field():
    assert _refused({**EVENT, "model": "   "}) == ("model", "model is required")
    assert _refused({**EVENT, "team": 5}) == ("team", "team must be a string, got int")
    assert _refused({**EVENT, "tier": 5}) == ("tier", "tier must be a string, got int")
    assert _refused({**EVENT, "environment": 5}) == (
        "environment", "environment must be a string, got int")
    assert _refused({**EVENT, "environment": "Prod Env"}) == ("environment", (
        "environment 'Prod Env' is not a name like production or sandbox (lower case letters, "
        "digits, . _ -, up to 20 characters); the parties policy says which names are "
        "production"))
    assert _refused({**EVENT, "team": "a/b"}) == ("team", identifiers.problem("a/b", "team"))
    assert _refused([EVENT]) == (None, "an event must be a JSON object, got list")


def test_counts_at_their_limits():
    assert _valid(cached_input_tokens="", requests="")["cached_input_tokens"] == 0
    assert _valid(input_tokens=BIG - 1)["input_tokens"] == BIG - 1
    assert _valid(input_tokens=str(BIG - 1))["input_tokens"] == BIG - 1
    for value in (BIG, str(BIG), float(BIG)):
        assert _refused({**EVENT, "input_tokens": value}) == (
            "input_tokens", f"input_tokens is implausibly large ({BIG})")
    assert _refused({**EVENT, "output_tokens": -1}) == (
        "output_tokens", "output_tokens must be >= 0, got -1")
    assert _refused({**EVENT, "requests": 0}) == ("requests", "requests must be >= 1, got 0")


def test_the_date_window_and_its_backfill():
    assert _valid(occurred_at="2000-01-01T00:00:00Z")["period"] == "2000-01"
    assert _valid(occurred_at="2026-11-03T12:00:00Z")["period"] == "2026-11"  # now + 1 day
    assert _valid(occurred_at="2026-11-02T11:00:00Z")["period"] == "2026-11"  # an hour ago
    assert _refused({**EVENT, "occurred_at": "1999-12-31T23:59:59Z"}) == ("occurred_at", (
        f"occurred_at '1999-12-31T23:59:59Z' is before 2000-01-01; {BACKFILL_HINT}"))
    assert _refused({**EVENT, "occurred_at": "2026-11-03T12:00:01Z"}) == ("occurred_at", (
        "occurred_at '2026-11-03T12:00:01Z' is more than a day after now (2026-11-02T12:00Z); "
        f"check the sender's clock, or {BACKFILL_HINT}"))
    old = validate({**EVENT, "occurred_at": "1999-12-31T23:59:59Z"}, ZoneInfo("UTC"),
                   backfill=True, now=NOW)
    assert old["period"] == "1999-12"


def test_timestamps_a_ledger_cannot_hold_are_refused():
    for value in ("9999-12-31T12:00:00Z", "0001-01-02T00:00:00Z"):
        assert _refused({**EVENT, "occurred_at": value}, backfill=True) == (
            "occurred_at", f"occurred_at {value!r} is outside the years a ledger can hold")
    assert _refused({**EVENT, "occurred_at": 5}) == (
        "occurred_at", "occurred_at is required: an RFC 3339 timestamp with a zone")


def test_the_billing_zone_decides_the_period_and_the_time_is_stored_in_utc(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        row = validate({**EVENT, "occurred_at": "2026-10-31T20:00:00-02:00"},
                       ZoneInfo("Asia/Tokyo"), now=NOW)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert (row["period"], str(row["usage_date"])) == ("2026-11", "2026-11-01")
    assert row["occurred_at"] == datetime(2026, 10, 31, 22, tzinfo=UTC)
    assert row["occurred_at"].utcoffset() == timedelta(0)


def test_tags_are_checked_by_name_and_stored_in_key_order():
    row = _valid(tags={"b": "2", "a": "1"})
    assert row["tags"] == '{"a":"1","b":"2"}'
    assert _refused({**EVENT, "tags": {"bad/key": "x"}}) == (
        "tags.bad/key", identifiers.problem("bad/key", "tag name"))


def test_ingest_reports_each_refused_row_with_its_id_field_and_message(engine):
    lines = [json.dumps({**EVENT, "event_id": "e-1"}),
             json.dumps({**EVENT, "event_id": 7, "model": ""}),
             json.dumps({**EVENT, "event_id": "e-old", "occurred_at": "1999-12-31T00:00:00Z"}),
             json.dumps({**EVENT, "event_id": "e-tokyo", "occurred_at": "2026-10-31T20:00:00Z"}),
             '{"event_id": "e-keys", "model": "a", "model": "b", "input_tokens": 1}',
             json.dumps({**EVENT, "event_id": "e-2"}),
             json.dumps({**EVENT, "event_id": "e-2", "output_tokens": 6})]
    result = ingest_lines(engine, lines, zone=ZoneInfo("Asia/Tokyo"))
    # an event_id that is no string is not echoed as one
    assert [(error.event_id, error.field) for error in result.errors] == [
        (None, "event_id"), ("e-old", "occurred_at"), (None, "model"), ("e-2", "event_id")]
    assert result.errors[-1].message.startswith("event_id 'e-2' is already in the ledger")
    again = ingest_lines(engine, [json.dumps({**EVENT, "event_id": "e-1", "input_tokens": 11}),
                                  json.dumps({**EVENT, "event_id": "e-old",
                                              "occurred_at": "1999-12-31T00:00:00Z"})],
                         zone=ZoneInfo("Asia/Tokyo"), backfill=True)
    assert (again.accepted, again.rejected) == (1, 1)
    [conflict] = again.errors
    assert (conflict.event_id, conflict.field, conflict.message) == ("e-1", "event_id", (
        "event_id 'e-1' is already in the ledger with different content; usage is never "
        "overwritten: send a new event_id for new usage"))
    table = UsageEvent.__table__
    with engine.connect() as connection:
        stored = {row.event_id: row for row in connection.execute(select(table))}
    assert stored["e-tokyo"].period == "2026-11"
    assert {row.batch_id for row in stored.values()} == {result.batch_id, again.batch_id}
    assert stored["e-old"].batch_id == again.batch_id and result.batch_id != again.batch_id


def test_events_another_ingest_wrote_after_our_look_up_are_compared_not_counted(
    engine, monkeypatch
):
    """Two ingests of the same events at once: the other one writes just before our insert.
    Its events are duplicates or conflicts of ours, never counted as accepted twice."""
    from billing.ledger import metering

    ingest_lines(engine, [json.dumps({**EVENT, "event_id": "e-old"})], zone=UTC)
    other = ingest_lines(engine, [], zone=UTC).batch_id
    land = metering._land

    def lose_the_race_then_land(connection, rows, *rest):  # noqa: ANN001, ANN002, ANN202
        monkeypatch.setattr(metering, "_land", land)
        theirs = [validate({**EVENT, "event_id": event_id, "input_tokens": tokens},
                           ZoneInfo("UTC"), now=NOW) | {"batch_id": other}
                  for event_id, tokens in (("e-same", 10), ("e-diff", 99))]
        assert metering.write_events(connection, theirs) == 2
        return land(connection, rows, *rest)

    monkeypatch.setattr(metering, "_land", lose_the_race_then_land)
    ours = [json.dumps({**EVENT, "event_id": event_id})
            for event_id in ("e-old", "e-same", "e-diff", "e-new")]
    result = ingest_lines(engine, ours, zone=UTC)
    assert (result.accepted, result.duplicates, result.rejected) == (1, 2, 1)
    assert [(error.event_id, error.field) for error in result.errors] == [("e-diff", "event_id")]
    table = UsageEvent.__table__
    with engine.connect() as connection:
        stored = {row.event_id: (row.batch_id, row.input_tokens)
                  for row in connection.execute(select(table))}
    assert stored["e-same"] == (other, 10) and stored["e-diff"] == (other, 99)
    assert stored["e-new"] == (result.batch_id, 10)
