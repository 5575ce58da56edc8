"""Console output shared by commands: JSON for machines, tables for people, errors that say
what to do next.

Rich reads `[...]` as markup, and users name teams, use cases, customers and files: a team
called `[/oops]` must print as itself, not crash the command. So every user string is escaped
here: `fail` escapes its message and hint, `print_table` shows every plain string cell and the
title as text (a cell that means markup is passed as a `Text`), and commands wrap user values
in f-strings with `user()`.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console, ConsoleDimensions
from rich.markup import escape
from rich.segment import Segment
from rich.table import Table
from rich.text import Text
from sqlalchemy import Engine

from billing import identifiers
from billing.cli.exit_codes import CANNOT_RUN
from billing.config import ConfigError, Settings, load_settings
from billing.db import current_revision, engine_for
from billing.money import minor_unit, round_line
from billing.period import Period, PeriodError

PIPE_WIDTH = 110  # when no stream is a terminal and COLUMNS is not set
WRAP_MIN_WIDTH = 16  # a free-text column is never narrower, so its words stay readable


def terminal_width() -> int:
    """COLUMNS if set, else the width of whichever standard stream is a terminal, else
    PIPE_WIDTH. Read at each print, so a resized terminal or a test's COLUMNS is honoured."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    for stream in (sys.stdout, sys.stderr, sys.stdin):
        try:
            width = os.get_terminal_size(stream.fileno()).columns
        except (AttributeError, ValueError, OSError):
            continue
        if width > 0:
            return width
    return PIPE_WIDTH


class _Console(Console):
    """A console as wide as the terminal at the moment it prints."""

    @property
    def size(self) -> ConsoleDimensions:
        return ConsoleDimensions(terminal_width(), Console.size.fget(self).height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)


out = _Console()
err = _Console(stderr=True)


def user(value: object) -> str:
    """A user's value (a name, a path, an error quoting input) safe inside a markup string."""
    return escape(str(value))


def check_period(value: str | list[str] | None) -> str | list[str] | None:
    """The callback of every --period option: billing months pass unchanged; anything else
    exits 2 with the one message for a bad period (billing.period's)."""
    for text in [value] if isinstance(value, str) else value or []:
        try:
            Period.parse(text)
        except PeriodError as exc:
            fail(str(exc), code=2)
    return value


def check_name(param: typer.CallbackParam, value: str | None) -> str | None:
    """The callback of every option naming a team, use case, customer or environment."""
    return value if value is None else checked_name(value, max(param.opts, key=len))


def checked_name(value: str, option: str) -> str:
    """`value` if it keeps the identifier rule; else exit 2 with one line (never wrapped)
    saying what a name may hold, before any database or file is touched."""
    found = identifiers.problem(value, option)
    if found:
        err.print(f"[bold red]error:[/] {user(found)}", highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    return value


JSON_OPTION = typer.Option(False, "--json", help="Print machine-readable JSON instead of tables.")
PERIOD_OPTION = typer.Option(..., "--period", "-p", help="Billing month, YYYY-MM.",
                             show_default=False, callback=check_period)


def money(amount: Decimal | str, currency: str, *, code: bool = False) -> str:
    """An amount for people: half-up to the currency's minor unit, with thousands separators
    (1,338.31)."""
    value = round_line(Decimal(amount), currency)
    return f"{value:,}" + (f" {currency}" if code else "")


def number(value: Decimal | str | int) -> str:
    """A count or a driver with thousands separators, keeping its decimals (195,581; 2,090.56)."""
    if isinstance(value, int):
        return f"{value:,}"
    return format(Decimal(value), ",f")


def exact(amount: Decimal, currency: str) -> str:
    """An unrounded amount for people: every significant decimal, and at least the currency's
    minor unit (12.60, 0.000478), with thousands separators; never in exponent form."""
    unit = minor_unit(currency)
    value = amount.normalize()
    if value.as_tuple().exponent > unit.as_tuple().exponent:  # type: ignore[operator]
        value = value.quantize(unit)
    return format(value, ",f")


def whole(value: Decimal | int) -> str:
    """A count shown whole, half-up, with thousands separators (8,000.49 -> 8,000)."""
    return f"{Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"


def significant(value: Decimal, digits: int = 4) -> str:
    """A rate to `digits` significant figures, trailing zeros dropped (0.0037500000 ->
    0.00375, 0.0013877777 -> 0.001388); whole digits are never cut (12,345.6 -> 12,346)."""
    if not value:
        return "0"
    places = max(digits - 1 - value.adjusted(), 0)
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = format(rounded, ",f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def percent(value: Decimal | str, places: int = 2) -> str:
    """A percentage already in percent (40 -> 40.00%)."""
    return f"{Decimal(value):,.{places}f}%"


def print_table(table: Table, *, wrap: tuple[str, ...] = (),
                optional: tuple[str, ...] = ()) -> None:
    """Print a table whose cells are never cut.

    Every column keeps the width of its longest cell (a header may wrap between words), except
    the free-text columns named in `wrap`, which wrap instead. When that is wider than the
    terminal, the `optional` columns are left out, in the order given, and a note says so.
    """
    if isinstance(table.title, str):
        table.title = Text(table.title)
    for column in table.columns:
        column._cells = [Text(cell) if isinstance(cell, str) else cell for cell in column._cells]
        header = max(len(word) for word in f"{column.header} ".split())
        cells = [_cell_width(cell) for cell in column.cells]
        column.overflow = "fold"
        if column.header in wrap:
            column.min_width = min(max([header, *cells]), WRAP_MIN_WIDTH)
        else:
            column.min_width = max([header, *cells])
    hidden = []
    if _rendered_width(table) > out.width:
        whole = [column for column in table.columns if column.header not in wrap]
        for column in whole:  # no more than each needs, so only free text shrinks
            column.width = column.min_width
        for name in optional:
            if _needed_width(table) <= out.width:
                break
            table.columns[:] = [column for column in table.columns if column.header != name]
            for index, column in enumerate(table.columns):
                column._index = index  # rich pads the first and last column by their index
            hidden.append(name)
        if _needed_width(table) > out.width:
            for column in whole:  # still too wide: overflow the terminal rather than cut
                column.width = None
    out.print(table, crop=False)
    if hidden:
        out.print(f"(hidden at this width: {', '.join(hidden)}; see --json)", highlight=False)


def _rendered_width(table: Table) -> int:
    """How wide the table comes out on this terminal (wider than it when cells cannot shrink)."""
    lines = Segment.split_lines(out.render(table, out.options))
    return max((Segment.get_line_length(line) for line in lines), default=0)


def _needed_width(table: Table) -> int:
    """The width of the table with every column at its minimum, borders and padding included."""
    _, right, _, left = table.padding
    columns = table.columns
    borders = (len(columns) - 1 + (2 if table.show_edge else 0)) if table.box else 0
    return sum((column.min_width or 0) + left + right for column in columns) + borders


def _cell_width(cell: object) -> int:
    text = Text(cell) if isinstance(cell, str) else cell
    if not isinstance(text, Text):
        return 0
    return max((len(line) for line in text.plain.splitlines()), default=0)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def emit_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, default=_default, indent=2, ensure_ascii=False) + "\n")


def fail(message: str, hint: str | None = None, *, code: int = 1) -> NoReturn:
    """Print the error and what to do next (both may quote the user: they print as text)."""
    err.print(f"[bold red]error:[/] {user(message)}", highlight=False)
    if hint:
        err.print(f"[yellow]next:[/] {user(hint)}", highlight=False)
    raise typer.Exit(code)


def existing_file(path: Path) -> Path:
    """`path` if it is a file to read; else exit 2 in the one style every command uses for a
    missing input (not click's box), naming the path."""
    if not path.is_file():
        what = "a folder, not a file" if path.is_dir() else "no such file"
        fail(f"{path}: {what}", "check the path (relative to the current folder)",
             code=CANNOT_RUN)
    return path


def settings() -> Settings:
    """The settings of this command (a command is one process: read once, here)."""
    try:
        config = load_settings()
    except ConfigError as exc:
        fail(str(exc), "fix the setting in the environment or the BILLING_CONFIG file", code=2)
    if config.legacy_policy_env:
        err.print(f"[yellow]note:[/] {', '.join(config.legacy_policy_env)} no longer read: "
                  "policies come from the database. Publish the old files once with `billing "
                  "policy import --dir DIR`, then unset the variable.", highlight=False)
    return config


def ready_engine(config: Settings) -> Engine:
    """The engine for a database that has been initialised; otherwise say how to do it."""
    engine = engine_for(config.database_url)
    try:
        revision = current_revision(engine)
    except Exception as exc:  # noqa: BLE001  (any driver error means the same to a user)
        fail(f"cannot open the database {config.database_url}: {exc}",
             "check DATABASE_URL, or unset it to use the embedded SQLite default",
             code=CANNOT_RUN)
    if not revision:
        fail(f"the database {config.database_url} has no schema yet", "run `billing init` first",
             code=CANNOT_RUN)
    return engine
