"""Credit notes: a correction to a finalised invoice, issued in Stripe once per our number."""

from decimal import Decimal

import pytest

from invoices.stripe_sync import StripeSyncError, push_credit_note, push_invoice


@pytest.fixture
def pushed(client, invoice, retry):
    return push_invoice(client, invoice, retry=retry)


def test_credit_note_on_an_open_invoice_lowers_what_is_due(fake, client, pushed, retry):
    note = push_credit_note(client, stripe_invoice_id=pushed.stripe_invoice_id,
                            credit_note_number="CN-2026-11-0001", amount=Decimal("100.00"),
                            currency="USD", reason="order_change", memo="Late usage", retry=retry)

    assert note.created and note.amount == Decimal("100.00") and note.currency == "USD"
    assert note.status == "issued" and note.stripe_credit_note_id.startswith("cn_")
    [stored] = fake.of("credit_note")
    assert stored["amount"] == 10000 and stored["type"] == "pre_payment"
    assert stored["metadata"] == {"credit_note_number": "CN-2026-11-0001",
                                  "invoice_number": "INV-2026-11-0001"}
    assert fake.objects[pushed.stripe_invoice_id]["amount_due"] == 145383 - 10000
    assert fake.calls_to("POST", "/v1/credit_notes")[0].idempotency_key == (
        "chargeback/credit-note/CN-2026-11-0001")


def test_the_same_credit_note_twice_is_issued_once(fake, client, pushed, retry):
    args = dict(stripe_invoice_id=pushed.stripe_invoice_id, credit_note_number="CN-1",
                amount=Decimal("5.00"), currency="USD", retry=retry)
    first = push_credit_note(client, **args)
    again = push_credit_note(client, **args)

    assert (first.created, again.created) == (True, False)
    assert again.stripe_credit_note_id == first.stripe_credit_note_id
    assert len(fake.of("credit_note")) == 1


def test_credit_note_response_lost_is_replayed_not_doubled(fake, client, pushed, retry):
    fake.drop_after_work("POST", "/v1/credit_notes")
    note = push_credit_note(client, stripe_invoice_id=pushed.stripe_invoice_id,
                            credit_note_number="CN-1", amount=Decimal("5.00"), currency="USD",
                            retry=retry)
    assert note.created and len(fake.of("credit_note")) == 1
    assert [c.replayed for c in fake.calls_to("POST", "/v1/credit_notes")] == [False, True]


def test_credit_note_on_a_paid_invoice_goes_to_the_customer_balance(fake, client, pushed, retry):
    fake.set_invoice(pushed.stripe_invoice_id, status="paid", amount_paid=145383,
                     amount_remaining=0)
    note = push_credit_note(client, stripe_invoice_id=pushed.stripe_invoice_id,
                            credit_note_number="CN-1", amount=Decimal("20.00"), currency="USD",
                            retry=retry)
    assert note.created and fake.of("credit_note")[0]["type"] == "post_payment"
    assert fake.objects[pushed.stripe_customer_id]["balance"] == -2000


def test_credit_note_in_another_currency_is_refused(client, pushed, retry):
    with pytest.raises(ValueError, match="EUR"):
        push_credit_note(client, stripe_invoice_id=pushed.stripe_invoice_id,
                         credit_note_number="CN-1", amount=Decimal("1.00"), currency="EUR",
                         retry=retry)


def test_credit_note_above_the_invoice_is_refused_with_stripes_reason(client, pushed, retry):
    with pytest.raises(StripeSyncError) as refused:
        push_credit_note(client, stripe_invoice_id=pushed.stripe_invoice_id,
                         credit_note_number="CN-1", amount=Decimal("5000.00"), currency="USD",
                         retry=retry)
    assert refused.value.param == "amount" and refused.value.http_status == 400
