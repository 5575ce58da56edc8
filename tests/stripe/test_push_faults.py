"""Stripe failing under a push: transient errors retried with backoff, the rest raised typed."""

import pytest
import stripe

from invoices.stripe_sync import RetryPolicy, StripeSyncError, push_invoice


@pytest.mark.parametrize("status", [429, 500, 503])
def test_every_call_failing_once_still_pushes_exactly_once(fake, client, invoice, retry, sleeps,
                                                           status):
    fake.fail_each_call_once(status)

    result = push_invoice(client, invoice, retry=retry)

    assert result.status == "open" and not result.nothing_to_do
    assert len(fake.of("customer")) == 1 and len(fake.of("invoice")) == 1
    assert len(fake.of("invoiceitem")) == 3
    failed = [call for call in fake.calls if call.status == status]
    assert len(failed) == len([call for call in fake.calls if call.status == 200])
    assert sleeps == [0.375] * len(failed)  # first retry: 0.5 s capped, half of it jittered


def test_backoff_doubles_up_to_a_cap_with_jitter():
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0, jitter=lambda: 1.0)
    assert [policy.delay(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    no_jitter = RetryPolicy(base_delay=1.0, max_delay=8.0, jitter=lambda: 0.0)
    assert [no_jitter.delay(n) for n in range(1, 5)] == [0.5, 1.0, 2.0, 4.0]


def test_connection_reset_after_stripe_made_the_item_replays_it(fake, client, invoice, retry):
    fake.drop_after_work("POST", "/v1/invoiceitems")

    result = push_invoice(client, invoice, retry=retry)

    assert len(fake.of("invoiceitem")) == 3
    [lost, replayed] = [c for c in fake.calls_to("POST", "/v1/invoiceitems")
                        if c.idempotency_key.endswith("item:support-copilot")]
    assert (lost.dropped, lost.replayed) == (True, False)
    assert (replayed.dropped, replayed.replayed) == (False, True)
    assert result.total == invoice.total


@pytest.mark.parametrize("path", ["/v1/customers", "/v1/invoices", "/v1/invoices/*/finalize"])
def test_connection_reset_after_any_create_makes_no_duplicate(fake, client, invoice, retry, path):
    fake.drop_after_work("POST", path)

    result = push_invoice(client, invoice, retry=retry)

    assert result.status == "open"
    assert len(fake.of("customer")) == 1 and len(fake.of("invoice")) == 1
    assert len(fake.of("invoiceitem")) == 3
    assert [c.replayed for c in fake.calls_to("POST", path)] == [False, True]


def test_reset_on_finalize_then_crash_resumes_as_nothing_to_do(fake, client, invoice, sleeps):
    """Stripe finalised it but we never heard: the next push finds it open and changes nothing."""
    fake.drop_after_work("POST", "/v1/invoices/*/finalize")
    with pytest.raises(StripeSyncError) as lost:
        push_invoice(client, invoice, retry=RetryPolicy(attempts=1, sleep=sleeps.append))
    assert lost.value.transient

    result = push_invoice(client, invoice, retry=RetryPolicy(sleep=sleeps.append))

    assert result.nothing_to_do and result.status == "open"
    assert len(fake.calls_to("POST", "/v1/invoices/*/finalize")) == 1


def test_persistent_server_errors_give_up_after_the_attempts(fake, client, invoice, retry, sleeps):
    fake.fail_next("POST", "/v1/invoices", times=10, status=500)

    with pytest.raises(StripeSyncError) as gave_up:
        push_invoice(client, invoice, retry=retry)

    assert gave_up.value.transient and gave_up.value.attempts == 4
    assert gave_up.value.http_status == 500
    assert len(fake.calls_to("POST", "/v1/invoices")) == 4
    assert sleeps == [0.375, 0.75, 1.5]


def test_invalid_request_is_not_retried_and_carries_stripes_message(fake, client, invoice, retry,
                                                                   sleeps):
    with pytest.raises(StripeSyncError) as refused:
        push_invoice(client, invoice, "cus_missing", retry=retry)

    error = refused.value
    assert (error.code, error.http_status, error.error_type) == (
        "resource_missing", 404, "invalid_request_error")
    assert error.message == "No such customer: 'cus_missing'"
    assert not error.transient and error.attempts == 1 and sleeps == []


def test_card_error_is_not_retried(fake, client, invoice, retry, sleeps):
    fake.fail_next("POST", "/v1/invoices/*/finalize", status=402, code="card_declined")

    with pytest.raises(StripeSyncError) as declined:
        push_invoice(client, invoice, retry=retry)

    assert (declined.value.code, declined.value.error_type) == ("card_declined", "card_error")
    assert not declined.value.transient and sleeps == []
    assert len(fake.calls_to("POST", "/v1/invoices/*/finalize")) == 1


def test_bad_api_key_is_not_retried(fake, invoice, retry, sleeps):
    client = stripe.StripeClient("sk_test_wrong", base_addresses={"api": fake.url},
                                 max_network_retries=0)
    with pytest.raises(StripeSyncError) as refused:
        push_invoice(client, invoice, retry=retry)
    assert refused.value.http_status == 401 and sleeps == []


def test_key_reused_with_other_parameters_is_an_idempotency_error(fake, client, invoice, retry):
    """Pushing a different invoice under an already used number is refused by Stripe."""
    fake.lag_search()  # the customer made by the first push is not searchable yet
    push_invoice(client, invoice, retry=retry)
    changed = type(invoice)(**{**invoice.__dict__, "customer_name": "Acme Corporation"})

    with pytest.raises(StripeSyncError) as refused:
        push_invoice(client, changed, retry=retry)

    assert refused.value.error_type == "idempotency_error"
    assert not refused.value.transient
    assert len(fake.of("customer")) == 1


def test_stripe_should_retry_header_overrides_the_status(fake, client, invoice, retry, sleeps):
    fake.fail_next("POST", "/v1/invoices", status=500, should_retry=False)
    with pytest.raises(StripeSyncError) as refused:
        push_invoice(client, invoice, retry=retry)
    assert not refused.value.transient and sleeps == []

    fake.fail_next("POST", "/v1/invoices", status=400, should_retry=True)
    assert push_invoice(client, invoice, retry=retry).status == "open"
    assert len(sleeps) == 1
