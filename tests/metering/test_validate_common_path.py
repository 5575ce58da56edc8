"""Ingest's common path for plain events makes the very row, hash and error the full rules do."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.demo_data import generate
from billing.ledger import usage_event
from billing.ledger.usage_event import InvalidEvent, validate

NOW = datetime(2026, 11, 15, 12, tzinfo=UTC)
ZONES = [ZoneInfo("UTC"), ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Sao_Paulo")]
TEXTS = [None, "", " ", "support", " support", "support ", "a/b", "e\u0301", "x" * 200, "x" * 201,
         "Ünïcode team", 7, True, ["support"], {"a": "b"}]
COUNTS = [None, "", 0, 1, -1, 2**62 - 1, 2**62, "12", " 12 ", 3.0, 3.5, True, "x", [1]]
STAMPS = ["2026-10-31T23:30:00Z", "2026-10-31T23:30:00-02:00", "2026-11-01T00:00:00+09:00",
          "2026-10-31T23:30:00", "1999-12-31T23:59:59Z", "2026-11-20T00:00:00Z",
          "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "yesterday", "", None, 5,
          "2026-10-31 23:30:00.123456+05:30", "2026-W44-6T10:00:00Z"]
VALUES = {
    "event_id": ["evt-1", " evt-1", "evt-1 ", "e", "e" * 200, "", None, 1, "e" * 201],
    "occurred_at": STAMPS,
    "team": TEXTS,
    "use_case": TEXTS,
    "customer": TEXTS,
    "provider": TEXTS,
    "prompt_version": TEXTS,
    "model": ["gpt-4o-mini", " gpt-4o-mini", "", None, 4],
    "environment": [None, "", "production", "staging ", "Prod", "sandbox", 1],
    "tier": [None, "", "good", "best ", "premium", 2],
    "input_tokens": COUNTS,
    "output_tokens": COUNTS,
    "cached_input_tokens": COUNTS,
    "cache_write_input_tokens": COUNTS,
    "requests": COUNTS,
    "tags": [None, {}, {"project": "p1"}, {"b": "2", "a": "1"}, {"bad/key": "1"},
             {"project": 1}, "p1", []],
    "call_status": ["ok", "failed"],
    "latency_ms": [None, "", 0, 850, 3_600_000, 3_600_001, -1, 12.5, "900", "fast", True,
                   float("nan"), 10**30, [1]],
    "status": [None, "", "ok", "error", "rate_limited", "timeout", "refused", " ok", "OK",
               "failed", 1, ["ok"]],
    "colour": ["blue"],
}
FIELDS = {key: st.sampled_from(values) for key, values in VALUES.items()}
GOOD = {"event_id": "evt-1", "occurred_at": "2026-10-31T23:30:00-02:00", "team": "support",
        "use_case": "support-copilot", "customer": "acme", "provider": "openai",
        "model": "gpt-4o-mini", "input_tokens": 1200, "output_tokens": 300, "requests": 2}
EDITS = st.lists(st.sampled_from(sorted(FIELDS)), max_size=3, unique=True).flatmap(
    lambda keys: st.fixed_dictionaries({key: FIELDS[key] for key in keys}))
EVENTS = st.tuples(st.lists(st.sampled_from(sorted(GOOD)), max_size=2), EDITS).map(
    lambda change: {key: value for key, value in GOOD.items() if key not in change[0]}
    | change[1])


def _outcome(data: object, zone: ZoneInfo, full: bool) -> object:
    check = usage_event._validate if full else validate
    try:
        return check(data, zone, now=NOW)
    except InvalidEvent as exc:
        return (exc.field, exc.message)


@settings(max_examples=400, deadline=None)
@given(data=EVENTS, zone=st.sampled_from(ZONES))
def test_any_record_gets_the_same_row_or_error_as_the_full_rules(data, zone):
    assert _outcome(data, zone, full=False) == _outcome(data, zone, full=True)


@pytest.fixture(autouse=True)
def _no_remembered_checks():
    """The common path remembers checked labels and period names; a test starts without them
    so that what it checks is computed, not recalled from an earlier test."""
    usage_event._checked_labels.clear()
    usage_event._periods.clear()


@pytest.mark.parametrize("zone", ZONES, ids=str)
def test_every_listed_value_of_every_field_alone_and_every_field_left_out(zone):
    """The property test samples; this walks every edge once, so a common path that accepts
    one value more than the full rules (a limit, a trailing space) cannot hide."""
    cases = [GOOD | {key: value} for key, values in VALUES.items() for value in values]
    cases += [{k: v for k, v in GOOD.items() if k != key} for key in GOOD]
    cases += [GOOD | {"occurred_at": "2026-10-15T10:00:00Z"},
              GOOD | {"occurred_at": "2026-11-15T12:05:00Z"}]
    for data in cases:
        assert _outcome(data, zone, full=False) == _outcome(data, zone, full=True), data


def test_the_demo_months_events_take_the_common_path_and_match_the_full_rules():
    records = []
    for line in generate("2026-10", 400, 5):
        try:
            records.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            continue
    common = [usage_event._common(data, ZONES[1], False, NOW) for data in records]
    # events naming a project (the demo's shared projects, a few in a hundred) take the full path
    assert sum(row is not None for row in common) >= 370
    for data, row in zip(records, common, strict=True):
        if row is not None:
            assert row == usage_event._validate(data, ZONES[1], now=NOW)
