"""Calling Stripe reliably: retries with backoff for what may pass, typed errors for the rest.

Stripe asks clients to retry rate limits (429), network failures, server errors (5xx) and
conflicts with a request still running under the same idempotency key (409), and to retry with
the same idempotency key, so that a create whose response was lost replays its first result
instead of making a second object. Every other error (a card declined, an invalid request, bad
credentials, a key reused with other parameters) would fail the same way again, so it is raised
at once as a `StripeSyncError` carrying Stripe's message and code, for the caller to record on
the invoice.

The SDK's own retries are switched off on every call (`max_network_retries=0`), whatever the
client was built with, so one policy, this one, decides how often and how late a call is tried.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import stripe  # the stripe SDK loads when Stripe is called, not when a command starts


@dataclass(frozen=True)
class RetryPolicy:
    """How many times a call is tried, and how long to wait between tries.

    The wait doubles after each failure from `base_delay` up to `max_delay`, and half of it is
    random ("equal jitter"), so many clients throttled together do not retry in step. `sleep`
    and `jitter` are injectable so tests run instantly and deterministically.
    """

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 20.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    jitter: Callable[[], float] = field(default=random.random, compare=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("a retry policy needs at least one attempt")

    def delay(self, failures: int) -> float:
        """Seconds to wait after the `failures`-th failure (1-based)."""
        capped = min(self.max_delay, self.base_delay * 2 ** (failures - 1))
        return capped / 2 + capped / 2 * self.jitter()


class StripeSyncError(Exception):
    """Stripe refused a call, or a transient failure outlasted the retries.

    `message` and `code` are Stripe's own (e.g. "No such customer: 'cus_x'", `resource_missing`),
    ready to be recorded on the invoice; `transient` says whether trying later may succeed.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        http_status: int | None = None,
        error_type: str | None = None,
        param: str | None = None,
        request_id: str | None = None,
        attempts: int = 1,
        transient: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status
        self.error_type = error_type
        self.param = param
        self.request_id = request_id
        self.attempts = attempts
        self.transient = transient

    @classmethod
    def from_stripe(cls, error: stripe.StripeError, attempts: int) -> StripeSyncError:
        body = error.json_body.get("error") if isinstance(error.json_body, dict) else None
        details: dict[str, Any] = body if isinstance(body, dict) else {}
        return cls(
            error.user_message or details.get("message") or type(error).__name__,
            code=error.code or details.get("code"),
            http_status=error.http_status,
            error_type=details.get("type"),
            param=details.get("param"),
            request_id=error.request_id,
            attempts=attempts,
            transient=is_transient(error),
        )


def is_transient(error: stripe.StripeError) -> bool:
    """Whether the same request may succeed later: rate limits, network and server failures.

    Stripe's own `Stripe-Should-Retry` response header, when present, overrides the guess.
    """
    import stripe

    advice = {name.lower(): value for name, value in (error.headers or {}).items()}.get(
        "stripe-should-retry")
    if advice in ("true", "false"):
        return advice == "true"
    if isinstance(error, stripe.RateLimitError | stripe.APIConnectionError):
        return True
    if isinstance(error, stripe.APIError):
        return error.http_status is None or error.http_status >= 500 or error.http_status == 409
    return False


def call_stripe(
    request: Callable[..., Any],
    params: Mapping[str, Any] | None = None,
    *,
    idempotency_key: str | None = None,
    retry: RetryPolicy,
) -> dict[str, Any]:
    """Make one Stripe call (a bound SDK service method), retrying transient failures.

    Every attempt sends the same `idempotency_key`, so Stripe does a create at most once however
    many attempts it takes. Returns the response as a plain dict.
    """
    import stripe

    options: dict[str, Any] = {"max_network_retries": 0}
    if idempotency_key is not None:
        options["idempotency_key"] = idempotency_key
    for attempt in range(1, retry.attempts + 1):
        try:
            response = request(params=dict(params or {}), options=options)
        except stripe.StripeError as error:
            if not is_transient(error) or attempt == retry.attempts:
                raise StripeSyncError.from_stripe(error, attempt) from error
            retry.sleep(retry.delay(attempt))
        else:
            return response.to_dict()
    raise AssertionError("unreachable: the last attempt returns or raises")
