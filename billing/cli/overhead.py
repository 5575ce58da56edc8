"""Overhead pool commands: list pools and their allocation, add or change one, remove one.

Pools are the overhead policy (`billing policy`): published versions in the database, each in
force from a month. `set` and `remove` publish the pools in force, changed, as a new version in
force from the first open month (or `--from`), with who and why; closed months keep theirs. A
pool in
another currency than the team card is refused unless its periods have an FX rate (`billing
fx set`); a pool of every period needs the current period's, and each close needs its own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import typer
from rich.table import Table

from billing.budgets.store import card_currency
from billing.cli.console import (
    JSON_OPTION,
    check_period,
    checked_name,
    emit_json,
    fail,
    money,
    out,
    print_table,
    ready_engine,
    settings,
    user,
)
from billing.close.lines import period_lines
from billing.config import Settings
from billing.period import Period
from billing.policies.amend import amend_pools, first_open_month, pools_in_force
from billing.policies.document import PolicyValidationError
from billing.policies.registry import PublishRefused
from billing.rating.overhead import (
    DRIVERS,
    Pool,
    PoolError,
    make_pool,
    missing_rate,
    periods_without_rate,
    pool_to_dict,
    upsert_pool,
)

FROM_OPTION = typer.Option(None, "--from", help="First month the change is in force (YYYY-MM); "
                           "default: the first month after the last closed one.",
                           callback=check_period, show_default=False)
NOTE_OPTION = typer.Option("", "--message", "-m", help="Why (kept with the version).")

overhead_app = typer.Typer(help="Overhead pools: platform costs allocated to teams by a driver.",
                           no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(overhead_app, name="overhead")


@overhead_app.command("list")
def list_command(
    period: str = typer.Option(None, "--period", "-p",
                               help="Also show each team's share for this period (YYYY-MM).",
                               callback=check_period),
    as_json: bool = JSON_OPTION,
) -> None:
    """The pools in force; with --period, that month's and how each is split between teams."""
    config = settings()
    engine = ready_engine(config)
    month = period or first_open_month(engine)
    try:
        pools, version = pools_in_force(engine, month)
    except PoolError as exc:
        fail(str(exc), code=2)
    allocation: dict[str, list] = {}
    if period:
        pools = [pool for pool in pools if pool.applies_to(period)]
        allocation = {team: list(lines.overhead)
                      for team, lines in period_lines(engine, period, pools=pools).items()
                      if lines.overhead}
    if as_json:
        emit_json({"period": month, "version": version,
                   "pools": [pool_to_dict(pool) for pool in pools],
                   "allocation": {team: [{"pool": s.pool, "treatment": s.treatment,
                                          "amount": str(s.amount),
                                          "explanation": s.explanation()} for s in shares]
                                  for team, shares in sorted(allocation.items())}})
        return
    if not pools:
        out.print(f"No overhead pools in force in {month} ({version}). Add one with "
                  "`billing overhead set NAME --amount A --driver spend`.")
        return
    table = Table(title=f"Overhead pools in force in {month} ({version})", title_justify="left")
    for name in ("pool", "amount", "driver", "treatment", "periods"):
        table.add_column(name, justify="right" if name == "amount" else "left")
    for pool in pools:
        table.add_row(pool.name, money(pool.amount, pool.currency, code=True), pool.driver,
                      pool.treatment, ", ".join(pool.periods) or "every period")
    print_table(table, wrap=("periods",))
    if allocation:
        split = Table(title=f"Allocation, {period}", title_justify="left")
        split.add_column("team")
        for pool in pools:
            split.add_column(pool.name, justify="right")
        for team, shares in sorted(allocation.items()):
            by_pool = {share.pool: share.amount for share in shares}
            split.add_row(team, *[money(by_pool.get(pool.name, Decimal(0)), pool.currency)
                                  for pool in pools])
        print_table(split)


@overhead_app.command("set")
def set_command(
    name: str = typer.Argument(..., help="Pool name, e.g. observability."),
    amount: str = typer.Option(..., "--amount", help="Amount per period, e.g. 4800.00.",
                               show_default=False),
    driver: str = typer.Option(..., "--driver", help=f"One of: {', '.join(DRIVERS)}.",
                               show_default=False),
    treatment: str = typer.Option("charged", "--treatment",
                                  help="charged (added to teams' totals) or central (shown only)."),
    currency: str = typer.Option("USD", "--currency", help="ISO 4217 code."),
    share: list[str] = typer.Option([], "--share", help="With --driver shares: TEAM=PERCENT, "
                                    "repeatable; the percents sum to 100."),
    period: list[str] = typer.Option([], "--period", help="Periods it applies to (repeatable); "
                                     "none: every period.", callback=check_period),
    effective_from: str = FROM_OPTION,
    note: str = NOTE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a pool, or replace the pool of the same name (publishes a new overhead version)."""
    config = settings()
    shares = {}
    for item in share:
        team, sep, weight = item.partition("=")
        if not sep or not team:
            fail(f"--share {item!r} is not TEAM=WEIGHT", "e.g. --share support=3", code=2)
        shares[checked_name(team, "--share team")] = weight
    try:
        pool = make_pool(name, amount, currency, driver, treatment, shares, tuple(period))
    except PoolError as exc:
        fail(str(exc), code=2)
    rate_note = _check_rates(config, pool)
    engine = ready_engine(config)
    month = effective_from or first_open_month(engine)
    published = _publish(engine, month, lambda pools: upsert_pool(pools, pool),
                         note or f"overhead set {pool.name}")
    if as_json:
        emit_json({"version": published, "effective_from": month, "pool": pool_to_dict(pool),
                   "note": rate_note})
        return
    amount = money(pool.amount, pool.currency, code=True)
    where = f"published as {published}" if published else "unchanged: already in force"
    out.print(f"Pool {user(repr(pool.name))} from {month}, {where}: {amount}, by "
              f"{pool.driver}, {pool.treatment}.", highlight=False)
    if rate_note:
        out.print(f"[yellow]note:[/] {user(rate_note)}", highlight=False)


def _publish(engine, month: str, change, note: str) -> str | None:  # noqa: ANN001
    """Publish the changed pools; the new version's ref, or None when nothing changed."""
    try:
        result = amend_pools(engine, month, change, note=note)
    except PolicyValidationError as exc:
        fail(f"the overhead policy was not published:\n{exc}",
             "fix what it names (a closed month keeps its pools: give --from after it)",
             code=2)
    except (PoolError, PublishRefused) as exc:
        fail(str(exc), code=2)
    return None if result is None else f"overhead@{result.version}"


def _check_rates(config: Settings, pool: Pool) -> str | None:
    """Refuse a pool in another currency than the team card whose periods have no FX rate
    (a pool of every period: the current period); say what each close will need."""
    engine = ready_engine(config)
    card = card_currency(engine, config.team_card)
    if card is None or pool.currency == card:
        return None
    current = str(Period.of(datetime.now(UTC), config.zone))
    with engine.connect() as connection:
        missing = periods_without_rate(connection, pool, card, current)
    if missing:
        every = "" if pool.periods else (
            f"; the pool has no --period, so it applies to every period, and each period's "
            f"close needs its own {pool.currency}->{card} rate (the current period is {current})")
        more = f" (no rate for {', '.join(missing)})" if len(missing) > 1 else ""
        fail(missing_rate(pool, card, missing[0]) + more + every, code=2)
    if pool.periods:
        return None
    return (f"{pool.name!r} is in {pool.currency} and applies to every period: the close of "
            f"any period without a {pool.currency}->{card} rate is refused; record each "
            f"month's with `billing fx set {pool.currency} {card} RATE --period P`")


@overhead_app.command("remove")
def remove_command(
    name: str = typer.Argument(..., help="Pool name."),
    effective_from: str = FROM_OPTION,
    note: str = NOTE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Remove a pool (publishes a new overhead version without it)."""
    config = settings()
    engine = ready_engine(config)
    month = effective_from or first_open_month(engine)
    try:
        pools, version = pools_in_force(engine, month)
    except PoolError as exc:
        fail(str(exc), code=2)
    if all(pool.name != name for pool in pools):
        fail(f"no pool named {name!r} is in force in {month} ({version})",
             "see `billing overhead list`", code=2)
    published = _publish(engine, month,
                         lambda current: [pool for pool in current if pool.name != name],
                         note or f"overhead remove {name}")
    if as_json:
        emit_json({"version": published, "effective_from": month, "removed": name})
        return
    out.print(f"Pool {user(repr(name))} removed from {month}, published as {published}.",
              highlight=False)
