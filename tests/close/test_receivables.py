"""What is still owed on each invoice: paid (Stripe's events), credited (credit notes),
balance, due date and status, the same in `billing invoices list` and the API."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import stripe_server
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from billing.api.app import create_app
from billing.api_keys import create_key
from billing.cli import app
from billing.close.credit_notes import issue_credit_note
from billing.close.period_close import close_period
from billing.close.receivables import receivable
from billing.close.stripe_billing import apply_event
from billing.rating.card_registry import published_versions
from billing.rating.rate import Cards, rate
from invoices.stripe_webhook import WebhookEvent

DUE = date(2026, 11, 30)
runner = CliRunner()


def _invoice(total: str, stripe: str | None = None) -> dict:
    return {"total": total, "stripe_status": stripe, "due_on": DUE}


@pytest.mark.parametrize(("invoice", "credited", "today", "expected"), [
    (_invoice("119.00"), "0", date(2026, 11, 30), ("0", "119.00", "open")),
    (_invoice("119.00"), "0", date(2026, 12, 1), ("0", "119.00", "overdue")),
    (_invoice("119.00", "open"), "19.00", date(2026, 12, 1), ("0", "100.00", "overdue")),
    (_invoice("119.00", "paid"), "19.00", date(2026, 12, 1), ("100.00", "0.00", "paid")),
    (_invoice("119.00"), "119.00", date(2026, 12, 1), ("0", "0.00", "credited")),
    (_invoice("119.00", "void"), "0", date(2026, 12, 1), ("0", "0", "void")),
    (_invoice("119.00", "uncollectible"), "0", date(2027, 1, 1), ("0", "0", "uncollectible")),
])
def test_paid_balance_and_status(invoice, credited, today, expected):
    found = receivable(invoice, Decimal(credited), today)
    assert (found["paid"], found["balance"], found["status"]) == expected
    assert Decimal(found["paid"]) + Decimal(found["balance"]) + Decimal(found["credited"]) \
        == (Decimal(invoice["total"]) if invoice["stripe_status"] not in ("void", "uncollectible")
            else Decimal(found["credited"]))


@pytest.fixture
def closed(month, close_settings, close_env):  # noqa: ANN001, ANN201
    rate(month, Cards(team=published_versions(month, "internal"),
                      customer=published_versions(month, "external")), zone=close_settings.zone)
    with stripe_server.FakeStripe() as fake:
        settings = replace(close_settings, stripe_api_key=fake.api_key, stripe_api_base=fake.url)
        result = close_period(month, settings, "2026-10", now=datetime(2026, 11, 2, tzinfo=UTC))
        assert result.status == "closed" and not result.stripe["failed"]
        yield month, settings, fake


def _listed(*args: str) -> dict[str, dict]:
    done = runner.invoke(app, ["invoices", "list", "--json", *args])
    assert done.exit_code == 0, done.output
    return {row["number"]: row for row in json.loads(done.output) if row["kind"] == "invoice"}


def test_invoices_list_shows_paid_credited_and_overdue(closed):
    engine, settings, fake = closed
    before = _listed()
    paid, credited, *rest = sorted(before)
    stripe_id = before[paid]["stripe_invoice_id"]
    event = WebhookEvent(id="evt_paid", type="invoice.paid", created=1_800_000_000,
                         livemode=False, object_type="invoice", object_id=stripe_id,
                         invoice_id=stripe_id, metadata={"invoice_number": paid}, data={})
    assert apply_event(engine, event) == "applied"
    issue_credit_note(engine, settings, credited, "1.00", "goodwill",
                      now=datetime(2026, 11, 5, tzinfo=UTC))

    after = _listed()
    assert after[paid]["status"] == "paid" and after[paid]["balance"] == "0.00"
    assert Decimal(after[paid]["paid"]) == Decimal(after[paid]["total"])
    note = Decimal(after[credited]["credited"])
    assert note >= Decimal("1.00")  # net 1.00, plus its tax where the customer pays tax
    assert Decimal(after[credited]["balance"]) == Decimal(after[credited]["total"]) - note
    # closed on 2026-11-02 with 14 to 30 days' terms: every unpaid balance is overdue today
    assert {after[number]["status"] for number in [credited, *rest]} == {"overdue"}
    assert sorted(_listed("--overdue")) == sorted([credited, *rest])

    table = runner.invoke(app, ["invoices", "list"])
    assert table.exit_code == 0 and "balance" in table.output and "overdue" in table.output

    key = create_key(engine, "finance")[0]
    with TestClient(create_app(settings)) as client:
        customer = after[credited]["subject"]
        served = client.get(f"/v1/customers/{customer}/invoices",
                            headers={"Authorization": f"Bearer {key}"}).json()["data"]
    [invoice] = [row for row in served if row["kind"] == "invoice"]
    assert (invoice["balance"], invoice["status"]) == (after[credited]["balance"], "overdue")
