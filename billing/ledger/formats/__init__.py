"""Input formats for usage: each turns a source's own shape into native usage events."""

from __future__ import annotations

from importlib import import_module

from billing.ledger.formats.base import Reader, SourceRow

FORMATS = ("native", "csv", "openai", "anthropic", "litellm", "bedrock", "otel")
AUTO = "auto"

__all__ = ["AUTO", "FORMATS", "Reader", "SourceRow", "guess_format", "reader_for"]


class UnknownFormat(ValueError):
    pass


def reader_for(name: str) -> Reader:
    if name not in FORMATS:
        raise UnknownFormat(f"unknown format {name!r}; choose one of {', '.join(FORMATS)}")
    return import_module(f"billing.ledger.formats.{name}").read


def guess_format(filename: str) -> str:
    """The format a file name suggests: .csv is csv, anything else native JSON lines."""
    return "csv" if filename.lower().endswith(".csv") else "native"
