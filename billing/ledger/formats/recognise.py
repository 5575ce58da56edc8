"""Which format a file is, from its first record: for `--format auto`, and to say what a
file looks like when the format chosen for it recognised nothing in it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from itertools import islice
from typing import Any

from billing.ledger.formats.jsonsource import records

PEEK_LINES = 2_000
CSV_HEADER = ("event_id", "occurred_at")


def recognise(lines: Iterable[str], filename: str = "") -> str | None:
    """The format of the first record, or None when no format knows it."""
    iterator = iter(lines)
    head = list(islice(iterator, PEEK_LINES))
    first = next((line.strip() for line in head if line.strip()), "")
    if not first:
        return None
    if first.startswith(("{", "[")) and not _one_value(first):
        head.extend(iterator)  # one document over many lines: read whole, as its reader does
    if not first.startswith(("{", "[")):
        return "csv" if filename.lower().endswith(".csv") or \
            all(name in first for name in CSV_HEADER) else None
    for _row, record, _raw, error in records(head):
        if error is None:
            return _shape(record)
        break
    return _shape(_first_value("".join(head)))


def _one_value(line: str) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def _first_value(text: str) -> Any:
    """The first JSON value of concatenated objects (as OpenTelemetry's ConsoleSpanExporter
    prints them) or of a file cut off by the peek."""
    try:
        return json.JSONDecoder().raw_decode(text.lstrip())[0]
    except ValueError:
        return None


def _cloudwatch_export(record: dict) -> bool:
    """CloudWatch's export wrapper: {"events": [{"message": "<a log record>"}, ...]}."""
    events = record.get("events")
    return isinstance(events, list) and bool(events) and isinstance(events[0], dict) \
        and "message" in events[0]


def _shape(record: Any) -> str | None:
    if isinstance(record, list):
        record = record[0] if record else None
    if not isinstance(record, dict):
        return None
    if "resourceSpans" in record or "attributes" in record and "traceId" in record \
            or "context" in record and "attributes" in record:
        return "otel"  # before Bedrock: a console-exported span has `events` too
    if record.get("schemaType") == "ModelInvocationLog" or "modelId" in record \
            or _cloudwatch_export(record):
        return "bedrock"
    data = record.get("data")
    if record.get("object") in ("page", "bucket"):
        return "openai"
    if isinstance(data, list) and data and isinstance(data[0], dict):
        if "starting_at" in data[0]:
            return "anthropic"
        if "start_time" in data[0]:
            return "openai"
    if "starting_at" in record and "results" in record:
        return "anthropic"
    if "request_id" in record and ("spend" in record or "startTime" in record):
        return "litellm"
    if "event_id" in record and "occurred_at" in record:
        return "native"
    return None
