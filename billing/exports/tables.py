"""Export tables as files: CSV for spreadsheets and FOCUS tools, Parquet for notebooks.

Rows are dicts of plain values. Money stays Decimal to the file: CSV writes plain digits (no
exponent, never through a float); Parquet stores a fixed decimal type, and refuses a value it
could not store exactly rather than round it silently.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

FORMATS = ("csv", "parquet")
PARQUET_DECIMAL_SCALE = 18  # per-token prices need about 12 places; 20 digits stay for amounts


@dataclass(frozen=True)
class TableSchema:
    """Which columns are decimals, timestamps (ISO text in rows) or integers; the rest text."""

    columns: Sequence[str]
    decimals: frozenset[str] = field(default_factory=frozenset)
    timestamps: frozenset[str] = field(default_factory=frozenset)
    integers: frozenset[str] = field(default_factory=frozenset)
    trim_zeros: bool = False  # exact values (FOCUS) lose trailing zeros; cents keep theirs


def _text(value: Any, *, point: bool = False, trim: bool = False) -> str:
    """A value as CSV text; a decimal column's values always carry a decimal point, so that
    readers that guess types (pandas, DuckDB) read a decimal, not an integer."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = format(value.normalize() if trim else value, "f")
        return text if not point or "." in text else f"{text}.0"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def csv_chunks(rows: Iterable[dict[str, Any]], schema: TableSchema) -> Iterator[str]:
    """CSV text in chunks (header first), for files and streamed HTTP responses alike."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(schema.columns)
    for count, row in enumerate(rows, start=1):
        writer.writerow([_text(row.get(name), point=name in schema.decimals,
                               trim=schema.trim_zeros) for name in schema.columns])
        if count % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_csv(rows: Iterable[dict[str, Any]], schema: TableSchema, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        for chunk in csv_chunks(rows, schema):
            handle.write(chunk)


def _exact(value: Decimal | None, column: str) -> Decimal | None:
    if value is None:
        return None
    stored = value.quantize(Decimal(1).scaleb(-PARQUET_DECIMAL_SCALE))
    if stored != value:
        raise ValueError(f"{column}: {value} has more than {PARQUET_DECIMAL_SCALE} decimal "
                         "places; Parquet would round it (use --format csv)")
    return stored


def write_parquet(rows: Sequence[dict[str, Any]], schema: TableSchema, path: Path) -> None:
    import pyarrow as pa  # imported here: only Parquet exports pay for loading it
    import pyarrow.parquet as pq

    fields, arrays = [], []
    for name in schema.columns:
        values = [row.get(name) for row in rows]
        if name in schema.decimals:
            kind = pa.decimal128(38, PARQUET_DECIMAL_SCALE)
            values = [_exact(value, name) for value in values]
        elif name in schema.timestamps:
            kind = pa.timestamp("s", tz="UTC")
            values = [None if value is None else datetime.fromisoformat(
                value.replace("Z", "+00:00")) for value in values]
        elif name in schema.integers:
            kind = pa.int64()
        else:
            kind = pa.string()
            values = [None if value is None else _text(value) for value in values]
        fields.append(pa.field(name, kind))
        arrays.append(pa.array(values, type=kind))
    pq.write_table(pa.Table.from_arrays(arrays, schema=pa.schema(fields)), path)


def write_table(rows: Sequence[dict[str, Any]], schema: TableSchema, path: Path,
                fmt: str) -> None:
    """Write rows as `fmt` (csv or parquet) to `path`."""
    if fmt == "csv":
        write_csv(rows, schema, path)
    elif fmt == "parquet":
        write_parquet(rows, schema, path)
    else:
        raise ValueError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
