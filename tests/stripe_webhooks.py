"""Stripe webhook deliveries for tests: events shaped like Stripe's, signed as Stripe signs them.

The `Stripe-Signature` header is `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed by
the endpoint secret>`, Stripe's documented v1 scheme.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

_ids = itertools.count(1)


def event(kind: str, obj: Mapping[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """A Stripe event (`invoice.paid`, `credit_note.created`, ...) carrying `obj` as it is now."""
    return {"id": event_id or f"evt_{next(_ids):06d}fake", "object": "event",
            "api_version": "2025-01-27.acacia", "created": int(time.time()), "livemode": False,
            "pending_webhooks": 1, "type": kind, "request": {"id": None, "idempotency_key": None},
            "data": {"object": json.loads(json.dumps(obj))}}


def signature_header(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header Stripe would send with `payload`."""
    stamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{stamp}.".encode() + payload
    return f"t={stamp},v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


def send_webhook(post: Callable[..., Any], path: str, event: Mapping[str, Any], secret: str,
                 timestamp: int | None = None) -> Any:
    """Deliver `event` to an app as Stripe does, through `post` (an httpx or TestClient .post)."""
    payload = json.dumps(event).encode()
    headers = {"Stripe-Signature": signature_header(payload, secret, timestamp),
               "Content-Type": "application/json"}
    return post(path, content=payload, headers=headers)
