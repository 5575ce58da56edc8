"""Stripe commands: push a period's invoices and credit notes, reconcile them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import typer

from billing.cli.console import (
    JSON_OPTION,
    check_period,
    emit_json,
    fail,
    out,
    ready_engine,
    settings,
    user,
)
from billing.close.stripe_billing import StripeNotConfigured, push_period, reconcile_period

T = TypeVar("T")

stripe_app = typer.Typer(help="Chargeback invoices in Stripe.", no_args_is_help=True)


CLOSED_PERIOD = typer.Option(..., "--period", "-p", help="Closed month, YYYY-MM.",
                             show_default=False, callback=check_period)


def register(app: typer.Typer) -> None:
    app.add_typer(stripe_app, name="stripe")


@stripe_app.command("push")
def push_command(
    period: str = CLOSED_PERIOD,
    as_json: bool = JSON_OPTION,
) -> None:
    """Send the period's finalised invoices (then credit notes) to Stripe, exactly once."""
    report = _with_stripe(push_period, period)
    if as_json:
        emit_json(report.to_dict())
    else:
        if report.nothing_to_do:
            out.print(f"Nothing to push: every document of {period} is already in Stripe.")
        for item in report.pushed:
            out.print(f"pushed {item['number']}: {item.get('stripe_status')} "
                      f"{item.get('stripe_hosted_url') or ''}", markup=False)
        for item in report.failed:
            out.print(f"[red]failed[/] {user(item['number'])}: {user(item['error'])}",
                      highlight=False)
    if report.failed:
        raise typer.Exit(1)


@stripe_app.command("reconcile")
def reconcile_command(
    period: str = CLOSED_PERIOD,
    as_json: bool = JSON_OPTION,
) -> None:
    """Compare every invoice of the period with Stripe's; exit 1 when any differs."""
    differences = _with_stripe(reconcile_period, period)
    if as_json:
        emit_json({"period": period, "differences": differences})
    elif differences:
        for line in differences:
            out.print(f"[red]differs[/] {user(line)}", highlight=False)
    else:
        out.print(f"Stripe agrees with every invoice of {period}.")
    if differences:
        raise typer.Exit(1)


def _with_stripe(action: Callable[..., T], period: str) -> T:
    """Run a Stripe action on a period; a missing STRIPE_API_KEY is a usage error, not a crash."""
    config = settings()
    try:
        return action(ready_engine(config), config, period)
    except StripeNotConfigured as exc:
        fail(str(exc), code=2)
