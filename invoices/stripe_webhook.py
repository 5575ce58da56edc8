"""Stripe webhooks: an incoming event, checked to come from Stripe before anything trusts it.

Stripe signs each delivery with the endpoint's secret: the `Stripe-Signature` header reads
`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` (several `v1` entries while a secret is
being rolled). We check it with the SDK's `WebhookSignature`, over the raw bytes as received, and
refuse a timestamp older than the tolerance so a captured delivery cannot be replayed later.

Stripe delivers at least once, so the same event id may arrive twice; verifying returns the same
event both times, and the caller dedupes on `WebhookEvent.id`.

The SDK refuses only stale timestamps; a clock (ours or a forger's) far ahead would pass, so the
header's `t` and the event's own `created` may be at most the tolerance in the future. An event
of the other mode (`livemode: true` while we run on a test key) is refused, and a signed body
that is not shaped like an event is refused naming the field, never a server error.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_TOLERANCE_SECONDS = 300
MAX_ID = 100  # Stripe's ids are far shorter; what we store an id in holds this many


class WebhookVerificationError(ValueError):
    """The delivery is not a genuine, recent Stripe event; answer it with HTTP 400."""


class WebhookEventRefused(WebhookVerificationError):
    """Signed by Stripe's secret, but not an event we may apply: malformed, of the other
    mode, or from the future; answer it with HTTP 400."""


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
    livemode: bool | None = None,
    now: float | None = None,
) -> WebhookEvent:
    """The event in `payload` if `signature_header` proves Stripe sent it within `tolerance` s
    (either way), and, when `livemode` is given, only an event of that mode."""
    import stripe

    try:
        stripe.WebhookSignature.verify_header(payload, signature_header, secret, tolerance)
    except stripe.SignatureVerificationError as error:
        raise WebhookVerificationError(f"bad Stripe-Signature: {error.user_message}") from None
    now = time.time() if now is None else now
    _not_ahead(_header_time(signature_header), now, tolerance, "the Stripe-Signature timestamp")
    event = _parse(payload)
    _not_ahead(event.created, now, tolerance, "the event's `created`")
    if livemode is not None and event.livemode != livemode:
        raise WebhookEventRefused(
            f"event {event.id} has livemode {str(event.livemode).lower()} but this server runs "
            f"on a {'live' if livemode else 'test'} key; send it to the endpoint of that mode")
    return event


def _header_time(header: str) -> int:
    stamps = [item[2:] for item in header.split(",") if item.strip().startswith("t=")]
    try:
        return int(stamps[0].strip())
    except (IndexError, ValueError):  # verify_header already refused such a header
        raise WebhookVerificationError("bad Stripe-Signature: no timestamp") from None


def _not_ahead(stamp: int, now: float, tolerance: int, what: str) -> None:
    if stamp > now + tolerance:
        raise WebhookEventRefused(
            f"{what} is {int(stamp - now)} s in the future (at most {tolerance} s of clock skew "
            "is accepted); check the sender's clock, or ours")


def _field(mapping: Mapping[str, Any], name: str, kinds: type | tuple[type, ...],
           where: str, *, required: bool = True) -> Any:
    value = mapping.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, kinds) or isinstance(value, bool) != (kinds is bool):
        expected = getattr(kinds, "__name__", None) or " or ".join(k.__name__ for k in kinds)
        raise WebhookEventRefused(f"signed payload is not a Stripe event: `{where}{name}` must be "
                                  f"a {expected}, got {type(value).__name__}")
    if isinstance(value, str) and not 0 < len(value) <= MAX_ID:
        raise WebhookEventRefused(f"signed payload is not a Stripe event: `{where}{name}` must "
                                  f"be 1 to {MAX_ID} characters")
    return value


def _parse(payload: bytes) -> WebhookEvent:
    try:
        event = json.loads(payload)
    except (ValueError, RecursionError) as error:
        raise WebhookEventRefused(f"signed payload is not JSON: {error}") from None
    if not isinstance(event, dict):
        raise WebhookEventRefused("signed payload is not a Stripe event: not a JSON object")
    data = _field(event, "data", dict, "")
    obj = _field(data, "object", dict, "data.")
    metadata = _field(obj, "metadata", dict, "data.object.", required=False) or {}
    object_type = _field(obj, "object", str, "data.object.", required=False)
    invoice = obj.get("id") if object_type == "invoice" else obj.get("invoice")
    if invoice is not None and not (isinstance(invoice, str) and len(invoice) <= MAX_ID):
        raise WebhookEventRefused("signed payload is not a Stripe event: the invoice id in "
                                  f"`data.object` must be a string of at most {MAX_ID} "
                                  "characters")
    return WebhookEvent(
        id=_field(event, "id", str, ""),
        type=_field(event, "type", str, ""),
        created=_field(event, "created", int, ""),
        livemode=bool(_field(event, "livemode", bool, "", required=False)),
        object_type=object_type,
        object_id=obj.get("id") if isinstance(obj.get("id"), str) else None,
        invoice_id=invoice,
        metadata={str(key): str(value) for key, value in metadata.items()},
        data=obj,
    )
