"""`billing archive`: a closed period's raw usage events moved to Parquet files."""

from __future__ import annotations

from pathlib import Path

import typer

from billing.cli.console import JSON_OPTION, PERIOD_OPTION, emit_json, fail, out, ready_engine
from billing.cli.console import settings as read_settings
from billing.ledger.archive import ArchiveRefused, archive_period


def register(app: typer.Typer) -> None:
    app.command("archive")(archive_command)


def archive_command(
    period: str = PERIOD_OPTION,
    to: Path = typer.Option(..., "--to", show_default=False,
                            help="Folder for the Parquet files (PERIOD/usage_date=DAY/ inside)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Write a closed period's raw usage to Parquet, verify the counts against the ledger, then
    remove the raw rows (rated lines and documents stay). `billing reconcile` checks the files."""
    engine = ready_engine(read_settings())
    try:
        result = archive_period(engine, period, to)
    except ArchiveRefused as exc:
        fail(f"not archived: {exc.message}", exc.hint, code=2)
    except OSError as exc:
        fail(f"not archived: cannot write to {to}: {exc.strerror or exc}",
             "choose a folder you can write to; nothing was removed", code=2)
    if as_json:
        emit_json(result.to_dict())
        return
    counts = result.counts
    out.print(f"{period}: {counts.events:,} events ({counts.requests:,} requests, "
              f"{counts.tokens:,} tokens) archived to {result.path} in {result.files} daily "
              "files, verified, and removed from the ledger", highlight=False, soft_wrap=True)
