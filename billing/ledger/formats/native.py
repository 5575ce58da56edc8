"""The native format: usage events as JSON lines (one object per line), or one JSON array.

Lines are streamed, so a file of any size is read in constant memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import orjson

from billing.ledger.formats.base import SourceRow


def read(lines: Iterable[str]) -> Iterator[SourceRow]:
    iterator = iter(lines)
    row = 0
    first = True
    for text in iterator:
        row += 1
        stripped = text.strip()
        if not stripped:
            continue
        if first and stripped.startswith("["):
            yield from _read_array(stripped + "".join(iterator))
            return
        first = False
        try:
            data = orjson.loads(stripped)
        except orjson.JSONDecodeError as exc:
            yield SourceRow(row, None, stripped, f"invalid JSON: {exc}")
            continue
        if not isinstance(data, dict):
            yield SourceRow(row, None, stripped, "each line must be a JSON object")
            continue
        yield SourceRow(row, data, stripped)


def _read_array(text: str) -> Iterator[SourceRow]:
    try:
        items = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        yield SourceRow(1, None, text[:10_000], f"invalid JSON array: {exc}")
        return
    for index, item in enumerate(items, start=1):
        raw = orjson.dumps(item).decode()
        if isinstance(item, dict):
            yield SourceRow(index, item, raw)
        else:
            yield SourceRow(index, None, raw, "each array element must be a JSON object")
