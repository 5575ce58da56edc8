"""Pushing a chargeback invoice: one customer, one item per line, one finalised invoice, once."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from invoices.stripe_amounts import to_minor_units
from invoices.stripe_sync import (
    StripeInvoice,
    StripeLine,
    StripeSyncError,
    idempotency_key,
    push_invoice,
)


class Crash(Exception):
    """The process dying between two Stripe calls."""


def crash_after(step_name: str):
    def on_step(step: str, stripe_id: str) -> None:
        if step == step_name:
            raise Crash(step)
    return on_step


def test_happy_path_creates_customer_items_and_a_finalised_invoice(fake, client, invoice, retry):
    result = push_invoice(client, invoice, retry=retry)

    assert result.created == ("customer", "invoice", "item:support-copilot",
                              "item:contract-extraction", "item:tax", "finalize")
    assert (result.found, result.skipped, result.nothing_to_do) == ((), (), False)
    assert result.status == "open"
    assert result.hosted_invoice_url.startswith("https://invoice.stripe.com/i/")
    assert result.stripe_number == fake.objects[result.stripe_invoice_id]["number"]
    assert (result.total, result.currency) == (Decimal("1453.83"), "USD")

    [customer] = fake.of("customer")
    assert customer["id"] == result.stripe_customer_id
    assert customer["metadata"] == {"our_customer_id": "acme"}
    assert customer["address"]["postal_code"] == "94105"
    assert customer["tax_ids"]["data"][0]["value"] == "12-3456789"

    items = fake.of("invoiceitem")
    assert [(i["amount"], i["currency"], i["invoice"]) for i in items] == [
        (123456, "usd", result.stripe_invoice_id), (8710, "usd", result.stripe_invoice_id),
        (13217, "usd", result.stripe_invoice_id)]
    assert items[0]["metadata"] == {"invoice_number": "INV-2026-11-0001",
                                    "line_id": "support-copilot", "period": "2026-11"}

    stripe_invoice = fake.objects[result.stripe_invoice_id]
    assert stripe_invoice["collection_method"] == "send_invoice"
    assert stripe_invoice["days_until_due"] == 30
    assert stripe_invoice["metadata"]["invoice_number"] == "INV-2026-11-0001"
    assert stripe_invoice["total"] == 145383
    assert len(stripe_invoice["lines"]["data"]) == 3


def test_every_mutating_call_carries_a_deterministic_idempotency_key(fake, client, invoice,
                                                                     retry):
    push_invoice(client, invoice, retry=retry)
    posts = [call for call in fake.calls if call.method == "POST"]
    assert [call.idempotency_key for call in posts] == [
        idempotency_key(invoice.number, step)
        for step in ("customer", "invoice", "item:support-copilot", "item:contract-extraction",
                     "item:tax", "finalize")]
    assert all(call.idempotency_key.startswith("chargeback/INV-2026-11-0001/") for call in posts)


def test_second_push_is_a_no_op_reporting_nothing_to_do(fake, client, invoice, retry):
    first = push_invoice(client, invoice, retry=retry)
    calls_before = len(fake.calls)

    again = push_invoice(client, invoice, retry=retry)

    assert again.nothing_to_do and again.created == ()
    assert again.skipped == ("nothing to do: invoice already open in Stripe",)
    assert (again.stripe_invoice_id, again.hosted_invoice_url) == (
        first.stripe_invoice_id, first.hosted_invoice_url)
    assert all(call.method == "GET" for call in fake.calls[calls_before:])
    assert len(fake.of("invoice")) == 1 and len(fake.of("invoiceitem")) == 3


def test_crash_after_the_items_then_resume_finalises_once_without_a_second_item(
        fake, client, invoice, retry):
    with pytest.raises(Crash):
        push_invoice(client, invoice, retry=retry, on_step=crash_after("item:tax"))
    assert fake.objects[fake.of("invoice")[0]["id"]]["status"] == "draft"
    assert fake.calls_to("POST", "/v1/invoices/*/finalize") == []

    result = push_invoice(client, invoice, retry=retry)

    assert result.found == ("customer", "invoice", "item:support-copilot",
                            "item:contract-extraction", "item:tax")
    assert result.created == ("finalize",)
    assert result.status == "open"
    assert len(fake.of("customer")) == 1 and len(fake.of("invoice")) == 1
    assert len(fake.of("invoiceitem")) == 3
    assert len(fake.calls_to("POST", "/v1/invoices/*/finalize")) == 1


def test_crash_midway_through_the_items_adds_only_the_missing_ones(fake, client, invoice, retry):
    with pytest.raises(Crash):
        push_invoice(client, invoice, retry=retry, on_step=crash_after("item:support-copilot"))

    result = push_invoice(client, invoice, retry=retry)

    assert result.created == ("item:contract-extraction", "item:tax", "finalize")
    assert len(fake.of("invoiceitem")) == 3
    assert result.total == invoice.total


def test_lagging_search_does_not_make_a_second_customer_on_resume(fake, client, invoice, retry):
    """Stripe's search can miss a customer made seconds ago; the idempotency key still holds."""
    fake.lag_search()
    with pytest.raises(Crash):
        push_invoice(client, invoice, retry=retry, on_step=crash_after("customer"))

    result = push_invoice(client, invoice, retry=retry)

    assert len(fake.of("customer")) == 1
    [create, replay] = fake.calls_to("POST", "/v1/customers")
    assert (create.replayed, replay.replayed) == (False, True)
    assert result.stripe_customer_id == fake.of("customer")[0]["id"]


def test_known_stripe_customer_is_used_without_search_or_create(fake, client, invoice, retry):
    first = push_invoice(client, invoice, retry=retry)
    december = StripeInvoice(**{**invoice.__dict__, "number": "INV-2026-12-0001",
                                "period": "2026-12"})

    result = push_invoice(client, december, first.stripe_customer_id, retry=retry)

    assert result.found == ("customer",) and result.stripe_customer_id == first.stripe_customer_id
    assert len(fake.calls_to("GET", "/v1/customers/search")) == 1  # the first push's only
    assert len(fake.calls_to("GET", "/v1/customers/cus_*")) == 1
    assert len(fake.of("customer")) == 1 and len(fake.of("invoice")) == 2


def test_existing_customer_is_found_by_our_metadata(fake, client, usd_invoice, retry):
    push_invoice(client, usd_invoice(number="INV-A"), retry=retry)
    result = push_invoice(client, usd_invoice(number="INV-B"), retry=retry)
    assert result.found == ("customer",)
    assert len(fake.of("customer")) == 1 and len(fake.of("invoice")) == 2


def test_jpy_amounts_go_to_stripe_in_whole_yen(fake, client, retry):
    invoice = StripeInvoice(
        number="INV-JP-2026-11-0001", customer_id="tanaka-kk", customer_name="Tanaka KK",
        currency="JPY", period="2026-11",
        lines=(StripeLine("support-copilot", "サポート", Decimal("184500")),
               StripeLine("overhead", "Platform overhead", Decimal("12001"))),
        tax=Decimal("19650"), customer_address={"country": "JP", "postal_code": "100-0001"})

    result = push_invoice(client, invoice, retry=retry)

    assert [item["amount"] for item in fake.of("invoiceitem")] == [184500, 12001, 19650]
    assert {item["currency"] for item in fake.of("invoiceitem")} == {"jpy"}
    assert fake.objects[result.stripe_invoice_id]["total"] == 216151
    assert (result.total, result.currency) == (Decimal("216151"), "JPY")


def test_kwd_amounts_go_to_stripe_in_fils(fake, client, retry):
    invoice = StripeInvoice(number="INV-KW-1", customer_id="gulf", customer_name="Gulf Co",
                            currency="KWD", period="2026-11",
                            lines=(StripeLine("a", "Usage", Decimal("12.345")),))
    result = push_invoice(client, invoice, retry=retry)
    assert fake.of("invoiceitem")[0]["amount"] == 12345
    assert result.total == Decimal("12.345")


def test_an_unrounded_amount_is_refused_before_anything_is_sent():
    with pytest.raises(ValueError, match="minor unit"):
        StripeInvoice(number="X", customer_id="c", customer_name="C", currency="JPY",
                      period="2026-11", lines=(StripeLine("a", "Usage", Decimal("10.5")),))


def test_duplicate_or_reserved_line_ids_are_refused():
    line = StripeLine("a", "Usage", Decimal("1.00"))
    with pytest.raises(ValueError, match="unique"):
        StripeInvoice(number="X", customer_id="c", customer_name="C", currency="USD",
                      period="2026-11", lines=(line, line))
    with pytest.raises(ValueError, match="tax"):
        StripeInvoice(number="X", customer_id="c", customer_name="C", currency="USD",
                      period="2026-11", lines=(StripeLine("tax", "Tax", Decimal("1.00")),))


def test_a_draft_edited_in_stripe_is_not_finalised(fake, client, invoice, retry):
    with pytest.raises(Crash):
        push_invoice(client, invoice, retry=retry, on_step=crash_after("item:tax"))
    first_item = fake.of("invoiceitem")[0]
    first_item["amount"] += 1

    with pytest.raises(StripeSyncError) as refused:
        push_invoice(client, invoice, retry=retry)

    assert refused.value.code == "line_amount_mismatch"
    assert fake.of("invoice")[0]["status"] == "draft"


def test_a_pending_item_of_the_customer_stays_out_of_our_invoice(fake, client, invoice, retry):
    """A stray pending item (a hand-made charge) is not swept into the invoice we push."""
    customer = client.v1.customers.create({"name": "Acme Corp",
                                           "metadata": {"our_customer_id": invoice.customer_id}})
    stray = client.v1.invoice_items.create({"customer": customer.id, "amount": 999,
                                            "currency": "usd", "description": "hand-made"})

    result = push_invoice(client, invoice, retry=retry)

    assert result.status == "open" and result.total == invoice.total
    [pushed] = fake.of("invoice")
    assert pushed["customer"] == customer.id
    assert pushed["total"] == to_minor_units(invoice.total, "USD")
    assert stray.id not in {line["id"] for line in pushed["lines"]["data"]}
    assert fake.objects[stray.id]["invoice"] is None


def test_a_draft_with_a_foreign_item_is_not_finalised(fake, client, invoice, retry):
    with pytest.raises(Crash):
        push_invoice(client, invoice, retry=retry, on_step=crash_after("item:tax"))
    draft = fake.of("invoice")[0]
    client.v1.invoice_items.create({"customer": draft["customer"], "invoice": draft["id"],
                                    "amount": 500, "currency": "usd"})

    with pytest.raises(StripeSyncError) as refused:
        push_invoice(client, invoice, retry=retry)

    assert refused.value.code == "total_mismatch"
    assert "not finalised" in refused.value.message
    assert fake.of("invoice")[0]["status"] == "draft"


def test_resume_of_a_long_invoice_pages_through_the_existing_items(fake, client, retry):
    lines = tuple(StripeLine(f"line-{n:03d}", f"Use case {n}", Decimal("1.01"))
                  for n in range(130))
    invoice = StripeInvoice(number="INV-LONG", customer_id="big", customer_name="Big Co",
                            currency="USD", period="2026-11", lines=lines)
    with pytest.raises(Crash):
        push_invoice(client, invoice, retry=retry, on_step=crash_after("item:line-114"))

    result = push_invoice(client, invoice, retry=retry)

    assert len(result.found) == 2 + 115 and len(result.created) == 15 + 1
    assert len(fake.of("invoiceitem")) == 130
    assert [c.params["limit"] for c in fake.calls_to("GET", "/v1/invoiceitems")] == [100] * 3
    assert result.total == Decimal("131.30")


def test_invoice_pushed_under_another_stripe_customer_is_still_found(fake, client, invoice,
                                                                     retry):
    """The registry learnt a different Stripe customer after the first push: no second invoice."""
    first = push_invoice(client, invoice, retry=retry)
    other = client.v1.customers.create({"name": "Acme (merged)"})

    again = push_invoice(client, invoice, other.id, retry=retry)

    assert again.nothing_to_do and again.stripe_invoice_id == first.stripe_invoice_id
    assert again.stripe_customer_id == first.stripe_customer_id
    assert len(fake.of("invoice")) == 1


def test_idempotency_keys_stay_within_stripes_limit():
    assert idempotency_key("INV-1", "item:a") == "chargeback/INV-1/item:a"
    long_step = "item:" + "x" * 300
    key = idempotency_key("INV-1", long_step)
    assert len(key) <= 255 and key == idempotency_key("INV-1", long_step)
    assert key != idempotency_key("INV-1", long_step + "y")


def test_concurrent_pushes_of_one_invoice_converge_on_one_of_everything(fake, client, invoice,
                                                                        retry):
    """Two workers pushing the same invoice at once: the idempotency keys make them agree."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: push_invoice(client, invoice, retry=retry), range(4)))

    assert len({r.stripe_invoice_id for r in results}) == 1
    assert {r.status for r in results} == {"open"}
    assert len(fake.of("customer")) == 1 and len(fake.of("invoice")) == 1
    assert len(fake.of("invoiceitem")) == 3
