"""Commands over the rated ledger: rate and showback."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.table import Table

from billing.cli.console import (
    JSON_OPTION,
    PERIOD_OPTION,
    check_name,
    check_period,
    emit_json,
    fail,
    money,
    out,
    print_table,
    ready_engine,
    settings,
    user,
)
from billing.close.showback import NoUsage, Showback, showback
from billing.config import Settings
from billing.money import CurrencyMismatch
from billing.policies.in_force import attribution_rules_for, model_aliases_for, policies_for
from billing.rating.attribution import RuleError
from billing.rating.card_registry import UnknownCard
from billing.rating.overhead import PoolError
from billing.rating.rate import Cards, RatingRefused, cards_in_use, rate


def register(app: typer.Typer) -> None:
    app.command("rate")(rate_command)
    app.command("showback")(showback_command)


def cards_for(engine, config: Settings) -> Cards:  # noqa: ANN001
    return cards_in_use(engine, config.team_card, config.customer_card)


def rate_command(
    period: str = typer.Option(None, "--period", "-p", help="With --rerate: the open period "
                               "to recompute. Alone: report only this period's unpriced usage.",
                               callback=check_period),
    rerate: bool = typer.Option(False, "--rerate", help="Recompute the period from scratch "
                                "(after a corrected card or rule)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Price all unrated usage (incremental and idempotent), or re-rate an open period."""
    config = settings()
    if rerate and not period:
        fail("--rerate needs --period", "e.g. billing rate --period 2026-10 --rerate", code=2)
    engine = ready_engine(config)
    try:
        result = rate(engine, cards_for(engine, config), zone=config.zone,
                      rules_for=attribution_rules_for(engine),
                      aliases_for=model_aliases_for(engine),
                      rerate_period=period if rerate else None)
    except (RuleError, UnknownCard, RatingRefused) as exc:
        fail(str(exc), code=2)
    if as_json:
        emit_json(result.to_dict())
        return
    if result.nothing_to_do:
        out.print("Nothing to rate: every usage event is already rated.")
        return
    what = f"re-rated {result.period}" if result.kind == "rerate" else "rated new usage"
    out.print(f"Run {result.run_id}: {what}: {result.events:,} events into "
              f"{result.lines:,} rated lines.")
    if result.unpriced:
        out.print("[yellow]Unpriced usage (no card prices these; never priced at 0):[/]")
        for item in result.unpriced:
            out.print(f"  {item['view']}: {item['provider'] or '?'} / {item['model']}: "
                      f"{item['events']:,} events, {item['tokens']:,} tokens. {item['reason']}",
                      highlight=False, markup=False)
        out.print("  Add the model to a card (`billing ratecards publish`), then "
                  "`billing rate --period P --rerate`.")


def showback_command(
    team: str = typer.Option(..., "--team", "-t", help="The team.", show_default=False,
                              callback=check_name),
    period: str = PERIOD_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """A team's spend by use case, model and tier, its overhead shares, and the total."""
    config = settings()
    engine = ready_engine(config)
    try:
        pools = policies_for(engine, period).pools
        report = showback(engine, team, period, pools=pools, now=datetime.now(UTC),
                          zone=config.zone)
    except (PoolError, NoUsage, CurrencyMismatch) as exc:
        fail(str(exc), code=2)
    if as_json:
        emit_json(report.to_dict())
        return
    print_showback(report)


def print_showback(report: Showback) -> None:
    table = Table(title=f"Showback: {report.team}, {report.period} ({report.currency})",
                  title_justify="left")
    columns = ("use case", "model", "tier", "environment", "requests", "input", "output",
               "cached", "provider cost", "amount")
    for name in columns:
        table.add_column(name, justify="left" if name in ("use case", "model", "tier",
                                                          "environment") else "right")
    blank = [""] * (len(columns) - 2)
    for line in report.lines:
        table.add_row(line.use_case or "(unattributed)", line.model, line.tier or "",
                      line.environment, f"{line.requests:,}", f"{line.input_tokens:,}",
                      f"{line.output_tokens:,}", f"{line.cached_input_tokens:,}",
                      money(line.provider_cost, report.currency),
                      money(line.amount, report.currency))
    table.add_section()
    table.add_row("usage", *blank, money(report.usage_total, report.currency), style="bold")
    for share in report.overhead:
        label = "overhead" if share.treatment == "charged" else "overhead (central, not added)"
        if share.accrued:
            label += f" (accrued {share.accrued_days}/{share.period_days} days)"
        table.add_row(label, share.pool, share.driver, *blank[2:],
                      money(share.amount, report.currency))
    table.add_section()
    table.add_row("total", *blank, money(report.total, report.currency), style="bold")
    print_table(table, optional=("cached", "provider cost", "output", "input", "tier",
                                 "requests"))
    for share in report.overhead:
        out.print(f"  {share.pool}: {share.explanation()}", highlight=False, markup=False)
    for item in report.unpriced_by_model():
        out.print(f"[yellow]unpriced:[/] {user(item['model'])}: {item['requests']:,} requests "
                  "(not in the total)")
