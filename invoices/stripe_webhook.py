"""Stripe webhooks: an incoming event, checked to come from Stripe before anything trusts it.

Stripe signs each delivery with the endpoint's secret: the `Stripe-Signature` header reads
`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` (several `v1` entries while a secret is
being rolled). We check it with the SDK's `WebhookSignature`, over the raw bytes as received, and
refuse a timestamp older than the tolerance so a captured delivery cannot be replayed later.

Stripe delivers at least once, so the same event id may arrive twice; verifying returns the same
event both times, and the caller dedupes on `WebhookEvent.id`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import stripe

DEFAULT_TOLERANCE_SECONDS = 300


class WebhookVerificationError(ValueError):
    """The delivery is not a genuine, recent Stripe event; answer it with HTTP 400."""


@dataclass(frozen=True)
class WebhookEvent:
    """What a caller needs from a Stripe event to act on it.

    `invoice_id` is the Stripe invoice the event is about (the object itself for `invoice.*`
    events, its `invoice` field for credit notes and others); `metadata` is that object's
    metadata, where our `invoice_number` lives.
    """

    id: str
    type: str
    created: int
    livemode: bool
    object_type: str | None
    object_id: str | None
    invoice_id: str | None
    metadata: Mapping[str, str]
    data: Mapping[str, Any] = field(repr=False)


def verify_webhook(
    payload: bytes,
    signature_header: str,
    secret: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> WebhookEvent:
    """The event in `payload` if `signature_header` proves Stripe sent it within `tolerance` s."""
    try:
        stripe.WebhookSignature.verify_header(payload, signature_header, secret, tolerance)
    except stripe.SignatureVerificationError as error:
        raise WebhookVerificationError(f"bad Stripe-Signature: {error.user_message}") from None
    try:
        event = json.loads(payload)
        obj = event.get("data", {}).get("object", {})
        return WebhookEvent(
            id=event["id"],
            type=event["type"],
            created=int(event.get("created", 0)),
            livemode=bool(event.get("livemode", False)),
            object_type=obj.get("object"),
            object_id=obj.get("id"),
            invoice_id=obj.get("id") if obj.get("object") == "invoice" else obj.get("invoice"),
            metadata=dict(obj.get("metadata") or {}),
            data=obj,
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise WebhookVerificationError(f"signed payload is not a Stripe event: {error}") from None
