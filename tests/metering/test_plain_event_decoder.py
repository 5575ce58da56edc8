"""The typed decoder for plain JSON lines makes the very row (every column, the content hash)
the native reader and the full rules make, and leaves every other line to them, so each
rejection reads word for word as before."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.demo_data import generate
from billing.ledger import metering, plain_event, usage_event
from billing.ledger.formats.native import read
from billing.ledger.usage_event import InvalidEvent, ledger_tuple, validate

NOW = datetime(2026, 11, 15, 12, tzinfo=UTC)
ZONES = [ZoneInfo("UTC"), ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Sao_Paulo")]
TEXTS = [None, "", " ", "support", " support", "support ", "a/b", "e\u0301", "x" * 200, "x" * 201,
         "Ünïcode team", "😀" * 200, 7, True, ["support"], {"a": "b"}]
COUNTS = [None, "", 0, 1, -1, 2**62 - 1, 2**62, 2**70, "12", 3.0, 3.5, True, "x", [1]]
VALUES = {
    "event_id": ["evt-1", " evt-1", "evt-1 ", "e", "e" * 200, "é" * 200, "", None, 1, "e" * 201,
                 'say "hi": twice'],
    "occurred_at": ["2026-10-31T23:30:00Z", "2026-10-31T23:30:00-02:00", "2026-10-31T23:30:00",
                    "1999-12-31T23:59:59Z", "2026-11-20T00:00:00Z", "0001-01-01T00:00:00+01:00",
                    "9999-12-31T23:59:59-01:00", "yesterday", "", None, 5,
                    "2026-10-31 23:30:00.123456+05:30", "2026-W44-6T10:00:00Z",
                    "2026-10-31T23:30:00.5Z", "2026-02-30T10:00:00Z"],
    "team": TEXTS, "use_case": TEXTS, "customer": TEXTS, "provider": TEXTS,
    "prompt_version": TEXTS, "project": TEXTS,
    "model": ["gpt-4o-mini", " gpt-4o-mini", "", None, 4],
    "environment": [None, "", "production", "staging ", "Prod", "sandbox", 1],
    "tier": [None, "", "good", "best ", "premium", 2],
    "input_tokens": COUNTS, "output_tokens": COUNTS, "cached_input_tokens": COUNTS,
    "cache_write_input_tokens": COUNTS, "requests": COUNTS,
    "tags": [None, {}, {"project": "p1"}, {"b": "2", "a": "1"}, {"bad/key": "1"},
             {"project": 1}, "p1", [], {"k": "v:\"x\""}],
    "call_status": ["ok", "failed"],
    "latency_ms": [None, "", 0, 850, 3_600_000, 3_600_001, -1, 12.5, "900", True, 10**30],
    "status": [None, "", "ok", "error", "refused", " ok", "OK", "failed", 1],
    "colour": ["blue"],
}
GOOD = {"event_id": "evt-1", "occurred_at": "2026-10-31T23:30:00-02:00", "team": "support",
        "use_case": "support-copilot", "customer": "acme", "provider": "openai",
        "model": "gpt-4o-mini", "input_tokens": 1200, "output_tokens": 300, "requests": 2}
FIELDS = {key: st.sampled_from(values) for key, values in VALUES.items()}
EDITS = st.lists(st.sampled_from(sorted(FIELDS)), max_size=3, unique=True).flatmap(
    lambda keys: st.fixed_dictionaries({key: FIELDS[key] for key in keys}))
EVENTS = st.tuples(st.lists(st.sampled_from(sorted(GOOD)), max_size=2), EDITS).map(
    lambda change: {key: value for key, value in GOOD.items() if key not in change[0]}
    | change[1])


def _text(data: dict, style: str, repeat: str | None) -> str:
    """One event written the ways senders write it; `repeat` writes that key a second time."""
    if style == "compact":
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    elif style == "spaced":
        text = json.dumps(data)
    elif style == "ascii":
        text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    else:  # a space before each colon, as some hand-written files have
        text = json.dumps(data, separators=(",", " :"), ensure_ascii=False)
    if repeat is not None and text.startswith("{") and len(text) > 2:
        text = f'{{"{repeat}":"other",{text[1:]}'
    return text


def _slow(line: str, zone: ZoneInfo) -> object:
    rows = list(read([line]))
    if not rows:
        return None
    (row,) = rows
    if row.data is None:
        return ("error", row.field, row.error)
    try:
        return ledger_tuple(validate(row.data, zone, now=NOW) | {"batch_id": None})
    except InvalidEvent as exc:
        return ("error", exc.field, exc.message)


@pytest.fixture(autouse=True)
def _no_remembered_checks():
    """Both paths remember checked labels; each test starts without them."""
    usage_event._checked_labels.clear()
    usage_event._periods.clear()
    plain_event._checked.clear()
    plain_event._checked_tags.clear()


@settings(max_examples=int(os.environ.get("BILLING_DECODER_EXAMPLES", "600")), deadline=None)
@given(data=EVENTS, zone=st.sampled_from(ZONES),
       style=st.sampled_from(["compact", "spaced", "ascii", "colon"]),
       repeat=st.sampled_from([None, None, None, "team", "input_tokens", "model", "colour"]),
       as_bytes=st.booleans())
def test_a_decoded_line_is_the_row_the_reader_and_the_full_rules_make(data, zone, style,
                                                                      repeat, as_bytes):
    line = _text(data, style, repeat)
    fast = plain_event.decode(line.encode() if as_bytes else line, zone, False, NOW)
    if fast is not None:
        assert fast == _slow(line, zone)


@pytest.mark.parametrize("zone", ZONES, ids=str)
def test_every_listed_value_alone_is_decoded_as_the_full_rules_make_it_or_left_to_them(zone):
    """The property test samples; this walks every value of every field once."""
    cases = [GOOD | {key: value} for key, values in VALUES.items() for value in values]
    cases += [{k: v for k, v in GOOD.items() if k != key} for key in GOOD]
    for data in cases:
        for style in ("compact", "spaced", "ascii", "colon"):
            line = _text(data, style, None)
            fast = plain_event.decode(line, zone, False, NOW)
            if fast is not None:
                assert fast == _slow(line, zone), line


def test_a_key_given_twice_is_left_to_the_reader_which_refuses_it():
    line = '{"team":"a",' + orjson.dumps(GOOD).decode()[1:]
    assert plain_event.decode(line, ZONES[0], False, NOW) is None
    assert _slow(line, ZONES[0])[:2] == ("error", "team")
    tags = orjson.dumps(GOOD | {"tags": {"k": "1"}}).decode().replace('{"k"', '{"k":"0","k"')
    assert plain_event.decode(tags, ZONES[0], False, NOW) is None
    assert _slow(tags, ZONES[0])[:2] == ("error", "k")


def test_the_demo_months_lines_are_decoded_and_match_the_full_rules():
    lines = list(generate("2026-10", 2000, 5))
    decoded = [plain_event.decode(line, ZONES[1], False, NOW) for line in lines]
    assert sum(row is not None for row in decoded) >= 1950  # all but the demo's broken rows
    for line, row in zip(lines, decoded, strict=True):
        if row is not None:
            assert row == _slow(line, ZONES[1])


@pytest.mark.parametrize("zone", ZONES, ids=str)
def test_a_chunk_of_lines_prepares_as_the_reader_and_the_rules_prepare_it(zone, monkeypatch):
    """Whole chunks agree too: the same outcomes, rows and repeats, in the same order, with
    blank lines and broken lines where they fall."""
    monkeypatch.setattr(metering, "_now", lambda: NOW)
    lines = list(generate("2026-10", 300, 9))
    lines[5:5] = ["", "   ", lines[7], "[1, 2]", "{broken", lines[9].replace("}", ',"x":1}'),
                  orjson.dumps(GOOD | {"event_id": "too-old",
                                       "occurred_at": "1999-12-31T23:00:00Z"}).decode()]
    numbered = list(enumerate(lines, start=40))
    fast = metering._prepare_lines(numbered, zone, 7)
    rows = [row.__class__(row.row + 39, row.data, row.raw, row.error, row.field)
            for row in read(lines)]
    slow = metering._prepare(rows, zone, 7)
    assert fast.outcomes == slow.outcomes
    assert fast.candidates == slow.candidates
    assert fast.repeats == slow.repeats
    assert [fast.source(i) for i in range(len(fast.chunk))] == [
        slow.source(i) if slow.source(i).data is None else fast.source(i)
        for i in range(len(slow.chunk))]
    assert [fast.source(i).row for i in range(len(fast.chunk))] == [r.row for r in rows]
    assert [fast.source(i).raw for i in range(len(fast.chunk))] == [r.raw for r in rows]
    too_old = next(o for o in fast.outcomes if o is not None and o.event_id == "too-old")
    assert (too_old.status, too_old.field) == ("rejected", "occurred_at")
    # a plain line took the typed decoder: it stays (line number, text), never parsed to a dict
    assert sum(type(row) is tuple for row in fast.chunk) >= 290


def test_the_label_and_tag_checks_it_remembers_stay_within_their_bound(monkeypatch):
    monkeypatch.setattr(plain_event, "MAX_CACHED", 3)
    for number in range(10):
        line = orjson.dumps(GOOD | {"team": f"team-{number}", "tags": {f"k{number}": "v"}})
        row = plain_event.decode(line.decode(), ZONES[0], False, NOW)
        assert row is not None and row[4] == f"team-{number}"
        assert 0 < len(plain_event._checked) <= 3
        assert 0 < len(plain_event._checked_tags) <= 3


@pytest.mark.parametrize("stamp", ["1000-01-01T00:30:00+01:00", "1000-01-01T00:00:00Z",
                                   "1000-06-01T00:00:00Z", "1001-01-01T00:00:00+01:00"])
def test_a_backfill_at_the_first_year_a_period_names_is_the_full_rules_answer(stamp: str):
    """Year 1000 in its own zone can be year 999 in UTC, which no period names: the decoder
    leaves the first year to the full rules (once a ValueError out of the decoder)."""
    line = orjson.dumps(GOOD | {"occurred_at": stamp}).decode()
    fast = plain_event.decode(line, ZONES[0], True, NOW)
    rows = list(read([line]))
    try:
        slow: object = ledger_tuple(validate(rows[0].data, ZONES[0], backfill=True, now=NOW)
                                    | {"batch_id": None})
    except InvalidEvent as exc:
        slow = ("error", exc.field)
    assert fast is None or fast == slow


def test_the_hosts_time_zone_changes_no_decoded_row(monkeypatch):
    """An offset is converted to UTC, not to the zone the server's clock runs in."""
    line = orjson.dumps(GOOD).decode()
    in_utc = plain_event.decode(line, ZONES[1], False, NOW)
    plain_event._checked.clear()
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        elsewhere = plain_event.decode(line, ZONES[1], False, NOW)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert elsewhere is not None and elsewhere[1] == "2026-11-01 01:30:00.000000"
    assert elsewhere == in_utc


def test_bytes_are_decoded_as_their_text_is():
    """The HTTP body and a file part may hand the decoder bytes: the same rows, not a detour
    through the full rules."""
    lines = [line for line in generate("2026-10", 300, 5) if line.startswith("{")]
    as_text = [plain_event.decode(line, ZONES[0], False, NOW) for line in lines]
    as_bytes = [plain_event.decode(line.encode(), ZONES[0], False, NOW) for line in lines]
    assert sum(row is not None for row in as_bytes) >= 290
    assert as_bytes == as_text
