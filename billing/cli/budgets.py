"""Commands for budgets, outcomes, forecasts and alerts."""

from __future__ import annotations

import getpass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import typer
from rich.table import Table

from billing.budgets import store as budget_store
from billing.budgets.alerts import KINDS, count_alerts
from billing.budgets.anomaly import DEFAULT_K, DEFAULT_MIN_AMOUNT, check_anomalies
from billing.budgets.budget import (
    Budget,
    BudgetError,
    Scope,
    Variance,
    parse_amount,
    parse_thresholds,
)
from billing.budgets.forecast import (
    Forecast,
    NoBaseUsage,
    ScenarioError,
    ledger_forecast,
    parse_scenario,
)
from billing.budgets.forecast_snapshots import forecast_curve, measured_growth, parse_growth
from billing.budgets.owner_webhooks import routes_in_force
from billing.budgets.webhooks import DeliveryReport, alerts_with_deliveries, deliver_pending
from billing.cli.console import (
    JSON_OPTION,
    PERIOD_OPTION,
    check_name,
    check_period,
    emit_json,
    existing_file,
    fail,
    money,
    number,
    out,
    percent,
    print_table,
    ready_engine,
    settings,
    significant,
    user,
    whole,
)
from billing.cli.exit_codes import REJECTED
from billing.cli.paging import ALL_OPTION, LIMIT_OPTION, OFFSET_OPTION, Page, limit_of
from billing.close.budget_actuals import budget_variances
from billing.close.outcome_report import unit_economics_for_period
from billing.config import Settings
from billing.ledger.outcomes import OutcomeError, ingest_outcomes_file
from billing.parties import RegistryError
from billing.period import Period
from billing.policies.in_force import policies_for
from billing.rating.overhead import PoolError
from billing.teams import UnknownTeam, check_team
from billing.use_cases import UseCaseError

TEAM = typer.Option(..., "--team", "-t", help="The team.", show_default=False,
                    callback=check_name)
PERIOD_NOW = typer.Option(None, "--period", "-p", help="Billing month, YYYY-MM; default: the "
                          "current one.", callback=check_period)


def register(app: typer.Typer) -> None:
    budgets = typer.Typer(help="Budgets per team, use case or customer and period.",
                          no_args_is_help=True)
    budgets.command("set")(budgets_set)
    budgets.command("load")(budgets_load)
    budgets.command("list")(budgets_list)
    budgets.command("status")(budgets_status)
    app.add_typer(budgets, name="budgets")
    outcomes = typer.Typer(help="Business outcomes of use cases, and cost per accepted outcome.",
                           no_args_is_help=True)
    outcomes.command("ingest")(outcomes_ingest)
    outcomes.command("report")(outcomes_report)
    app.add_typer(outcomes, name="outcomes")
    app.command("forecast")(forecast_command)
    alerts = typer.Typer(help="Budget, anomaly and unpriced-usage alerts, and their webhooks.",
                         no_args_is_help=True)
    alerts.command("list")(alerts_list)
    alerts.command("check")(alerts_check)
    alerts.command("deliver")(alerts_deliver)
    app.add_typer(alerts, name="alerts")


def _now_period(config: Settings, period: str | None) -> str:
    return period or str(Period.of(datetime.now(UTC), config.zone))


def _known_team(config: Settings, engine, team: str) -> None:  # noqa: ANN001
    """Fail, saying what to do, unless the registry lists the team or it has usage."""
    try:
        check_team(engine, policies_for(engine, _now_period(config, None)).registry, team)
    except RegistryError as exc:
        fail(str(exc), code=2)
    except UnknownTeam as exc:
        fail(str(exc), exc.hint, code=2)


def budgets_set(
    team: str = TEAM,
    period: str = PERIOD_OPTION,
    amount: str = typer.Option(..., "--amount", "-a", help="Budget in the card currency, as a "
                               "decimal, e.g. 5000.00.", show_default=False),
    hard_cap: bool = typer.Option(False, "--hard-cap", help="Block calls once spend reaches "
                                  "the amount (default: soft budget, warn only)."),
    use_case: str = typer.Option(None, "--use-case", "-u", help="Budget one use case of the "
                                 "team instead of the whole team.", callback=check_name),
    customer: str = typer.Option(None, "--customer", "-c", help="Budget a customer's "
                                 "chargeback spend instead.", callback=check_name),
    currency: str = typer.Option(None, "--currency", help="ISO 4217 code; default: the card's."),
    thresholds: str = typer.Option("50,80,100", "--thresholds",
                                   help="Alert thresholds in percent, comma separated."),
    warn_percent: str = typer.Option("80", "--warn-percent",
                                     help="Percent from which the gateway status is warn."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Set (create or replace) a budget for a team, a use case or a customer in a period."""
    config = settings()
    engine = ready_engine(config)
    try:
        scope = Scope.of(team, use_case, customer)
        defaults = budget_store.default_currencies(engine, config.team_card,
                                                   config.customer_card)
        chosen = currency or defaults.get(scope.kind)
        if not chosen:
            raise BudgetError("no published card gives a currency: pass --currency USD")
        budget = Budget(scope, period, parse_amount(amount), chosen.upper(),
                        parse_thresholds(thresholds), parse_amount(warn_percent, "warn_percent"),
                        hard_cap)
        if scope.kind != "customer":
            _known_team(config, engine, team)
        _, created = budget_store.set_budget(engine, budget, set_by=getpass.getuser())
    except BudgetError as exc:
        fail(str(exc), code=2)
    if as_json:
        emit_json(budget.to_dict() | {"created": created})
        return
    cap = "hard cap" if hard_cap else "soft"
    out.print(f"Budget {'set' if created else 'replaced'}: {scope.kind} "
              f"{user(scope.key)}, {period}: "
              f"{money(budget.amount, budget.currency, code=True)} ({cap}; alerts at "
              f"{', '.join(f'{t}%' for t in budget.thresholds)}).", highlight=False)


def budgets_load(
    file: Path = typer.Argument(..., help="Budgets YAML (see the README, Budgets).",
                                show_default=False),
    as_json: bool = JSON_OPTION,
) -> None:
    """Set every budget of a YAML file (all are checked before any is set)."""
    config = settings()
    path = file
    if not path.is_file():
        fail(f"no budgets file at {path}", "pass the path of a budgets YAML file", code=2)
    engine = ready_engine(config)
    try:
        registry = policies_for(engine, _now_period(config, None)).registry
        results = budget_store.load_budgets_into(
            engine, path.read_text(encoding="utf-8"), str(path), team_card=config.team_card,
            customer_card=config.customer_card, set_by=getpass.getuser(),
            check_team=lambda team: check_team(engine, registry, team))
    except (BudgetError, RegistryError) as exc:
        fail(str(exc), code=2)
    except UnknownTeam as exc:
        fail(f"{path}: {exc}; no budget was set", exc.hint, code=2)
    if as_json:
        emit_json([budget.to_dict() | {"created": created} for budget, created in results])
        return
    out.print(f"Set {len(results)} budgets from {path}.")


def budgets_list(
    period: str = PERIOD_NOW,
    team: str = typer.Option(None, "--team", "-t", help="Only this team's budgets.",
                             callback=check_name),
    as_json: bool = JSON_OPTION,
) -> None:
    """Budgets of a period with spend so far, variance and the run-rate month-end projection."""
    config = settings()
    period = _now_period(config, period)
    engine = ready_engine(config)
    try:
        reports = budget_variances(engine, period, pools=policies_for(engine, period).pools,
                                   zone=config.zone, now=datetime.now(UTC), team=team)
    except PoolError as exc:
        fail(str(exc), code=2)
    if as_json:
        emit_json([report.to_dict() for report in reports])
        return
    if not reports:
        out.print(f"No budgets for {period}. Set one with `billing budgets set`.")
        return
    table = Table(title=f"Budgets, {period}", title_justify="left")
    for name in ("scope", "budget", "spent", "used", "status", "variance", "with overhead",
                 "projected", "proj. variance"):
        table.add_column(name, justify="left" if name in ("scope", "status") else "right")
    for report in reports:
        status = report.status.to_dict()
        projection = report.projection
        currency = report.budget.currency
        projected_variance = ""
        if projection.variance is not None:
            projected_variance = money(projection.variance.absolute, currency)
            if projection.variance.percent is not None:
                projected_variance += f" ({percent(projection.variance.percent, 1)})"
        table.add_row(
            f"{report.budget.scope.kind} {report.budget.scope.key}",
            money(report.budget.amount, currency, code=True),
            money(report.status.spent, currency),
            percent(status["percent_used"]) if status["percent_used"] else "",
            status["decision"] + (" (hard cap)" if report.budget.hard_cap else ""),
            _variance(report.variance, currency),
            "" if report.total_variance is None else _variance(report.total_variance, currency),
            "" if projection.projected is None else money(projection.projected, currency),
            projected_variance,
        )
    print_table(table, optional=("proj. variance", "projected", "with overhead"))


def _variance(variance: Variance, currency: str) -> str:
    """'280.28 over budget': the gap and its side, as the statement prints it."""
    return f"{money(abs(variance.absolute), currency)} {variance.standing}"


def budgets_status(
    team: str = TEAM,
    period: str = PERIOD_NOW,
    use_case: str = typer.Option(None, "--use-case", "-u", help="Also check this use case.",
                                 callback=check_name),
    customer: str = typer.Option(None, "--customer", "-c", help="Also check this customer.",
                                 callback=check_name),
    as_json: bool = JSON_OPTION,
) -> None:
    """What the gateway is told: allow, warn or block, with spend and remaining budget."""
    config = settings()
    period = _now_period(config, period)
    engine = ready_engine(config)
    _known_team(config, engine, team)
    result = budget_store.gateway_status(engine, team, period, use_case=use_case,
                                         customer=customer).to_dict()
    try:
        reports = budget_variances(engine, period, pools=policies_for(engine, period).pools,
                                   zone=config.zone, now=datetime.now(UTC), team=team)
    except PoolError as exc:
        fail(str(exc), code=2)
    shown = [report for report in reports if report.budget.scope.key in {
        check["scope_key"] for check in result["checks"]}]
    result["documents"] = [report.to_dict() for report in shown]
    if as_json:
        emit_json(result)
        return
    out.print(f"{user(team)}, {period}: [bold]{result['decision']}[/]")
    for report in shown:
        currency = report.budget.currency
        total = ("" if report.total_variance is None else
                 f"; with overhead {_variance(report.total_variance, currency)}")
        out.print(f"  as the statement shows it: {report.budget.scope.kind} "
                  f"{user(report.budget.scope.key)} {_variance(report.variance, currency)}{total}",
                  highlight=False)
    for check in result["checks"]:
        currency = check["currency"]
        out.print(f"  {check['scope']} {user(check['scope_key'])}: {check['decision']}, spent "
                  f"{money(check['spent'], currency)} of "
                  f"{money(check['budget'], currency, code=True)} "
                  f"({percent(check['percent_used'])}), remaining "
                  f"{money(check['remaining'], currency)}", highlight=False)
    if not result["checks"]:
        spent = result["spent"]
        if result.get("currency"):
            spent = money(spent, result["currency"], code=True)
        out.print(f"  no budget set; spent {spent} so far", highlight=False)


def outcomes_ingest(
    file: Path = typer.Argument(..., help="Outcomes: JSON array, JSON lines or CSV.",
                                show_default=False),
    as_json: bool = JSON_OPTION,
) -> None:
    """Load outcomes (idempotent on outcome_id); prints accepted, duplicate and rejected. Exit
    1 if any row was rejected (the others are loaded)."""
    existing_file(file)
    config = settings()
    engine = ready_engine(config)
    try:
        declared = policies_for(engine, _now_period(config, None)).use_cases
        result = ingest_outcomes_file(engine, file, zone=config.zone, use_cases=declared)
    except (OutcomeError, UseCaseError) as exc:
        fail(str(exc), code=2)
    if as_json:
        emit_json(result.to_dict())
    else:
        out.print(f"{user(file)}: {result.accepted:,} accepted, {result.duplicates:,} "
                  f"duplicates, {result.rejected:,} rejected.", highlight=False)
        for error in result.errors[:20]:
            out.print(f"  row {error.index + 1} ({error.outcome_id or 'no id'}): "
                      f"{error.message}", highlight=False, markup=False)
    if result.rejected:
        raise typer.Exit(REJECTED)


def outcomes_report(
    period: str = PERIOD_OPTION,
    team: str = typer.Option(None, "--team", "-t", help="Only this team's use cases.",
                             callback=check_name),
    as_json: bool = JSON_OPTION,
) -> None:
    """Cost per accepted outcome, pass rate and cost per outcome, per use case."""
    config = settings()
    engine = ready_engine(config)
    try:
        policies = policies_for(engine, period)
        declared = policies.use_cases
        report = unit_economics_for_period(engine, period, pools=policies.pools,
                                           use_cases=declared, team=team,
                                           now=datetime.now(UTC), zone=config.zone)
    except (UseCaseError, PoolError) as exc:
        fail(str(exc), code=2)
    if as_json:
        emit_json([item.to_dict() | {"definition": declared[item.use_case].to_dict()
                                     if item.use_case in declared else None}
                   for item in report])
        return
    table = Table(title=f"Unit economics, {period} (cost = spend + charged overhead)",
                  title_justify="left")
    for name in ("use case", "per accepted", "cost", "outcomes", "accepted", "pass rate",
                 "per call", "per outcome", "note"):
        table.add_column(name, justify="left" if name in ("use case", "note") else "right")
    for item in report:
        row = item.to_dict()
        table.add_row(f"{item.team or '?'}/{item.use_case}",
                      _unit_cost(item.cost_per_accepted_outcome),
                      money(item.cost, item.currency), f"{item.outcomes:,}", f"{item.accepted:,}",
                      "" if item.pass_rate is None else percent(item.pass_rate * 100, 1),
                      _unit_cost(item.cost_per_call), _unit_cost(item.cost_per_outcome),
                      row["note"] or "")
    print_table(table, wrap=("note",), optional=("per outcome", "per call", "note", "outcomes",
                                                    "pass rate"))
    for item in report:
        if item.use_case in declared:
            use_case = declared[item.use_case]
            outcome = use_case.outcome
            out.print(f"{item.use_case}: owner {use_case.owner or '(none)'}"
                      + (f"; outcome '{outcome.name}' from {outcome.start} to {outcome.end}, "
                         f"accepted when {outcome.quality_rule}" if outcome else ""),
                      highlight=False, markup=False)


def _unit_cost(value: Decimal | None) -> str:
    return "" if value is None else number(value)


def forecast_command(
    team: str = TEAM,
    use_case: str = typer.Option(None, "--use-case", "-u", help="Forecast one use case.",
                                 callback=check_name),
    scenario: list[str] = typer.Option(None, "--scenario", "-s", help="NAME=calls:+40%,tokens:"
                                       "9100,rate:0.0042 (repeat for more; drivers left out "
                                       "stay as today).", show_default=False),
    period: str = typer.Option(None, "--period", "-p", help="The period today's drivers come "
                               "from; default: last month. The month in progress is projected "
                               "to its end from the days elapsed.", callback=check_period),
    calls: str = typer.Option(None, "--calls", help="Override today's calls."),
    tokens: str = typer.Option(None, "--tokens", help="Override today's tokens per call."),
    rate: str = typer.Option(None, "--rate", help="Override today's rate per 1,000 tokens."),
    months: int = typer.Option(None, "--months", "-m", min=1, max=12, help=(
        "Also carry each scenario 1 to 12 months ahead at steady adoption growth.")),
    growth: str = typer.Option(None, "--growth", help="Adoption growth a month for --months, "
                               "as a percent (default: the base month's calls against the "
                               "month before, within +-50%)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Project a month as calls x tokens per call x rate, under scenarios side by side; with
    --months, the curve of the months after it."""
    config = settings()
    engine = ready_engine(config)
    try:
        scenarios = [parse_scenario(text) for text in scenario or []]
        overrides = {name: None if value is None else parse_amount(value, f"--{name}")
                     for name, value in (("calls", calls), ("tokens", tokens), ("rate", rate))}
        result = ledger_forecast(
            engine, team, period, scenarios, now=datetime.now(UTC), zone=config.zone,
            use_case=use_case, team_card=config.team_card, **overrides)
    except (ScenarioError, BudgetError) as exc:
        fail(str(exc), code=2)
    except NoBaseUsage as exc:
        fail(str(exc), exc.hint, code=2)
    ahead = None
    if months:
        try:
            per_month = (measured_growth(engine, team, result.base_period, use_case)
                         if growth is None else parse_growth(growth))
        except ScenarioError as exc:
            fail(str(exc), code=2)
        ahead = forecast_curve(result, per_month, months)
    if as_json:
        emit_json(result.to_dict() | {"team": team, "use_case": use_case}
                  | ({"ahead": ahead} if ahead else {}))
        return
    print_forecast(result, team if not use_case else f"{team}/{use_case}")
    if ahead:
        print_curve(ahead, result.currency)


def print_curve(ahead: dict, currency: str) -> None:
    names = list(ahead["curves"])
    growth = percent(Decimal(ahead["growth_per_month"]) * 100)
    table = Table(title=f"Months ahead, calls {growth} a month", title_justify="left")
    table.add_column("month")
    for name in names:
        table.add_column(name, justify="right")
    for index, period in enumerate(ahead["months"]):
        table.add_row(period, *[money(ahead["curves"][name][index]["amount"], currency)
                                for name in names])
    print_table(table)


def print_forecast(result: Forecast, who: str) -> None:
    """Calls and tokens per call whole, with separators; the rate to 4 significant figures;
    a month in progress says so and what its calls so far were projected to."""
    table = Table(title=f"Forecast: {who}, from {result.base_period} ({result.currency})",
                  title_justify="left")
    for name in ("scenario", "calls", "tokens / call", "rate / 1k", "cost", "change", "%"):
        table.add_column(name, justify="left" if name == "scenario" else "right")
    for row in result.projections:
        drivers = row.drivers
        table.add_row(row.name, number(drivers.calls.normalize()),
                      whole(drivers.tokens_per_call), significant(drivers.rate_per_1k),
                      money(row.cost, result.currency),
                      ("+" if row.change >= 0 else "") + money(row.change, result.currency),
                      "" if row.change_percent is None
                      else ("+" if row.change_percent >= 0 else "") + percent(row.change_percent))
    print_table(table, optional=("rate / 1k",))
    progress = result.in_progress
    if progress is not None:
        so_far = (f"{result.base_period} is in progress, day {progress.days_elapsed} of "
                  f"{progress.days_in_month}: {number(progress.calls_so_far)} calls so far")
        if progress.projected_calls is None:
            out.print(f"{so_far}; the calls given replace them.", highlight=False)
        else:
            out.print(f"{so_far} x {progress.days_in_month}/{progress.days_elapsed} = "
                      f"{number(progress.projected_calls)} projected.", highlight=False)


def alerts_list(
    period: str = typer.Option(None, "--period", "-p", help="Only this billing month.",
                               callback=check_period),
    team: str = typer.Option(None, "--team", "-t", help="Only this team.", callback=check_name),
    kind: str = typer.Option(None, "--kind", help=f"Only one kind: {', '.join(KINDS)}."),
    limit: int = LIMIT_OPTION,
    offset: int = OFFSET_OPTION,
    every: bool = ALL_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Alerts raised, newest first, each with its webhook deliveries (delivered, retrying
    with the next attempt's time, or dead letter after the last allowed attempt)."""
    config = settings()
    engine = ready_engine(config)
    rows = alerts_with_deliveries(engine, period=period, team=team, kind=kind,
                                  limit=limit_of(limit, every), offset=offset)
    page = Page(count_alerts(engine, period=period, team=team, kind=kind), len(rows),
                limit_of(limit, every), offset)
    if as_json:
        emit_json({"alerts": rows, **page.to_dict()})
        return
    if not rows:
        out.print("No alerts" + (f" from row {offset + 1}" if offset and page.total else "")
                  + ".")
        return
    for row in rows:
        out.print(f"{row['raised_at']:%Y-%m-%d %H:%M} {row['severity']:<8} {row['kind']:<9} "
                  f"{row['message']}", highlight=False, markup=False)
        for delivery in row["deliveries"]:
            out.print(f"  webhook {delivery['url']}: {_delivery_state(delivery)}",
                      highlight=False, markup=False, soft_wrap=True)
    if page.footer():
        out.print(page.footer(), highlight=False)


def _delivery_state(delivery: dict) -> str:
    attempts = f"{delivery['attempts']} attempt{'s' if delivery['attempts'] != 1 else ''}"
    if delivery["state"] == "delivered":
        return f"delivered {delivery['delivered_at']:%Y-%m-%d %H:%M} ({attempts})"
    last = f"; last: {delivery['last_error']}" if delivery["last_error"] else ""
    if delivery["state"] == "dead":
        return (f"dead letter after {attempts}{last}; it is not sent again "
                "(see `billing alerts list --json`)")
    return f"retrying after {attempts}, next at {delivery['next_attempt_at']:%Y-%m-%d %H:%M}{last}"


def _deliver(config: Settings, engine) -> DeliveryReport:  # noqa: ANN001
    return deliver_pending(engine, list(config.webhook_urls), config.webhook_secret or "",
                           routes=routes_in_force(engine, config))


def alerts_check(
    day: str = typer.Option(None, "--day", help="Day to check, YYYY-MM-DD; default: yesterday."),
    k: str = typer.Option(str(DEFAULT_K), "--k", help="Spike when above median + k x MAD."),
    min_amount: str = typer.Option(str(DEFAULT_MIN_AMOUNT), "--min-amount",
                                   help="Ignore rises smaller than this amount."),
    deliver: bool = typer.Option(True, "--deliver/--no-deliver",
                                 help="Send pending alerts to the webhooks afterwards."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Check a day's spend per use case for spikes, then deliver pending alerts."""
    config = settings()
    engine = ready_engine(config)
    try:
        when = date.fromisoformat(day) if day else (
            datetime.now(config.zone).date() - timedelta(days=1))
        raised = check_anomalies(engine, when, k=parse_amount(k, "--k"),
                                 min_amount=parse_amount(min_amount, "--min-amount"))
        report = _deliver(config, engine) if deliver else DeliveryReport(nothing_to_do=True)
    except (ValueError, BudgetError) as exc:
        fail(str(exc), code=2)
    if as_json:
        emit_json({"day": when, "anomalies": [a.message for a in raised],
                   "delivery": report.to_dict()})
        return
    out.print(f"{when}: {len(raised)} new anomalies.")
    for alert in raised:
        out.print(f"  {alert.message}", highlight=False, markup=False)
    _print_delivery(report)


def alerts_deliver(as_json: bool = JSON_OPTION) -> None:
    """Send alerts not yet delivered to the configured webhooks (signed, retried, once each)."""
    config = settings()
    engine = ready_engine(config)
    try:
        report = _deliver(config, engine)
    except ValueError as exc:
        fail(str(exc), code=2)
    if as_json:
        emit_json(report.to_dict())
        return
    _print_delivery(report)


def _print_delivery(report: DeliveryReport) -> None:
    if report.nothing_to_do:
        out.print("Webhooks: nothing to deliver (or BILLING_WEBHOOK_URLS is not set).")
        return
    out.print(f"Webhooks: {report.delivered} delivered, {len(report.failed)} failed "
              f"(tried again by a later run), {report.dead_lettered} dead-lettered.")
    for item in report.failed:
        out.print(f"  alert {item['alert_id']} to {item['url']}: {item['error']}",
                  highlight=False, markup=False)
    for item in report.paused:
        out.print(f"  paused {item['url']} until {item['until']} after failures in a row: "
                  f"{item['skipped']} alerts wait for a later run", highlight=False,
                  markup=False)
