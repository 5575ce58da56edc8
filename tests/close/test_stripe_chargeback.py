"""Closed invoices reach Stripe (the real SDK, a local Stripe) exactly once; payments flow back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import stripe_server
from fastapi.testclient import TestClient
from sqlalchemy import select
from stripe_webhooks import event, send_webhook
from typer.testing import CliRunner

from billing.api.app import create_app
from billing.cli import app
from billing.close.credit_notes import issue_credit_note
from billing.close.period_close import close_period
from billing.close.stripe_billing import push_period, reconcile_period
from billing.models import Document
from invoices.stripe_sync import RetryPolicy

NOW = datetime(2026, 11, 2, 3, tzinfo=UTC)
SECRET = "whsec_test"
documents = Document.__table__
FAST = RetryPolicy(attempts=4, sleep=lambda _s: None)


@pytest.fixture
def fake():  # noqa: ANN201
    with stripe_server.FakeStripe() as server:
        yield server


@pytest.fixture
def stripe_settings(close_settings, fake):  # noqa: ANN001, ANN201
    return replace(close_settings, stripe_api_key=fake.api_key, stripe_api_base=fake.url,
                   stripe_webhook_secret=SECRET)


def _invoices(engine) -> list:  # noqa: ANN001
    with engine.connect() as connection:
        return connection.execute(select(documents).where(documents.c.kind == "invoice")
                                  .order_by(documents.c.number)).all()


def test_close_pushes_every_invoice_once_and_a_second_push_is_a_no_op(month, stripe_settings,
                                                                         fake):
    result = close_period(month, stripe_settings, "2026-10", now=NOW)
    ours = _invoices(month)
    assert len(result.stripe["pushed"]) == len(ours) and not result.stripe["failed"]
    assert all(row.stripe_status == "open" and row.stripe_hosted_url for row in ours)
    stripe_invoices = fake.of("invoice")
    assert sorted(inv["metadata"]["invoice_number"] for inv in stripe_invoices) == [
        row.number for row in ours]
    for row in ours:
        mine = next(inv for inv in stripe_invoices if inv["id"] == row.stripe_invoice_id)
        assert mine["total"] == int(row.total * 100)
    items = len(fake.of("invoiceitem"))
    again = push_period(month, stripe_settings, "2026-10", retry=FAST)
    assert again.nothing_to_do and len(fake.of("invoiceitem")) == items
    assert reconcile_period(month, stripe_settings, "2026-10", retry=FAST) == []


def test_failures_are_retried_and_a_resumed_push_makes_no_duplicates(month, close_settings,
                                                                      stripe_settings, fake):
    close_period(month, close_settings, "2026-10", now=NOW)  # no Stripe key: nothing sent
    assert fake.of("invoice") == []
    fake.fail_each_call_once(429)
    fake.drop_after_work("POST", "/v1/invoiceitems", times=2)
    report = push_period(month, stripe_settings, "2026-10", retry=FAST)
    assert not report.failed and len(report.pushed) == len(_invoices(month))
    per_invoice = {}
    for item in fake.of("invoiceitem"):
        key = (item["metadata"]["invoice_number"], item["metadata"]["line_id"])
        per_invoice[key] = per_invoice.get(key, 0) + 1
    assert set(per_invoice.values()) == {1}


def test_a_push_killed_after_stripe_finalised_before_we_recorded_it_resumes_once(
    month, close_settings, stripe_settings, fake
):
    """Stripe finalised an invoice, its answer was lost, and the push died in the back-off
    before it could retry and record the id; the next push finds it and records it."""
    close_period(month, close_settings, "2026-10", now=NOW)  # no Stripe key: nothing sent
    fake.drop_after_work("POST", "/v1/invoices/*/finalize")
    env = dict(os.environ, DATABASE_URL=stripe_settings.database_url,
               BILLING_DOCUMENTS_DIR=str(stripe_settings.documents_dir),
               STRIPE_API_KEY=fake.api_key, STRIPE_API_BASE=fake.url)
    process = subprocess.Popen([sys.executable, "-m", "billing", "stripe", "push", "--period",
                                "2026-10", "--json"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not any(call.dropped for call in fake.calls_to("POST", "/v1/invoices/*/finalize")):
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, "the push never finalised an invoice"
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)  # in the back-off before the retry: nothing recorded
    process.wait()
    process.stderr.close()

    [finalised] = fake.calls_to("POST", "/v1/invoices/*/finalize")
    stripe_id = finalised.path.split("/")[3]
    number = fake.objects[stripe_id]["metadata"]["invoice_number"]
    landed = next(row for row in _invoices(month) if row.number == number)
    assert fake.objects[stripe_id]["status"] == "open", "Stripe should have finalised it"
    assert (landed.stripe_invoice_id, landed.stripe_status) == (None, None), (
        "the kill should land before the database recorded the Stripe invoice")

    report = push_period(month, stripe_settings, "2026-10", retry=FAST)
    assert not report.failed
    ours = _invoices(month)
    per_number: dict[str, list[str]] = {}
    for stripe_invoice in fake.of("invoice"):
        per_number.setdefault(stripe_invoice["metadata"]["invoice_number"], []).append(
            stripe_invoice["id"])
    assert per_number == {row.number: [row.stripe_invoice_id] for row in ours}
    assert next(row for row in ours if row.number == number).stripe_invoice_id == stripe_id
    assert all(row.stripe_status == "open" and row.stripe_error is None for row in ours)
    assert len(fake.calls_to("POST", f"/v1/invoices/{stripe_id}/finalize")) == 1
    assert reconcile_period(month, stripe_settings, "2026-10", retry=FAST) == []


def test_a_stripe_error_is_recorded_on_the_invoice_and_shown(month, close_settings,
                                                             stripe_settings, fake):
    close_period(month, close_settings, "2026-10", now=NOW)
    fake.fail_next("POST", "/v1/customers", times=1, status=400, code="parameter_invalid_string")
    report = push_period(month, stripe_settings, "2026-10", retry=FAST)
    assert len(report.failed) == 1 and "parameter_invalid_string" in report.failed[0]["error"]
    failed = next(row for row in _invoices(month) if row.number == report.failed[0]["number"])
    assert failed.stripe_error and failed.stripe_status is None
    retried = push_period(month, stripe_settings, "2026-10", retry=FAST)
    assert [item["number"] for item in retried.pushed] == [failed.number]
    assert all(row.stripe_error is None for row in _invoices(month))


def test_reconcile_finds_a_difference(month, stripe_settings, fake):
    close_period(month, stripe_settings, "2026-10", now=NOW)
    first = _invoices(month)[0]
    fake.set_invoice(first.stripe_invoice_id, total=1)
    differences = reconcile_period(month, stripe_settings, "2026-10", retry=FAST)
    assert len(differences) == 1 and first.number in differences[0]


def test_credit_note_becomes_a_stripe_credit_note(month, stripe_settings, fake):
    close_period(month, stripe_settings, "2026-10", now=NOW)
    acme = next(row for row in _invoices(month) if row.subject == "acme")
    issue_credit_note(month, stripe_settings, acme.number, "1.00", "SLA breach", now=NOW)
    report = push_period(month, stripe_settings, "2026-10", retry=FAST)
    assert [item["number"] for item in report.pushed] == ["CN-2026-00001"]
    [note] = fake.of("credit_note")
    assert note["invoice"] == acme.stripe_invoice_id and note["amount"] == 119
    assert push_period(month, stripe_settings, "2026-10", retry=FAST).nothing_to_do


def test_webhook_marks_paid_once_and_refuses_a_bad_signature(month, stripe_settings):
    close_period(month, stripe_settings, "2026-10", now=NOW)
    first = _invoices(month)[0]
    paid = event("invoice.paid", {"id": first.stripe_invoice_id, "object": "invoice",
                                  "metadata": {"invoice_number": first.number}})
    with TestClient(create_app(stripe_settings)) as client:
        forged = send_webhook(client.post, "/v1/stripe/webhook", paid, "whsec_wrong")
        assert forged.status_code == 400
        assert _invoices(month)[0].stripe_status == "open"
        assert send_webhook(client.post, "/v1/stripe/webhook", paid, SECRET).json()[
            "result"] == "applied"
        assert _invoices(month)[0].stripe_status == "paid"
        replay = send_webhook(client.post, "/v1/stripe/webhook", paid, SECRET)
        assert replay.status_code == 200 and replay.json()["result"] == "duplicate"


def test_the_stripe_customer_is_created_from_the_registry(month, stripe_settings, fake):
    close_period(month, stripe_settings, "2026-10", now=NOW)
    acme = next(c for c in fake.of("customer") if c["name"] == "ACME GmbH")
    assert acme["metadata"]["our_customer_id"] == "acme"
    assert acme["address"]["line1"] == "Hauptstr. 1"
    assert [(t["type"], t["value"]) for t in acme["tax_ids"]["data"]] == [
        ("eu_vat", "DE123456789")]


def test_push_and_reconcile_from_the_command_line(month, close_settings, stripe_settings, fake,
                                                   monkeypatch):
    close_period(month, close_settings, "2026-10", now=NOW)
    assert fake.of("invoice") == []
    monkeypatch.setattr("billing.cli.stripe.settings", lambda: stripe_settings)
    runner = CliRunner()
    pushed = runner.invoke(app, ["stripe", "push", "--period", "2026-10", "--json"])
    assert pushed.exit_code == 0, pushed.output
    assert len(json.loads(pushed.output)["pushed"]) == len(_invoices(month)) > 0
    again = runner.invoke(app, ["stripe", "push", "--period", "2026-10"])
    assert again.exit_code == 0 and "Nothing to push" in again.output
    agrees = runner.invoke(app, ["stripe", "reconcile", "--period", "2026-10"])
    assert agrees.exit_code == 0 and "agrees" in agrees.output
    first = _invoices(month)[0]
    fake.set_invoice(first.stripe_invoice_id, total=1)
    differs = runner.invoke(app, ["stripe", "reconcile", "--period", "2026-10", "--json"])
    assert differs.exit_code == 1
    assert any(first.number in line for line in json.loads(differs.output)["differences"])
