"""Reading JSON sources that come as one document, an array, or JSON lines.

Provider exports arrive in all three shapes; each record keeps its own row number and text
so a bad one is reported and quarantined on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson


def records(lines: Iterable[str]) -> Iterator[tuple[int, Any, str, str | None]]:
    """(row, parsed record or None, raw text, parse error) for each top-level JSON value.

    A file whose first non-blank character opens a document (`{` spanning lines or `[`) is
    read whole; otherwise each line is one record.
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
            yield 1, None, text[:10_000], f"invalid JSON: {exc}"
            return
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
