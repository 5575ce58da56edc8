"""Tests of the test helpers, not of the product.

They check that the local Stripe (tests/stripe_server.py) and the webhook signer
(tests/stripe_webhooks.py) keep Stripe's wire contract, so product tests run against them mean
something. What the product does with that contract is tested elsewhere: idempotent replays
and idempotency errors in test_push_faults.py, Stripe's errors in test_push_faults.py, search
and list paging in test_push_invoice.py, pending items left out of our invoice in
test_push_invoice.py, SDK-signed webhooks in test_webhook.py.
"""

import json

import httpx
import pytest
import stripe
import stripe_server
import stripe_webhooks


@pytest.fixture
def http(fake):
    with httpx.Client(base_url=fake.url,
                      headers={"Authorization": f"Bearer {fake.api_key}"}) as client:
        yield client


def test_local_stripe_decodes_nested_form_keys_to_objects_and_lists():
    pairs = [("metadata[invoice_number]", "INV-1"), ("address[line1]", "1 Main"),
             ("tax_id_data[0][type]", "eu_vat"), ("tax_id_data[0][value]", "DE1"),
             ("amount", "1999"), ("auto_advance", "false")]
    assert stripe_server.decode_form(pairs) == {
        "metadata": {"invoice_number": "INV-1"}, "address": {"line1": "1 Main"},
        "tax_id_data": [{"type": "eu_vat", "value": "DE1"}], "amount": 1999,
        "auto_advance": False}


def test_local_stripe_replays_the_first_response_for_the_same_key(fake, http):
    body = {"name": "Acme", "metadata[our_customer_id]": "acme"}
    first = http.post("/v1/customers", data=body, headers={"Idempotency-Key": "k1"})
    again = http.post("/v1/customers", data=body, headers={"Idempotency-Key": "k1"})
    assert first.json() == again.json() and first.json()["id"].startswith("cus_")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert len(fake.of("customer")) == 1


def test_local_stripe_refuses_a_key_reused_with_other_parameters(fake, client):
    client.v1.customers.create({"name": "Acme"}, {"idempotency_key": "k1"})
    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create({"name": "Globex"}, {"idempotency_key": "k1"})
    assert len(fake.of("customer")) == 1


def test_local_stripe_errors_have_stripes_body_and_status(fake, http):
    missing = http.get("/v1/invoices/in_nope")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"type": "invalid_request_error",
                                        "message": "No such invoice: 'in_nope'",
                                        "code": "resource_missing", "param": "id"}}
    anonymous = httpx.get(f"{fake.url}/v1/customers")
    assert anonymous.status_code == 401 and "error" in anonymous.json()


def test_local_stripe_lists_and_searches_use_stripes_envelopes(fake, client):
    for n in range(3):
        client.v1.customers.create({"name": f"C{n}", "metadata": {"our_customer_id": f"c{n}"}})
    page = client.v1.customers.list({"limit": 2})
    assert (page.object, len(page.data), page.has_more) == ("list", 2, True)
    assert page.data[0].name == "C2"  # newest first
    found = client.v1.customers.search({"query": "metadata['our_customer_id']:'c1'"})
    assert found.object == "search_result" and [c.name for c in found.data] == ["C1"]


def test_local_stripe_sweeps_pending_items_only_when_asked(fake, client):
    customer = client.v1.customers.create({"name": "Acme"})
    client.v1.invoice_items.create({"customer": customer.id, "amount": 700, "currency": "usd"})
    excluded = client.v1.invoices.create({"customer": customer.id,
                                          "pending_invoice_items_behavior": "exclude"})
    included = client.v1.invoices.create({"customer": customer.id,
                                          "pending_invoice_items_behavior": "include"})
    assert (excluded.total, included.total) == (0, 700)
    assert included.lines.data[0].amount == 700


def test_webhook_signer_matches_the_sdks_own_signing():
    payload = json.dumps(stripe_webhooks.event("invoice.paid", {"id": "in_1"})).encode()
    ours = stripe_webhooks.signature_header(payload, "whsec_x", timestamp=1_700_000_000)
    assert ours == stripe.WebhookSignature.generate_signature_header(
        payload.decode(), "whsec_x", timestamp=1_700_000_000)
