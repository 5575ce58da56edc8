"""Stripe webhook events change an invoice's status only in the order Stripe created them, only
in the mode we run in, and only when their time is believable.

Before: an `invoice.payment_failed` created before an applied `invoice.paid` flipped the invoice
back to payment_failed; a `livemode: true` event signed with our secret was applied while we run
on a test key; a delivery stamped 10 days in the future was accepted; a signed event whose `id`
is an object was a 500.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import stripe_server
from fastapi.testclient import TestClient
from sqlalchemy import select
from stripe_webhooks import event, send_webhook, signature_header

from billing.api.app import create_app
from billing.close.period_close import close_period
from billing.models import Document, StripeEvent

NOW = datetime(2026, 11, 2, 3, tzinfo=UTC)
SECRET = "whsec_test"
PATH = "/v1/stripe/webhook"
documents = Document.__table__
TEN_DAYS = 10 * 24 * 3600


@pytest.fixture
def fake():  # noqa: ANN201
    with stripe_server.FakeStripe() as server:
        yield server


@pytest.fixture
def stripe_app(month, close_settings, fake):  # noqa: ANN001, ANN201
    config = replace(close_settings, stripe_api_key=fake.api_key, stripe_api_base=fake.url,
                     stripe_webhook_secret=SECRET)
    close_period(month, config, "2026-10", now=NOW)
    with TestClient(create_app(config)) as client:
        yield client


def _first(engine):  # noqa: ANN001, ANN202
    with engine.connect() as connection:
        return connection.execute(select(documents).where(documents.c.kind == "invoice")
                                  .order_by(documents.c.number)).first()


def _event(kind: str, invoice, created: int, **fields: object) -> dict:  # noqa: ANN001
    body = event(kind, {"id": invoice.stripe_invoice_id, "object": "invoice",
                        "metadata": {"invoice_number": invoice.number}})
    return {**body, "created": created, **fields}


def test_an_older_payment_failed_never_undoes_a_newer_paid(month, stripe_app):
    invoice = _first(month)
    now = int(time.time())
    paid = _event("invoice.paid", invoice, now)
    failed_before = _event("invoice.payment_failed", invoice, now - 60)
    assert send_webhook(stripe_app.post, PATH, paid, SECRET).json()["result"] == "applied"
    late = send_webhook(stripe_app.post, PATH, failed_before, SECRET)
    assert late.status_code == 200 and late.json()["result"] == "stale"
    assert _first(month).stripe_status == "paid"
    assert send_webhook(stripe_app.post, PATH, failed_before, SECRET).json()[
        "result"] == "duplicate"
    with month.connect() as connection:
        recorded = dict(connection.execute(select(StripeEvent.__table__.c.event_id,
                                                  StripeEvent.__table__.c.result)).all())
    assert recorded == {paid["id"]: "applied", failed_before["id"]: "stale"}


def test_events_in_order_each_apply(month, stripe_app):
    invoice = _first(month)
    now = int(time.time())
    for kind, created, status in (("invoice.payment_failed", now - 60, "payment_failed"),
                                  ("invoice.paid", now, "paid")):
        answer = send_webhook(stripe_app.post, PATH, _event(kind, invoice, created), SECRET)
        assert answer.json()["result"] == "applied"
        assert _first(month).stripe_status == status


def test_a_live_mode_event_is_refused_when_we_run_on_a_test_key(month, stripe_app):
    invoice = _first(month)
    live = _event("invoice.paid", invoice, int(time.time()), livemode=True)
    answer = send_webhook(stripe_app.post, PATH, live, SECRET)
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "livemode" in answer.json()["detail"]
    assert _first(month).stripe_status == "open"


@pytest.mark.parametrize("where", ["header", "created"])
def test_an_event_from_ten_days_ahead_is_refused(month, stripe_app, where):
    invoice = _first(month)
    ahead = int(time.time()) + TEN_DAYS
    if where == "header":
        answer = send_webhook(stripe_app.post, PATH,
                              _event("invoice.paid", invoice, int(time.time())), SECRET,
                              timestamp=ahead)
    else:
        answer = send_webhook(stripe_app.post, PATH, _event("invoice.paid", invoice, ahead),
                              SECRET)
    assert answer.status_code == 400, answer.text
    assert "future" in answer.json()["detail"]
    assert _first(month).stripe_status == "open"


@pytest.mark.parametrize("field,value", [("id", {"nested": "object"}), ("type", ["x"]),
                                         ("created", "soon"), ("data", []),
                                         ("livemode", "yes")])
def test_a_signed_payload_that_is_not_an_event_is_a_4xx_problem(month, stripe_app, field,
                                                                 value):
    body = {**_event("invoice.paid", _first(month), int(time.time())), field: value}
    payload = json.dumps(body).encode()
    answer = stripe_app.post(PATH, content=payload, headers={
        "Stripe-Signature": signature_header(payload, SECRET),
        "Content-Type": "application/json"})
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert field in answer.json()["detail"]
    assert _first(month).stripe_status == "open"
