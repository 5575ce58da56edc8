"""The `billing` command line: every command has --help, and --json for machine output."""

from __future__ import annotations

import typer

from billing.cli import (
    budgets,
    close,
    demo,
    export,
    keys,
    ledger,
    overhead,
    ratecards,
    rating,
    reconcile,
    serve,
    stripe,
)

app = typer.Typer(
    name="billing",
    help="Chargeback and rate-card billing for AI token spend.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
ledger.register(app)
ratecards.register(app)
rating.register(app)
overhead.register(app)
close.register(app)
reconcile.register(app)
stripe.register(app)
keys.register(app)
serve.register(app)
demo.register(app)
budgets.register(app)
export.register(app)


def main() -> None:
    app()
