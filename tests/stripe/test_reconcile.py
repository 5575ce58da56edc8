"""Reconciliation reads Stripe's totals back by our invoice number and names every difference."""

from decimal import Decimal

from invoices.stripe_sync import fetch_for_reconcile, push_invoice, reconcile_differences


def test_pushed_invoices_agree_with_ours(client, usd_invoice, retry):
    ours = [usd_invoice(number="INV-1"), usd_invoice(number="INV-2", customer="globex")]
    for invoice in ours:
        push_invoice(client, invoice, retry=retry)

    totals = fetch_for_reconcile(client, [invoice.number for invoice in ours], retry=retry)

    assert set(totals) == {"INV-1", "INV-2"}
    assert totals["INV-1"].total == Decimal("1453.83") and totals["INV-1"].currency == "USD"
    assert totals["INV-1"].status == "open" and totals["INV-1"].amount_due == Decimal("1453.83")
    assert all(reconcile_differences(inv, totals[inv.number]) == () for inv in ours)


def test_an_altered_stripe_total_is_reported(fake, client, invoice, retry):
    pushed = push_invoice(client, invoice, retry=retry)
    fake.set_invoice(pushed.stripe_invoice_id, total=145300)

    totals = fetch_for_reconcile(client, [invoice.number], retry=retry)

    assert totals[invoice.number].total == Decimal("1453.00")
    assert reconcile_differences(invoice, totals[invoice.number]) == (
        "invoice INV-2026-11-0001: Stripe total 1453.00 USD, ours 1453.83 USD",)


def test_a_missing_invoice_is_reported(client, invoice, retry):
    assert fetch_for_reconcile(client, [invoice.number], retry=retry) == {}
    assert reconcile_differences(invoice, None) == ("invoice INV-2026-11-0001 is not in Stripe",)


def test_an_invoice_in_stripe_twice_is_reported(fake, client, invoice, retry):
    pushed = push_invoice(client, invoice, retry=retry)
    client.v1.invoices.create({"customer": pushed.stripe_customer_id, "currency": "usd",
                               "collection_method": "send_invoice", "days_until_due": 30,
                               "metadata": {"invoice_number": invoice.number}})

    totals = fetch_for_reconcile(client, [invoice.number], retry=retry)[invoice.number]

    assert totals.stripe_invoice_id == pushed.stripe_invoice_id
    assert len(totals.duplicates) == 1
    [difference] = reconcile_differences(invoice, totals)
    assert "more than once" in difference


def test_a_voided_copy_is_not_a_duplicate(fake, client, invoice, retry):
    pushed = push_invoice(client, invoice, retry=retry)
    copy = client.v1.invoices.create({"customer": pushed.stripe_customer_id,
                                      "metadata": {"invoice_number": invoice.number}})
    fake.set_invoice(copy.id, status="void")

    totals = fetch_for_reconcile(client, [invoice.number], retry=retry)[invoice.number]

    assert totals.stripe_invoice_id == pushed.stripe_invoice_id and totals.duplicates == ()
