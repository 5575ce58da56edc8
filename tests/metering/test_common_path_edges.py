"""The common path takes every plain event, up to each edge of each bound, and remembers no more
than it may; most events are plain, so one it sends to the full rules makes ingest slower with
no other sign (test_validate_common_path.py proves both paths give the same row)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from billing.ledger import usage_event
from billing.ledger.metering import ingest_lines
from billing.ledger.usage_event import MAX_LATENCY_MS, MAX_TEXT, InvalidEvent

NOW = datetime(2026, 11, 15, 12, tzinfo=UTC)
PLAIN = {"event_id": "evt-1", "occurred_at": "2026-10-31T23:30:00Z", "model": "gpt-4o-mini",
         "input_tokens": 1200, "output_tokens": 300}
EVERY_FIELD = PLAIN | {
    "environment": "production", "tier": "good", "requests": 2, "tags": {"project": "p1"},
    "cached_input_tokens": 100, "cache_write_input_tokens": 50, "team": "support",
    "use_case": "copilot", "customer": "acme", "provider": "openai", "prompt_version": "v3",
    "latency_ms": 850, "status": "ok"}
EDGES = {
    "plain": PLAIN,
    "every common field": EVERY_FIELD,
    "no input tokens": PLAIN | {"input_tokens": 0},
    "no output tokens (an embedding)": PLAIN | {"output_tokens": 0},
    "requests given": PLAIN | {"requests": 1},
    "no cache fields given": {k: v for k, v in EVERY_FIELD.items()
                              if k not in ("cached_input_tokens", "cache_write_input_tokens")},
    "no requests given": {k: v for k, v in EVERY_FIELD.items() if k != "requests"},
    "largest counts": PLAIN | {"input_tokens": 2**62 - 1, "requests": 2**62 - 1},
    "latency zero": PLAIN | {"latency_ms": 0},
    "latency of an hour": PLAIN | {"latency_ms": MAX_LATENCY_MS},
    "one-character event id": PLAIN | {"event_id": "e"},
    "longest event id": PLAIN | {"event_id": "e" * MAX_TEXT},
    "first instant of 2000": PLAIN | {"occurred_at": "2000-01-01T00:00:00Z"},
    "now": PLAIN | {"occurred_at": "2026-11-15T12:00:00Z"},
    "a day after now": PLAIN | {"occurred_at": "2026-11-16T12:00:00Z"},
    "an offset": PLAIN | {"occurred_at": "2026-11-16T14:00:00+02:00"},
}


@pytest.fixture(autouse=True)
def _no_remembered_checks():
    usage_event._checked_labels.clear()
    usage_event._periods.clear()


@pytest.mark.parametrize("zone", [ZoneInfo("UTC"), UTC, ZoneInfo("Asia/Tokyo")], ids=str)
@pytest.mark.parametrize("name", EDGES)
def test_a_plain_event_at_each_edge_takes_the_common_path(name: str, zone: ZoneInfo):
    data = EDGES[name]
    row = usage_event._common(data, zone, False, NOW)
    assert row is not None, f"{name} left the common path"
    assert row == usage_event._validate(data, zone, now=NOW)


@pytest.mark.parametrize("stamp", ["1001-01-01T00:00:00Z", "1926-02-15T00:00:00Z",
                                   "2026-01-15T00:00:00Z", "9998-12-31T23:59:59Z"])
def test_a_backfill_takes_the_common_path_to_the_edge_of_the_years_a_ledger_holds(stamp: str):
    data = PLAIN | {"occurred_at": stamp}
    row = usage_event._common(data, ZoneInfo("UTC"), True, NOW)
    assert row is not None
    assert row == usage_event._validate(data, ZoneInfo("UTC"), backfill=True, now=NOW)


def test_months_a_century_apart_keep_their_own_period():
    """The common path remembers each month's period name; no two months may share one."""
    months = ["1926-02", "2026-01", "1926-01", "2025-12", "2026-02", "1927-01"]
    for month in months * 2:
        data = PLAIN | {"occurred_at": f"{month}-15T00:00:00Z"}
        assert usage_event.validate(data, ZoneInfo("UTC"), backfill=True,
                                    now=NOW)["period"] == month


def test_the_checked_labels_it_remembers_stay_within_their_bound(monkeypatch):
    monkeypatch.setattr(usage_event, "MAX_CACHED", 3)
    for number in range(10):
        row = usage_event.validate(PLAIN | {"team": f"team-{number}"}, ZoneInfo("UTC"), now=NOW)
        assert row["team"] == f"team-{number}"
        assert 0 < len(usage_event._checked_labels) <= 3


@pytest.mark.parametrize("stamp", ["0999-06-01T00:00:00Z", "0002-01-01T00:00:00Z",
                                   "1000-01-01T00:00:00Z", "1000-01-02T05:00:00+09:00"])
@pytest.mark.parametrize("extra", [{}, {"project": "p1"}], ids=["plain", "full"])
def test_a_backfill_before_the_years_a_period_names_is_refused_not_a_crash(stamp: str,
                                                                          extra: dict):
    """A period's year runs from 1000: an earlier time (two days inside, for any zone) is
    refused by name; it once escaped as a ValueError, a traceback for `ingest --allow-backfill`."""
    for zone in (ZoneInfo("UTC"), ZoneInfo("America/New_York")):
        with pytest.raises(InvalidEvent) as refused:
            usage_event.validate(PLAIN | extra | {"occurred_at": stamp}, zone, backfill=True,
                                 now=NOW)
        assert (refused.value.field, refused.value.message) == (
            "occurred_at", f"occurred_at {stamp!r} is outside the years a ledger can hold")


def test_ingest_quarantines_a_backfill_no_period_can_hold(engine):
    lines = [json.dumps(PLAIN | {"event_id": "e-old", "occurred_at": "0999-06-01T00:00:00Z"}),
             json.dumps(PLAIN | {"event_id": "e-ok", "occurred_at": "1001-06-01T00:00:00Z"})]
    result = ingest_lines(engine, lines, zone=ZoneInfo("UTC"), backfill=True)
    assert (result.accepted, result.rejected) == (1, 1)
    assert [(error.event_id, error.field) for error in result.errors] == [
        ("e-old", "occurred_at")]
