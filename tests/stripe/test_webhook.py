"""Webhooks: only a delivery signed by Stripe with our secret, and recent, becomes an event."""

import json
import time
from decimal import Decimal

import pytest
import stripe
import stripe_webhooks
from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.testclient import TestClient

from invoices.stripe_sync import (
    WebhookVerificationError,
    push_credit_note,
    push_invoice,
    verify_webhook,
)

SECRET = "whsec_test_secret"


@pytest.fixture
def paid_event(fake, client, invoice, retry):
    pushed = push_invoice(client, invoice, retry=retry)
    fake.set_invoice(pushed.stripe_invoice_id, status="paid")
    return stripe_webhooks.event("invoice.paid", fake.objects[pushed.stripe_invoice_id],
                                 event_id="evt_paid_1")


def signed(event, secret=SECRET, timestamp=None):
    payload = json.dumps(event).encode()
    return payload, stripe_webhooks.signature_header(payload, secret, timestamp)


def test_good_signature_gives_the_event(paid_event):
    payload, header = signed(paid_event)

    event = verify_webhook(payload, header, SECRET)

    assert (event.id, event.type, event.object_type) == ("evt_paid_1", "invoice.paid", "invoice")
    assert event.invoice_id == paid_event["data"]["object"]["id"]
    assert event.metadata["invoice_number"] == "INV-2026-11-0001"
    assert event.livemode is False


def test_a_delivery_signed_by_stripes_own_signer_verifies(paid_event):
    """Signed by the stripe SDK's implementation of Stripe's scheme, not by our test helper."""
    payload = json.dumps(paid_event, indent=2)  # verified as raw bytes, whatever the layout
    header = stripe.WebhookSignature.generate_signature_header(payload, SECRET)
    event = verify_webhook(payload.encode(), header, SECRET)
    assert (event.id, event.invoice_id) == ("evt_paid_1", paid_event["data"]["object"]["id"])
    rotated = f"{header},v1={'0' * 64}"  # Stripe signs with every active secret
    assert verify_webhook(payload.encode(), rotated, SECRET).id == "evt_paid_1"
    with pytest.raises(WebhookVerificationError, match="Stripe-Signature"):
        verify_webhook(payload.encode(), header, "whsec_other")


@pytest.mark.parametrize("tamper", ["secret", "payload", "header", "missing"])
def test_bad_signature_is_refused(paid_event, tamper):
    payload, header = signed(paid_event, secret="whsec_other" if tamper == "secret" else SECRET)
    if tamper == "payload":
        payload = payload.replace(b'"paid"', b'"void"')
    if tamper == "header":
        header = "v1=deadbeef"
    if tamper == "missing":
        header = ""
    with pytest.raises(WebhookVerificationError, match="Stripe-Signature"):
        verify_webhook(payload, header, SECRET)


def test_an_old_delivery_is_refused_as_a_replay_attack(paid_event):
    payload, header = signed(paid_event, timestamp=int(time.time()) - 3600)
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        verify_webhook(payload, header, SECRET)
    assert verify_webhook(payload, header, SECRET, tolerance=7200).id == "evt_paid_1"


def test_signed_garbage_is_refused():
    payload = b'{"not": "an event"}'
    header = stripe_webhooks.signature_header(payload, SECRET)
    with pytest.raises(WebhookVerificationError, match="not a Stripe event"):
        verify_webhook(payload, header, SECRET)


def test_a_redelivered_event_verifies_to_the_same_id(paid_event):
    first = verify_webhook(*signed(paid_event), SECRET)
    again = verify_webhook(*signed(paid_event, timestamp=int(time.time()) + 5), SECRET)
    assert again.id == first.id and again.invoice_id == first.invoice_id


def test_credit_note_event_names_its_invoice(fake, client, invoice, retry):
    pushed = push_invoice(client, invoice, retry=retry)
    note = push_credit_note(client, stripe_invoice_id=pushed.stripe_invoice_id,
                            credit_note_number="CN-1", amount=Decimal("1.00"), currency="USD",
                            retry=retry)
    event = stripe_webhooks.event("credit_note.created",
                                  fake.objects[note.stripe_credit_note_id])
    verified = verify_webhook(*signed(event), SECRET)
    assert (verified.object_type, verified.invoice_id) == ("credit_note", pushed.stripe_invoice_id)


def test_an_app_receives_signed_deliveries_and_dedupes_replays(paid_event):
    """How the API's webhook route will use it: 400 on a bad signature, dedupe on event id."""
    app, seen = FastAPI(), []

    @app.post("/v1/stripe/webhook")
    async def webhook(request: Request, stripe_signature: str = Header("")):
        try:
            event = verify_webhook(await request.body(), stripe_signature, SECRET)
        except WebhookVerificationError as error:
            raise HTTPException(400, str(error)) from None
        duplicate = event.id in seen
        seen.append(event.id)
        return {"id": event.id, "duplicate": duplicate}

    http = TestClient(app)
    first = stripe_webhooks.send_webhook(http.post, "/v1/stripe/webhook", paid_event, SECRET)
    again = stripe_webhooks.send_webhook(http.post, "/v1/stripe/webhook", paid_event, SECRET)
    forged = stripe_webhooks.send_webhook(http.post, "/v1/stripe/webhook", paid_event, "whsec_x")

    assert first.json() == {"id": "evt_paid_1", "duplicate": False}
    assert again.json() == {"id": "evt_paid_1", "duplicate": True}
    assert forged.status_code == 400
