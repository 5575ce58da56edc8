"""The format of a file a command writes: --format and the file's extension must agree, so
`--format parquet -o showback.csv` cannot put Parquet bytes behind a .csv name.

Without --format the extension chooses; with neither, the command's default does.
"""

from __future__ import annotations

from pathlib import Path

from billing.cli.console import fail, user
from billing.cli.exit_codes import CANNOT_RUN

EXTENSIONS = {"csv": (".csv",), "parquet": (".parquet", ".pq"), "json": (".json",),
              "jsonl": (".jsonl",), "pdf": (".pdf",)}


def format_by_extension(path: Path) -> str | None:
    suffix = path.suffix.lower()
    return next((fmt for fmt, suffixes in EXTENSIONS.items() if suffix in suffixes), None)


def output_format(output: Path, fmt: str | None, formats: tuple[str, ...], default: str) -> str:
    """The format to write `output` in, out of `formats`; exit 2 naming both fixes when
    --format and the extension contradict each other, or --format is not one of `formats`."""
    named = format_by_extension(output)
    if fmt is not None and fmt not in formats:
        fail(f"format {fmt!r} is not supported", f"use --format {' or '.join(formats)}",
             code=CANNOT_RUN)
    if fmt is None:
        return named if named in formats else default
    if named is not None and named != fmt:
        fail(f"--format {fmt} contradicts the output name {user(output.name)}, which says "
             f"{named}; nothing was written",
             f"change the extension to {EXTENSIONS[fmt][0]}, or drop --format (the extension "
             f"chooses), or pass --format {named}" if named in formats else
             f"change the extension to {EXTENSIONS[fmt][0]}", code=CANNOT_RUN)
    return fmt
