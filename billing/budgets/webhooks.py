"""Webhooks: alerts delivered as signed JSON to each configured URL, retried, sent once.

The body is the alert as JSON. `X-Billing-Timestamp` carries the send time (Unix seconds) and
`X-Billing-Signature` is `sha256=` + hex HMAC-SHA256 over `timestamp + "." + body` with the
shared secret, so a receiver can check both origin and freshness. A failed send (a network
error or a non-2xx answer) is retried with exponential backoff; each (alert, URL) records its
attempts and `delivered_at`, and a delivered alert is never sent to that URL again.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
from sqlalchemy import Engine, and_, insert, select, update

from billing.budgets.alerts import alert_dict
from billing.models import Alert, AlertDelivery

alerts = Alert.__table__
deliveries = AlertDelivery.__table__
SIGNATURE_HEADER = "X-Billing-Signature"
TIMESTAMP_HEADER = "X-Billing-Timestamp"
MAX_TOTAL_ATTEMPTS = 20


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does (and what the tests do)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def body_of(alert: dict[str, Any]) -> bytes:
    payload = {key: value for key, value in alert.items()}
    payload["raised_at"] = payload["raised_at"].isoformat() if payload.get("raised_at") else None
    return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)


def backoff(attempt: int, base: float) -> float:
    """Seconds to wait after failed attempt number `attempt` (1, 2, ...): base, 2 base, 4 base."""
    return base * (2 ** (attempt - 1))


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    nothing_to_do: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"delivered": self.delivered, "failed": self.failed,
                "nothing_to_do": self.nothing_to_do}


def _pending(engine: Engine, url: str, limit: int) -> list[dict[str, Any]]:
    done = select(deliveries.c.alert_id).where(
        deliveries.c.url == url,
        (deliveries.c.delivered_at.is_not(None))
        | (deliveries.c.attempts >= MAX_TOTAL_ATTEMPTS))
    query = select(alerts).where(alerts.c.id.not_in(done)).order_by(alerts.c.id).limit(limit)
    with engine.connect() as connection:
        return [alert_dict(row) for row in connection.execute(query)]


def _record(engine: Engine, alert_id: int, url: str, attempts: int, status: int | None,
            error: str | None, delivered: bool) -> None:
    now = datetime.now(UTC)
    with engine.begin() as connection:
        where = and_(deliveries.c.alert_id == alert_id, deliveries.c.url == url)
        row = connection.execute(select(deliveries.c.attempts).where(where)).first()
        values = {"last_status": status, "last_error": error, "last_attempt_at": now,
                  "delivered_at": now if delivered else None}
        if row is None:
            connection.execute(insert(deliveries).values(alert_id=alert_id, url=url,
                                                         attempts=attempts, **values))
        else:
            connection.execute(update(deliveries).where(where).values(
                attempts=row.attempts + attempts, **values))


def _send_one(client: httpx.Client, url: str, secret: str, body: bytes,
              alert_id: int) -> tuple[int | None, str | None]:
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
               SIGNATURE_HEADER: sign(secret, timestamp, body),
               "X-Billing-Alert-Id": str(alert_id)}
    try:
        response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}: {response.text[:200]}"


def deliver_pending(
    engine: Engine, urls: list[str], secret: str, *, client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep, max_attempts: int = 4,
    base_delay: float = 0.5, limit: int = 500,
) -> DeliveryReport:
    """Send every alert not yet delivered to each URL, retrying up to `max_attempts` times.

    Alerts that still fail stay pending for the next call (up to 20 attempts in all).
    Run one deliverer at a time (the scheduler does); two at once could send an alert twice.
    """
    report = DeliveryReport()
    if not urls:
        report.nothing_to_do = True
        return report
    if not secret:
        raise ValueError("set BILLING_WEBHOOK_SECRET: webhooks are always signed")
    own_client = client is None
    client = client or httpx.Client(timeout=5.0)
    try:
        for url in urls:
            for alert in _pending(engine, url, limit):
                body = body_of(alert)
                status, error = None, None
                for attempt in range(1, max_attempts + 1):
                    status, error = _send_one(client, url, secret, body, alert["id"])
                    if error is None:
                        break
                    if attempt < max_attempts:
                        sleep(backoff(attempt, base_delay))
                _record(engine, alert["id"], url, attempt, status, error, error is None)
                if error is None:
                    report.delivered += 1
                else:
                    report.failed.append({"alert_id": alert["id"], "url": url,
                                          "error": error})
    finally:
        if own_client:
            client.close()
    report.nothing_to_do = report.delivered == 0 and not report.failed
    return report
