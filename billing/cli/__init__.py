"""The `billing` command line: every command has --help, and --json for machine output."""

from __future__ import annotations

import click
import typer
from typer.core import TyperGroup

from billing.cli import (
    archive,
    budgets,
    close,
    credits,
    demo,
    export,
    fx,
    keys,
    kpis,
    ledger,
    levers,
    overhead,
    overview,
    policy,
    ratecards,
    rating,
    reconcile,
    serve,
    sla,
    spark,
    stripe,
)
from billing.cli.console import fail
from billing.cli.exit_codes import CANNOT_RUN, document
from billing.money import CurrencyMismatch


class _Billing(TyperGroup):
    """Money of two currencies meeting (a pool whose period has no FX rate) is something the
    user fixes with a command, whichever command met it: exit 2 with the message that names
    the command, never a traceback."""

    def invoke(self, ctx: click.Context):  # noqa: ANN201
        try:
            return super().invoke(ctx)
        except CurrencyMismatch as exc:
            fail(str(exc), code=CANNOT_RUN)


app = typer.Typer(
    name="billing",
    help="Chargeback and rate-card billing for AI token spend.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=_Billing,
)
ledger.register(app)
ratecards.register(app)
rating.register(app)
overhead.register(app)
policy.register(app)
fx.register(app)
close.register(app)
credits.register(app)
reconcile.register(app)
stripe.register(app)
keys.register(app)
serve.register(app)
demo.register(app)
budgets.register(app)
export.register(app)
levers.register(app)
kpis.register(app)
overview.register(app)
spark.register(app)
archive.register(app)
sla.register(app)
document(app)  # last: every command's help ends with the exit codes


def main() -> None:
    app()
