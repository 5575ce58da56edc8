"""The page of every command (docs/commands.md), written from the CLI itself so it cannot
drift from `--help`: `python -m billing.cli.reference > docs/commands.md`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import typer

HEADER = """# Every command

Generated from the `billing` command line itself (`python -m billing.cli.reference >
docs/commands.md`; a test fails when this page is out of date). Every command also has
`--help`; most have `--json` for machine-readable output.
"""


def _is_argument(param: object) -> bool:
    return getattr(param, "param_type_name", "") == "argument"


def _clean(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").strip().splitlines()]
    return " ".join(line for line in lines if line).replace("\b", "").strip()


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _param_row(param: Any) -> str:
    if _is_argument(param):
        name = f"`{param.name.upper()}`"
        kind = "argument, required" if param.required else "argument"
    else:
        name = ", ".join(f"`{opt}`" for opt in param.opts + param.secondary_opts)
        kind = "required" if param.required else ""
        default = param.default
        if isinstance(default, str | int | float) and not isinstance(default, bool) \
                and default != "":
            kind = (kind + ", " if kind else "") + f"default `{default}`"
    help_text = _clean(getattr(param, "help", None))
    return f"| {_cell(name)} | {_cell(help_text)} | {_cell(kind)} |"


def _section(path: str, command: Any) -> list[str]:
    lines = [f"## {path}", "", _clean(command.help) or _clean(command.short_help), ""]
    params = [p for p in command.params if p.name != "help" and not getattr(p, "hidden", False)]
    pieces = " ".join(p.name.upper() if p.required else f"[{p.name.upper()}]"
                      for p in params if _is_argument(p))
    lines += ["```text", f"{path} [OPTIONS]{' ' + pieces if pieces else ''}", "```", ""]
    if params:
        lines += ["| parameter | what | required, default |", "| --- | --- | --- |"]
        lines += [_param_row(param) for param in params]
        lines.append("")
    if command.epilog:
        lines += [_clean(command.epilog), ""]
    return lines


def _walk(path: str, command: Any) -> Iterator[tuple[str, Any]]:
    if hasattr(command, "commands"):
        yield path, command
        for name in sorted(command.commands):
            yield from _walk(f"{path} {name}", command.commands[name])
    else:
        yield path, command


def reference(app: typer.Typer) -> str:
    """The page: one section per command and subcommand, in alphabetical order."""
    root = typer.main.get_command(app)
    lines = [HEADER]
    for path, command in _walk("billing", root):
        if path == "billing" or getattr(command, "hidden", False):
            continue
        if hasattr(command, "commands"):
            lines += [f"## {path}", "", _clean(command.help), ""]
            continue
        lines += _section(path, command)
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    from billing.cli import app

    sys.stdout.write(reference(app))


if __name__ == "__main__":
    main()
