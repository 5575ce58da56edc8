"""`billing reconcile`: one set of numbers from the usage ledger to Stripe, or where it breaks."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import stripe_server
from sqlalchemy import select, update
from typer.testing import CliRunner

from billing.cli import app
from billing.close.period_close import close_period
from billing.close.reconcile import rebuild_documents, reconcile
from billing.ledger.metering import ingest_lines
from billing.models import Document, RatedLine
from billing.rating.card_registry import published_versions
from billing.rating.rate import Cards, rate

NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")
documents = Document.__table__
rated = RatedLine.__table__
runner = CliRunner()


def _cli(*args: str):  # noqa: ANN202
    return runner.invoke(app, ["reconcile", "--period", "2026-10", *args])


def _rate(engine) -> None:  # noqa: ANN001
    rate(engine, Cards(team=published_versions(engine, "internal"),
                       customer=published_versions(engine, "external")), zone=UTC_ZONE)


def _stored(engine, kind: str) -> list:  # noqa: ANN001
    with engine.connect() as connection:
        return connection.execute(select(documents).where(documents.c.kind == kind)
                                  .order_by(documents.c.number)).all()


def _largest_line(engine, view: str):  # noqa: ANN001, ANN202
    with engine.connect() as connection:
        lines = connection.execute(select(rated).where(
            rated.c.view == view, rated.c.period == "2026-10", rated.c.amount.is_not(None),
            (rated.c.team if view == "showback" else rated.c.customer).is_not(None))).all()
    return max(lines, key=lambda line: line.amount)


def _tamper(engine, line, by: Decimal) -> None:  # noqa: ANN001
    with engine.begin() as connection:
        connection.execute(update(rated).where(rated.c.id == line.id)
                           .values(amount=line.amount + by))


def _late_event() -> str:
    return json.dumps({"event_id": "late-1", "occurred_at": "2026-10-15T12:00:00Z",
                       "team": "support", "use_case": "support-copilot", "customer": "acme",
                       "provider": "openai", "model": "gpt-4o-mini", "input_tokens": 1000,
                       "output_tokens": 100})


def test_a_closed_month_reconciles_to_the_cent_and_exits_0(month, close_env):
    close_period(month, close_env, "2026-10", now=NOW)
    result = reconcile(month, close_env, "2026-10")
    assert result.ok and result.status == "closed", result.breaks
    assert {link.name: link.status for link in result.links} == {
        "ledger": "ok", "documents": "ok", "totals": "ok", "stripe": "skipped",
        "grand_total": "ok"}
    statements = _stored(month, "statement")
    assert [row.number for row in result.statements] == [row.number for row in statements]
    for row, stored in zip(result.statements, statements, strict=True):
        assert row.total == stored.total == row.rounded + row.added
        assert abs(row.difference) <= Decimal("0.005") * row.lines
    grand = next(total for total in result.totals if total.kind == "statements")
    assert grand.total == sum(row.total for row in statements)
    assert grand.total == grand.exact + grand.rounding + grand.added and not grand.residual
    assert grand.added == Decimal("4800.00") and grand.added_parts == (
        ("observability", Decimal("4800.00")),)  # the charged pool; `platform` is central
    assert grand.rounded != grand.exact  # rounding each line once is what the rows explain

    human = _cli()
    assert human.exit_code == 0, human.output
    assert "the chain holds" in human.output and statements[0].number in human.output
    machine = json.loads(_cli("--json").stdout)
    assert machine["ok"] and machine["breaks"] == [] and machine["status"] == "closed"
    assert machine["totals"][0]["residual"] == "0.00"


def test_a_rated_line_changed_after_the_close_exits_1_naming_the_document(month, close_env):
    close_period(month, close_env, "2026-10", now=NOW)
    line = _largest_line(month, "showback")
    _tamper(month, line, Decimal("1.00"))
    number = f"ST-2026-10-{line.team}"
    machine = _cli("--json")
    assert machine.exit_code == 1, machine.output
    breaks = json.loads(machine.stdout)["breaks"]
    documents = [item for item in breaks if item["link"] == "documents"]
    # the changed line, and the overhead split by spend that it moved
    [changed] = [item for item in documents if not item["reason"].startswith("overhead share")]
    assert changed["where"] == number and "amount" in changed["reason"]
    assert all(item["reason"].startswith("overhead share") for item in documents
               if item is not changed)
    stored, now = changed["reason"].split("amount ")[1].split(" on the document, ")
    assert Decimal(now.split()[0]) - Decimal(stored) == Decimal("1.00")
    assert any(item["link"] == "ledger" and number in item["reason"] for item in breaks)
    assert any(item["link"] == "grand_total" for item in breaks)
    human = _cli()
    assert human.exit_code == 1 and number in human.output and "breaks" in human.output


def test_a_changed_chargeback_amount_names_the_invoice(month, close_env):
    close_period(month, close_env, "2026-10", now=NOW)
    line = _largest_line(month, "chargeback")
    _tamper(month, line, Decimal("0.0001"))  # under a cent: no invoice line moves
    invoice = next(row for row in _stored(month, "invoice") if row.subject == line.customer)
    result = reconcile(month, close_env, "2026-10")
    assert not result.ok
    assert {item.where for item in result.breaks} >= {invoice.number,
                                                     f"customer {line.customer}"}


def test_an_unrated_event_is_a_break_that_says_to_run_billing_rate(month, close_env):
    _rate(month)
    assert reconcile(month, close_env, "2026-10").ok
    ingest_lines(month, [_late_event()], zone=UTC_ZONE, source="late")
    result = reconcile(month, close_env, "2026-10")
    [unrated] = result.breaks
    assert unrated.link == "ledger" and "1 usage events of 2026-10 are not rated" in \
        unrated.reason and "billing rate" in unrated.next_step
    assert _cli().exit_code == 1
    _rate(month)
    assert reconcile(month, close_env, "2026-10").ok


def test_late_usage_of_a_closed_month_is_reconciled_once_rated_into_the_next(month,
                                                                              close_env):
    close_period(month, close_env, "2026-10", now=NOW)
    ingest_lines(month, [_late_event()], zone=UTC_ZONE, source="late")
    [unrated] = reconcile(month, close_env, "2026-10").breaks
    assert "next open period" in unrated.next_step
    _rate(month)
    assert reconcile(month, close_env, "2026-10").ok  # rated as an adjustment in 2026-11
    november = reconcile(month, close_env, "2026-11")
    assert november.ok and november.status == "open"
    assert [row.subject for row in november.statements] == ["support"]


def test_an_open_month_is_checked_against_a_provisional_rebuild(month, close_env):
    _rate(month)
    result = reconcile(month, close_env, "2026-10")
    assert result.ok and result.status == "open" and "open" in result.message
    assert {link.name: link.status for link in result.links}["totals"] == "skipped"
    assert {link.name: link.status for link in result.links}["stripe"] == "skipped"
    assert result.statements and all(row.number.startswith("ST-2026-10-")
                                     for row in result.statements)
    assert all(not total.residual for total in result.totals)


def test_a_stored_document_that_no_longer_adds_up_is_a_break(month, close_env):
    close_period(month, close_env, "2026-10", now=NOW)
    first = _stored(month, "statement")[0]
    with month.begin() as connection:
        connection.execute(update(documents).where(documents.c.id == first.id)
                           .values(total=first.total + Decimal("0.01")))
    result = reconcile(month, close_env, "2026-10")
    [edited] = [item for item in result.breaks if item.link == "totals"]
    assert edited.where == first.number and "documents table says" in edited.reason


def test_the_rebuild_is_one_swappable_function(month, close_env):
    close_period(month, close_env, "2026-10", now=NOW)

    def without_invoices(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        return replace(rebuild_documents(*args, **kwargs), invoices={})

    result = reconcile(month, close_env, "2026-10", rebuild=without_invoices)
    missing = [item for item in result.breaks if item.link == "documents"]
    assert missing and all(item.where.startswith("INV-2026-") for item in missing)
    assert all("no priced invoice usage" in item.reason for item in missing)


@pytest.fixture
def fake():  # noqa: ANN201
    with stripe_server.FakeStripe() as server:
        yield server


def test_stripe_is_the_last_link_when_it_is_configured(month, close_env, fake):
    with_stripe = replace(close_env, stripe_api_key=fake.api_key, stripe_api_base=fake.url)
    close_period(month, with_stripe, "2026-10", now=NOW)  # pushes every invoice
    result = reconcile(month, with_stripe, "2026-10")
    assert result.ok and {link.name: link.status for link in result.links}["stripe"] == "ok"
    first = _stored(month, "invoice")[0]
    fake.set_invoice(first.stripe_invoice_id, total=1)
    [differs] = reconcile(month, with_stripe, "2026-10").breaks
    assert differs.link == "stripe" and first.number in differs.reason
    assert "billing stripe push" in differs.next_step
