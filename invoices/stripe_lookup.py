"""Finding our objects in Stripe: every page of a list, every match of a metadata search.

Each step of the Stripe sync first looks for what an earlier, interrupted run made, by the
metadata we stamp on everything (`our_customer_id`, `invoice_number`, `line_id`,
`credit_note_number`). Lists (`GET /v1/invoices?customer=`, `/v1/invoiceitems?invoice=`) read
what was just written; search (`/v1/customers/search`) lags writes by up to a minute, which the
idempotency keys cover. Every page is its own retried call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from invoices.stripe_retry import RetryPolicy, call_stripe


def metadata_value(obj: Mapping[str, Any], key: str) -> str | None:
    """`obj.metadata[key]`, or None when the object has no such metadata."""
    return (obj.get("metadata") or {}).get(key)


def metadata_query(key: str, value: str) -> str:
    """A Stripe search query matching `metadata[key]` exactly, quotes in the value escaped."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"metadata['{key}']:'{escaped}'"


def list_all(
    request: Callable[..., Any], params: Mapping[str, Any], retry: RetryPolicy
) -> Iterator[dict[str, Any]]:
    """Every object of a Stripe list, page by page, each page retried on its own."""
    page_params = {**params, "limit": 100}
    while True:
        page = call_stripe(request, page_params, retry=retry)
        yield from page["data"]
        if not page.get("has_more") or not page["data"]:
            return
        page_params["starting_after"] = page["data"][-1]["id"]


def search_all(
    request: Callable[..., Any], query: str, retry: RetryPolicy
) -> Iterator[dict[str, Any]]:
    """Every object matching a Stripe search query, following `next_page`."""
    params: dict[str, Any] = {"query": query, "limit": 100}
    while True:
        page = call_stripe(request, params, retry=retry)
        yield from page["data"]
        if not page.get("has_more") or not page.get("next_page"):
            return
        params["page"] = page["next_page"]
