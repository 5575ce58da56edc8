"""`billing sla`: service levels per tier, and the SLA credits finance approves."""

from __future__ import annotations

import typer
from rich.table import Table

from billing.cli.console import (
    JSON_OPTION,
    PERIOD_OPTION,
    check_name,
    emit_json,
    fail,
    money,
    out,
    print_table,
    ready_engine,
    settings,
)
from billing.close.credit_notes import CreditRefused
from billing.close.sla_credits import ProposalNotFound, approve, list_proposals, propose
from billing.close.slo_report import slo_report

sla_app = typer.Typer(help="Service levels per tier against the card's SLO, and SLA credits.",
                      no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(sla_app, name="sla")


@sla_app.command("attainment")
def sla_attainment(
    period: str = PERIOD_OPTION,
    team: str = typer.Option(None, "--team", "-t", help="Only this team's calls.",
                             callback=check_name),
    customer: str = typer.Option(None, "--customer", "-c", help="Only this customer's calls.",
                                 callback=check_name),
    as_json: bool = JSON_OPTION,
) -> None:
    """p50/p95 latency, error and 429 rates per tier against the tier's SLO, from the events'
    latency_ms and status. Exit 2 if both --team and --customer are given."""
    if team and customer:
        fail("give --team or --customer, not both", code=2)
    engine = ready_engine(settings())
    report = slo_report(engine, period, team=team, customer=customer)
    if as_json:
        emit_json(report)
        return
    if not report["tiers"]:
        out.print(f"No calls with a status in {period}: events carry latency_ms and status "
                  "when the gateway or the source reports them.")
        return
    table = Table(title=f"Service levels, {period}", title_justify="left")
    for name in ("tier", "calls", "p50 ms", "p95 ms", "errors", "429s", "availability",
                 "SLO", "breached"):
        table.add_column(name)
    for row in report["tiers"]:
        table.add_row(row["tier"], str(row["calls"]), str(row["p50_latency_ms"] or "-"),
                      str(row["p95_latency_ms"] or "-"), _pct(row["error_rate"]),
                      _pct(row["rate_limited_rate"]), _pct(row["availability"]),
                      ", ".join(f"{i['name']} {i['target']}" for i in row["slo"]) or "none",
                      ", ".join(row["breached"]) or "no")
    print_table(table, wrap=("SLO",))


def _pct(rate: str | None) -> str:
    return "-" if rate is None else f"{float(rate) * 100:.2f}%"


@sla_app.command("proposals")
def sla_proposals(
    period: str = PERIOD_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Propose SLA credits for the period's breaches (a tier of an external customer that
    missed its SLO, on a card with sla_credit_pct), and list the period's proposals. Nothing
    is credited until `billing sla approve ID`."""
    engine = ready_engine(settings())
    result = propose(engine, period)
    rows = list_proposals(engine, period)
    if as_json:
        emit_json({**result.to_dict(), "proposals": rows})
        return
    for note in result.skipped:
        out.print(f"skipped: {note}", markup=False)
    if not rows:
        out.print(f"No SLA credit proposals for {period}: no customer tier missed an SLO that "
                  "offers a credit.")
        return
    table = Table(title=f"SLA credit proposals, {period}", title_justify="left")
    for name in ("#", "customer", "tier", "breached", "charge", "credit", "status"):
        table.add_column(name, justify="right" if name in ("charge", "credit") else "left")
    for row in rows:
        table.add_row(str(row["id"]), row["customer"], row["tier"],
                      ", ".join(f"{i['name']} {i['actual']} vs {i['target']}"
                                for i in row["breached"]),
                      money(row["charge"], row["currency"], code=True),
                      money(row["amount"], row["currency"], code=True),
                      row["status"] + (f" ({row['credit_note']})" if row["credit_note"] else ""))
    print_table(table, wrap=("breached",))
    out.print("Approve one with `billing sla approve ID`: a credit note is issued against the "
              "customer's invoice of the period.", markup=False)


@sla_app.command("approve")
def sla_approve(
    proposal_id: int = typer.Argument(..., metavar="ID", help="The proposal's number (#)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Approve an SLA credit proposal: issues its credit note (once; approving again issues
    nothing). Exit 2 if the proposal is unknown or cannot be credited yet."""
    config = settings()
    engine = ready_engine(config)
    try:
        found = approve(engine, config, proposal_id)
    except (ProposalNotFound, CreditRefused) as exc:
        fail(str(exc), "see `billing sla proposals --period YYYY-MM`", code=2)
    if as_json:
        emit_json(found)
        return
    if not found["issued"]:
        out.print(f"Proposal #{proposal_id} was already approved: credit note "
                  f"{found['credit_note']}; nothing more issued.", markup=False)
        return
    out.print(f"Approved #{proposal_id}: credit note {found['credit_note']} for "
              f"{money(found['amount'], found['currency'], code=True)} net to "
              f"{found['customer']}.", markup=False)
