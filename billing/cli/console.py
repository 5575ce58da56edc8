"""Console output shared by commands: JSON for machines, tables for people, errors that say
what to do next."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NoReturn

import typer
from rich.console import Console
from sqlalchemy import Engine

from billing.config import ConfigError, Settings, load_settings
from billing.db import current_revision, engine_for

out = Console(width=None if sys.stdout.isatty() else 110)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 110)

JSON_OPTION = typer.Option(False, "--json", help="Print machine-readable JSON instead of tables.")


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def emit_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, default=_default, indent=2, ensure_ascii=False) + "\n")


def fail(message: str, hint: str | None = None, *, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    if hint:
        err.print(f"[yellow]next:[/] {hint}", highlight=False)
    raise typer.Exit(code)


def settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        fail(str(exc), "fix the setting in the environment or the BILLING_CONFIG file", code=2)


def ready_engine(config: Settings) -> Engine:
    """The engine for a database that has been initialised; otherwise say how to do it."""
    engine = engine_for(config.database_url)
    try:
        revision = current_revision(engine)
    except Exception as exc:  # noqa: BLE001  (any driver error means the same to a user)
        fail(f"cannot open the database {config.database_url}: {exc}",
             "check DATABASE_URL, or unset it to use the embedded SQLite default")
    if not revision:
        fail(f"the database {config.database_url} has no schema yet", "run `billing init` first")
    return engine
