"""The native format: usage events as JSON lines (one object per line), or one JSON array.

Lines are streamed, so a file of any size is read in constant memory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from billing.ledger.formats.base import SourceRow

NOT_AN_OBJECT = "each line must be a JSON object"
NOT_AN_ELEMENT = "each array element must be a JSON object"
NOT_AN_ARRAY = "the body must be a JSON array of events"


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
        yield read_line(row, stripped)


def read_line(row: int, stripped: str) -> SourceRow:
    """One line of JSON lines (already stripped, not blank) as its source row."""
    try:
        data = orjson.loads(stripped)
    except orjson.JSONDecodeError as exc:
        return SourceRow(row, None, stripped, f"invalid JSON: {exc}")
    if not isinstance(data, dict):
        return SourceRow(row, None, stripped, NOT_AN_OBJECT)
    return _checked(row, data, stripped)


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


_KEY_END = re.compile(r'"\s*:')
_LOOSE_KEY_END = re.compile(r'"(?:[ \t\n\r]{2}|[\t\n\r])')


_CONTAINERS = (dict, list)


def _keys(value: Any) -> int:
    items = value.values() if isinstance(value, dict) else value
    count = len(value) if isinstance(value, dict) else 0
    for item in items:
        if isinstance(item, _CONTAINERS):
            count += _keys(item)
    return count


def _key_endings(raw: str) -> int:
    """How many `"` then `:` the text holds, an upper bound on its keys: two substring counts
    unless a tab, a line break or two spaces stand after a quote, when the regular expression
    decides."""
    if _LOOSE_KEY_END.search(raw):
        return len(_KEY_END.findall(raw))
    return raw.count('":') + raw.count('" :')


def _same_text(value: Any, raw: str) -> bool:
    """True when the text is the parsed value serialised again, give or take the spaces
    after `,` and `:` that json.dumps writes. Deleting a space never adds or removes a key
    (at worst it alters a string, and then the texts differ), so a match means none was
    dropped."""
    try:
        return orjson.dumps(value) == raw.replace(", ", ",").replace(": ", ":").encode()
    except (orjson.JSONEncodeError, UnicodeEncodeError):
        return False


def _checked(row: int, data: dict[str, Any], raw: str) -> SourceRow:
    """orjson keeps the last of two equal keys silently; a row that says `team` twice is
    ambiguous, so it is refused naming that field. Every key in the text ends in `"` then `:`,
    so when there are no more of those than parsed keys no key was dropped: the slow check
    runs only when there may be a duplicate. Text that serialises back to itself cannot have
    dropped a key, which settles most rows in C."""
    if _same_text(data, raw):
        return SourceRow(row, data, raw)
    try:
        if _key_endings(raw) <= _keys(data):
            return SourceRow(row, data, raw)
    except RecursionError:
        pass
    try:
        json.loads(raw, object_pairs_hook=_no_duplicates)
    except _DuplicateKey as exc:
        return SourceRow(row, None, raw, f"the key {exc.key!r} appears more than once in this "
                         "event; send each field once", field=exc.key[:100])
    except (ValueError, RecursionError):
        pass
    return SourceRow(row, data, raw)


def _read_array(text: str) -> Iterator[SourceRow]:
    try:
        items = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        elements = _split_array(text)
        if elements is None:
            yield SourceRow(1, None, text[:10_000], f"invalid JSON array: {exc}")
            return
        yield from _read_elements(elements)
        return
    if not isinstance(items, list):
        yield SourceRow(1, None, text[:10_000], NOT_AN_ARRAY)
        return
    try:
        if not _same_text(items, text.strip()):
            json.loads(text, object_pairs_hook=_no_duplicates)
    except _DuplicateKey:
        elements = _split_array(text)
        if elements is not None:
            yield from _read_elements(elements)
            return
    except (ValueError, RecursionError):
        pass
    for index, item in enumerate(items, start=1):
        raw = orjson.dumps(item).decode()
        if isinstance(item, dict):
            yield SourceRow(index, item, raw)
        else:
            yield SourceRow(index, None, raw, NOT_AN_ELEMENT)


_LENIENT = json.JSONDecoder()


def _split_array(text: str) -> list[str] | None:
    """The array's elements as text, when it is a well-formed array whose elements only fail
    the strict parser (NaN, Infinity, 1e309, a lone surrogate): so only those rows are refused,
    as NDJSON does. None when the array itself is broken."""
    end = len(text.rstrip())
    position = 1
    elements: list[str] = []
    try:
        while True:
            while position < end and text[position] in " \t\r\n":
                position += 1
            if position < end and text[position] == "]" and not elements:
                return elements if position == end - 1 else None
            _, stop = _LENIENT.raw_decode(text, position)
            elements.append(text[position:stop])
            position = stop
            while position < end and text[position] in " \t\r\n":
                position += 1
            if position < end and text[position] == ",":
                position += 1
                continue
            return elements if position == end - 1 and text[position] == "]" else None
    except (ValueError, RecursionError, IndexError):
        return None


def _read_elements(elements: list[str]) -> Iterator[SourceRow]:
    for index, raw in enumerate(elements, start=1):
        try:
            item = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            yield SourceRow(index, None, raw[:10_000], f"invalid JSON: {exc}")
            continue
        if isinstance(item, dict):
            yield _checked(index, item, raw)
        else:
            yield SourceRow(index, None, raw, NOT_AN_ELEMENT)
