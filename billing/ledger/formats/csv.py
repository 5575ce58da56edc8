"""The CSV format: the usage-event fields as columns, with a header row.

`tags` is a JSON object in its column, or columns named `tag:<key>` give one tag each.
Row numbers count the header as row 1, as a spreadsheet does.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

import orjson

from billing.ledger.formats.base import SourceRow


def read(lines: Iterable[str]) -> Iterator[SourceRow]:
    reader = csv.reader(iter(lines))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        return
    row = 1
    for values in reader:
        row = reader.line_num
        if not any(v.strip() for v in values):
            continue
        raw = _raw(header, values)
        if len(values) != len(header):
            yield SourceRow(
                row, None, raw, f"row has {len(values)} columns; the header has {len(header)}"
            )
            continue
        data: dict[str, object] = {}
        tags: dict[str, str] = {}
        failure = None
        for name, value in zip(header, values, strict=True):
            if name.startswith("tag:"):
                if value != "":
                    tags[name[4:]] = value
            elif name == "tags":
                if value.strip():
                    try:
                        tags.update(orjson.loads(value))
                    except (orjson.JSONDecodeError, TypeError, ValueError):
                        failure = ("tags", f"tags {value!r} is not a JSON object")
            elif value != "":
                data[name] = value
        if failure:
            yield SourceRow(row, None, raw, failure[1], failure[0])
            continue
        if tags:
            data["tags"] = tags
        yield SourceRow(row, data, raw)


def _raw(header: list[str], values: list[str]) -> str:
    """A replayable CSV text of the row, header included, so it parses on its own."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerow(values)
    return buffer.getvalue()
