"""Overhead pool commands: list pools and their allocation, add or change one, remove one.

Pools live in the YAML file named by BILLING_OVERHEAD_POOLS (default overhead.yaml), so they
stay reviewable in git; these commands edit that file (comments in it are not kept). A pool in
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
from billing.rating.overhead import (
    DRIVERS,
    Pool,
    PoolError,
    dump_pools,
    load_pools_file,
    make_pool,
    missing_rate,
    periods_without_rate,
    pool_to_dict,
    save_pool,
)

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
    """The configured pools; with --period, how each is split between teams."""
    config = settings()
    try:
        pools = load_pools_file(config.overhead_pools)
    except PoolError as exc:
        fail(str(exc), code=2)
    allocation: dict[str, list] = {}
    if period:
        engine = ready_engine(config)
        pools = [pool for pool in pools if pool.applies_to(period)]
        allocation = {team: list(lines.overhead)
                      for team, lines in period_lines(engine, period, pools=pools).items()
                      if lines.overhead}
    if as_json:
        emit_json({"file": str(config.overhead_pools),
                   "pools": [pool_to_dict(pool) for pool in pools],
                   "allocation": {team: [{"pool": s.pool, "treatment": s.treatment,
                                          "amount": str(s.amount),
                                          "explanation": s.explanation()} for s in shares]
                                  for team, shares in sorted(allocation.items())}})
        return
    if not pools:
        out.print(f"No overhead pools in {user(config.overhead_pools)}. Add one with "
                  "`billing overhead set NAME --amount A --driver spend`.")
        return
    table = Table(title=f"Overhead pools ({config.overhead_pools})", title_justify="left")
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
    share: list[str] = typer.Option([], "--share", help="With --driver shares: TEAM=WEIGHT, "
                                    "repeatable."),
    period: list[str] = typer.Option([], "--period", help="Periods it applies to (repeatable); "
                                     "none: every period.", callback=check_period),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a pool, or replace the pool of the same name."""
    config = settings()
    shares = {}
    for item in share:
        team, sep, weight = item.partition("=")
        if not sep or not team:
            fail(f"--share {item!r} is not TEAM=WEIGHT", "e.g. --share support=3", code=2)
        shares[team] = weight
    try:
        pool = make_pool(name, amount, currency, driver, treatment, shares, tuple(period))
    except PoolError as exc:
        fail(str(exc), code=2)
    note = _check_rates(config, pool)
    try:
        save_pool(config.overhead_pools, pool)
    except PoolError as exc:
        fail(str(exc), code=2)
    if as_json:
        emit_json({"file": str(config.overhead_pools), "pool": pool_to_dict(pool),
                   "note": note})
        return
    amount = money(pool.amount, pool.currency, code=True)
    out.print(f"Pool {user(repr(pool.name))} saved in {user(config.overhead_pools)}: {amount}, by "
              f"{pool.driver}, {pool.treatment}.")
    if note:
        out.print(f"[yellow]note:[/] {user(note)}", highlight=False)


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
    as_json: bool = JSON_OPTION,
) -> None:
    """Remove a pool from the file."""
    config = settings()
    try:
        pools = load_pools_file(config.overhead_pools)
    except PoolError as exc:
        fail(str(exc), code=2)
    kept = [pool for pool in pools if pool.name != name]
    if len(kept) == len(pools):
        fail(f"no pool named {name!r} in {config.overhead_pools}",
             "see `billing overhead list`", code=2)
    config.overhead_pools.write_text(dump_pools(kept), encoding="utf-8")
    if as_json:
        emit_json({"file": str(config.overhead_pools), "removed": name})
        return
    out.print(f"Pool {user(repr(name))} removed from {user(config.overhead_pools)}.")
