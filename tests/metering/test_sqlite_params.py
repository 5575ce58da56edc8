"""SQLite insert parameters cut from the timestamp as sent are exactly the ones formatted from
the parsed time (issue 19: formatting each row's timestamp cost as much as validating it)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import orjson

from billing.demo_data import generate
from billing.ledger.usage_event import LEDGER_COLUMNS, InvalidEvent, ledger_tuple, validate

NOW = datetime(2026, 12, 1, tzinfo=UTC)
STAMPS = ("2026-10-05T10:00:00Z", "2026-10-05T10:00:00.250Z", "2026-10-05T10:00:00+02:00",
          "2026-10-05T23:30:00-02:00", "2026-10-05 10:00:00Z", "2026-W41-1T10:00:00Z",
          "2026-10-05T10:00:00z", "20261005T100000Z", "2026-10-05T10:00:00.000000+00:00")


def _formatted(row: dict) -> tuple:
    values = [row[name] for name in LEDGER_COLUMNS]
    values[1] = values[1].isoformat(" ", "microseconds")[:26]
    values[3] = values[3].isoformat()
    return tuple(values)


def test_parameters_match_the_formatted_timestamps():
    records = []
    for line in generate("2026-10", 300, 7):
        try:
            records.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            continue
    records += [{"event_id": f"s{n}", "occurred_at": stamp, "model": "m", "input_tokens": 1,
                 "output_tokens": 1} for n, stamp in enumerate(STAMPS)]
    rows = []
    for zone in (ZoneInfo("UTC"), ZoneInfo("America/Sao_Paulo")):
        for data in records:
            try:
                rows.append(validate(data, zone, now=NOW) | {"batch_id": 1})
            except InvalidEvent:
                continue
    assert len(rows) > 500
    assert [ledger_tuple(row) for row in rows] == [_formatted(row) for row in rows]
