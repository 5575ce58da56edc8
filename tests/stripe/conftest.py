"""Fixtures for the Stripe sync: a local Stripe per test and the real SDK pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
import stripe
import stripe_server

from invoices.stripe_sync import RetryPolicy, StripeInvoice, StripeLine, stripe_client


@pytest.fixture
def fake() -> Iterator[stripe_server.FakeStripe]:
    with stripe_server.FakeStripe() as server:
        yield server


@pytest.fixture
def client(fake: stripe_server.FakeStripe) -> stripe.StripeClient:
    return stripe_client(fake.api_key, api_base=fake.url)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def retry(sleeps: list[float]) -> RetryPolicy:
    """Our retries, with the waits recorded instead of slept and the jitter fixed at half."""
    return RetryPolicy(attempts=4, sleep=sleeps.append, jitter=lambda: 0.5)


def _usd_invoice(number: str = "INV-2026-11-0001", customer: str = "acme") -> StripeInvoice:
    return StripeInvoice(
        number=number, customer_id=customer, customer_name="Acme Corp", currency="USD",
        period="2026-11",
        lines=(StripeLine("support-copilot", "Support copilot, better tier", Decimal("1234.56")),
               StripeLine("contract-extraction", "Contract extraction, best tier",
                          Decimal("87.10"))),
        tax=Decimal("132.17"), customer_email="ap@acme.example",
        customer_address={"line1": "1 Market St", "city": "San Francisco", "state": "CA",
                          "postal_code": "94105", "country": "US"},
        tax_ids=(("us_ein", "12-3456789"),), days_until_due=30,
    )


@pytest.fixture
def invoice() -> StripeInvoice:
    return _usd_invoice()


@pytest.fixture
def usd_invoice() -> Callable[..., StripeInvoice]:
    """Another USD invoice: `usd_invoice(number=..., customer=...)`."""
    return _usd_invoice
