"""The native (JSON lines) and CSV readers keep each record's row number and original text."""

from pathlib import Path

import pytest

from billing.ledger.formats import csv as csv_format
from billing.ledger.formats import native

USAGE = Path(__file__).parent.parent / "fixtures" / "usage"


def test_native_lines_keep_row_numbers_and_report_bad_json():
    rows = list(native.read((USAGE / "native.jsonl").open()))
    assert [row.row for row in rows] == list(range(1, 10))
    assert rows[0].data["event_id"] == "nat-0001"
    broken = rows[7]
    assert broken.data is None and "invalid JSON" in broken.error
    assert rows[8].data["event_id"] == "nat-0008"


def test_native_reads_a_json_array_too():
    rows = list(native.read(['[{"event_id": "a"},\n', ' {"event_id": "b"}, 3]']))
    assert [row.data["event_id"] for row in rows[:2]] == ["a", "b"]
    assert rows[2].error == "each array element must be a JSON object"


def test_csv_columns_become_event_fields_and_tag_columns_become_tags():
    rows = list(csv_format.read((USAGE / "usage.csv").open(newline="")))
    first = rows[0].data
    assert first["event_id"] == "csv-0001"
    assert first["input_tokens"] == "900"
    assert first["tags"] == {"cost_center": "cc-100"}
    assert "customer" not in first
    assert rows[0].row == 2
    short = rows[-1]
    assert short.data is None and "columns" in short.error and short.row == 7
    replayed = list(csv_format.read(short.raw.splitlines(keepends=True)))
    assert replayed[0].error == short.error


@pytest.mark.parametrize(("line", "field"), [
    ('{"event_id": "x", "team": "a", "team": "b"}', "team"),
    ('{"event_id": "x", "tags": {"k": "1", "k" : "2"}}', "k"),
    ('{"event_id": "x", "note": "\\":", "team": "a", "team": "b"}', "team"),
    ('{"event_id": "x", "tags": [{"k": 1}, {"k": 1, "k": 2}]}', "k"),
    ('{"event_id":"x","team":"a","team":"b"}', "team"),
    ('{"event_id":"x","team":"b","team":"b"}', "team"),
    ('{"event_id": "x", "note": "a: b, c", "team": "a", "team": "a"}', "team"),
    ('{"event_id": "x", "tags": [1, 2, {"k": "v", "k": "v"}]}', "k"),
    ('{"event_id":"x","team":"a","team"  :"b"}', "team"),  # two spaces before the colon
    ('{"event_id":"x","team":"a","team" \t:"b"}', "team"),
    ('{"event_id":"x","team":"a","team"\t :"b"}', "team"),
])
def test_a_duplicate_key_is_caught_wherever_it_hides(line, field):
    [row] = list(native.read([line]))
    assert row.data is None and row.field == field and "more than once" in row.error


@pytest.mark.parametrize("team", ['"a"', '"b"'])
def test_a_duplicate_key_in_a_compact_array_rejects_only_its_row(team):
    text = f'[{{"event_id":"x","team":"a","team":{team}}},{{"event_id":"y","team":"a"}}]'
    first, second = list(native.read([text]))
    assert first.data is None and first.field == "team"
    assert second.error is None and second.data == {"event_id": "y", "team": "a"}


def test_compact_rows_without_duplicates_are_read_as_sent():
    rows = list(native.read(['{"event_id":"x","tags":{"k":"1"}}', '{"event_id":"w"}']))
    assert [row.data for row in rows] == [{"event_id": "x", "tags": {"k": "1"}}, {"event_id": "w"}]
    rows = list(native.read(['[{"event_id":"y"},{"event_id":"z"}]']))
    assert [row.data for row in rows] == [{"event_id": "y"}, {"event_id": "z"}]


def test_a_deep_object_without_duplicates_is_read_not_crashed():
    [row] = list(native.read(['{"a":' * 1020 + "1" + "}" * 1020]))
    assert row.error is None and row.data is not None
