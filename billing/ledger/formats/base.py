"""A source row: one record read from an input file, before validation.

Every format reader turns its own shape into the native usage-event shape (DESIGN.md) and
yields one `SourceRow` per record, keeping the original text so a rejected row can be
quarantined and replayed exactly as it arrived.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

GROUPED_BY = "|by="
"""Separates a report from the fields its rows are grouped by in a bucket's series: two pulls
of the same time grouped differently hold the same usage cut another way."""


@dataclass(frozen=True, slots=True)
class SourceRow:
    row: int
    """1-based position in the source: line number for line formats, record index otherwise."""
    data: dict[str, Any] | None
    """The record in the native usage-event shape, or None when it could not be parsed."""
    raw: str
    """The original text of the record, kept for quarantine and replay."""
    error: str | None = None
    field: str | None = None
    bucket: tuple[str, int, int] | None = None
    """For a provider's usage bucket (a snapshot that can be restated): the report it belongs
    to and its start and end in Unix seconds; None for a usage event."""


class Reader(Protocol):
    def __call__(self, lines: Iterable[str]) -> Iterator[SourceRow]: ...


def guarded(build: Callable[[int, Any, str], SourceRow], row: int, record: Any, raw: str
            ) -> SourceRow:
    """One record read on its own: a reader's failure on it is that row's error, quarantined
    with the record as it arrived, never the loss of the file."""
    try:
        return build(row, record, raw)
    except Exception as exc:  # noqa: BLE001 - any reader bug must stay on its row
        return SourceRow(row, None, raw, f"this record could not be read ({type(exc).__name__}: "
                         f"{exc}); it is kept in quarantine as it arrived: correct it in the "
                         "source and ingest the file again, or report the record to us")
