"""Exit codes of every `billing` command: one rule, written once here and shown by every
command's --help, so a script (or the docs-runner) can tell a rejected row from a command
that never ran.
"""

from __future__ import annotations

import typer

OK = 0
REJECTED = 1
CANNOT_RUN = 2

EPILOG = ("Exit codes: 0 all good; 1 something was rejected or a check failed (the good rows "
          "are still loaded); 2 the command could not run (bad option, missing file, database "
          "down, unknown period or name).")


def document(app: typer.Typer) -> None:
    """Give `app`, each of its commands and each group below it the exit-code epilog; a
    command registered later than this call is caught by the test that walks every --help."""
    app.info.epilog = _with_rule(app.info.epilog)
    for command in app.registered_commands:
        command.epilog = _with_rule(command.epilog)
    for group in app.registered_groups:
        group.epilog = _with_rule(group.epilog)
        if group.typer_instance is not None:
            document(group.typer_instance)


def _with_rule(epilog: str | None) -> str:
    if not epilog:
        return EPILOG
    return epilog if EPILOG in epilog else f"{epilog}\n\n{EPILOG}"
