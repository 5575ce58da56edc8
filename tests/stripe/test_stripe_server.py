"""The local Stripe keeps Stripe's wire contract, so tests against it mean something."""

import httpx
import pytest
import stripe
import stripe_server


@pytest.fixture
def http(fake):
    with httpx.Client(base_url=fake.url,
                      headers={"Authorization": f"Bearer {fake.api_key}"}) as client:
        yield client


def test_nested_form_keys_decode_to_objects_and_lists():
    pairs = [("metadata[invoice_number]", "INV-1"), ("address[line1]", "1 Main"),
             ("tax_id_data[0][type]", "eu_vat"), ("tax_id_data[0][value]", "DE1"),
             ("amount", "1999"), ("auto_advance", "false")]
    assert stripe_server.decode_form(pairs) == {
        "metadata": {"invoice_number": "INV-1"}, "address": {"line1": "1 Main"},
        "tax_id_data": [{"type": "eu_vat", "value": "DE1"}], "amount": 1999,
        "auto_advance": False}


def test_same_key_same_parameters_replays_the_first_response(fake, http):
    body = {"name": "Acme", "metadata[our_customer_id]": "acme"}
    first = http.post("/v1/customers", data=body, headers={"Idempotency-Key": "k1"})
    again = http.post("/v1/customers", data=body, headers={"Idempotency-Key": "k1"})
    assert first.json() == again.json() and first.json()["id"].startswith("cus_")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert len(fake.of("customer")) == 1


def test_same_key_other_parameters_is_an_idempotency_error(fake, client):
    client.v1.customers.create({"name": "Acme"}, {"idempotency_key": "k1"})
    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create({"name": "Globex"}, {"idempotency_key": "k1"})
    assert len(fake.of("customer")) == 1


def test_errors_have_stripes_body_and_status(fake, http):
    missing = http.get("/v1/invoices/in_nope")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"type": "invalid_request_error",
                                        "message": "No such invoice: 'in_nope'",
                                        "code": "resource_missing", "param": "id"}}
    anonymous = httpx.get(f"{fake.url}/v1/customers")
    assert anonymous.status_code == 401 and "error" in anonymous.json()


def test_lists_and_searches_use_stripes_envelopes(fake, client):
    for n in range(3):
        client.v1.customers.create({"name": f"C{n}", "metadata": {"our_customer_id": f"c{n}"}})
    page = client.v1.customers.list({"limit": 2})
    assert (page.object, len(page.data), page.has_more) == ("list", 2, True)
    assert page.data[0].name == "C2"  # newest first
    found = client.v1.customers.search({"query": "metadata['our_customer_id']:'c1'"})
    assert found.object == "search_result" and [c.name for c in found.data] == ["C1"]


def test_draft_invoice_sweeps_pending_items_only_when_asked(fake, client):
    customer = client.v1.customers.create({"name": "Acme"})
    client.v1.invoice_items.create({"customer": customer.id, "amount": 700, "currency": "usd"})
    excluded = client.v1.invoices.create({"customer": customer.id,
                                          "pending_invoice_items_behavior": "exclude"})
    included = client.v1.invoices.create({"customer": customer.id,
                                          "pending_invoice_items_behavior": "include"})
    assert (excluded.total, included.total) == (0, 700)
    assert included.lines.data[0].amount == 700
