"""Reading JSON sources that come as one document, an array, or JSON lines.

Provider exports arrive in all three shapes; each record keeps its own row number and text
so a bad one is reported and quarantined on its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

_SPACE = re.compile(r"\s*")


def records(lines: Iterable[str]) -> Iterator[tuple[int, Any, str, str | None]]:
    """(row, parsed record or None, raw text, parse error) for each top-level JSON value.

    A file whose first non-blank character opens a document (`{` spanning lines or `[`) is
    read whole, as one value or as values written one after another (pretty-printed objects,
    as OpenTelemetry's ConsoleSpanExporter writes them); otherwise each line is one record.
    """
    iterator = iter(lines)
    buffered: list[str] = []
    for text in iterator:
        if text.strip():
            buffered.append(text)
            break
    if not buffered:
        return
    first = buffered[0].strip()
    whole_document = first.startswith("[") or (first.startswith("{") and not _complete(first))
    if whole_document:
        text = "".join(buffered) + "".join(iterator)
        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            items = _concatenated(text)
            if items is None:
                yield 1, None, text[:10_000], f"invalid JSON: {exc}"
                return
        else:
            items = document if isinstance(document, list) else [document]
        for index, item in enumerate(items, start=1):
            yield index, item, orjson.dumps(item).decode(), None
        return
    row = 0
    for text in [*buffered, *iterator]:
        row += 1
        stripped = text.strip()
        if not stripped:
            continue
        try:
            yield row, orjson.loads(stripped), stripped, None
        except orjson.JSONDecodeError as exc:
            yield row, None, stripped, f"invalid JSON: {exc}"


def _complete(line: str) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def _concatenated(text: str) -> list[Any] | None:
    """Two or more JSON values one after another, or None when the text is not that."""
    decoder = json.JSONDecoder()
    values: list[Any] = []
    position = _SPACE.match(text).end()
    try:
        while position < len(text):
            value, position = decoder.raw_decode(text, position)
            values.append(value)
            position = _SPACE.match(text, position).end()
    except (json.JSONDecodeError, RecursionError):
        return None
    return values if len(values) > 1 else None
