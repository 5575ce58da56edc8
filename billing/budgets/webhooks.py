"""Webhooks: alerts delivered as signed JSON to each configured URL, retried, sent once.

The body is the alert as JSON. `X-Billing-Timestamp` carries the send time (Unix seconds) and
`X-Billing-Signature` is `sha256=` + hex HMAC-SHA256 over `timestamp + "." + body` with the
shared secret, so a receiver can check both origin and freshness. Each (alert, URL) records its
attempts and `delivered_at`, and a delivered alert is never sent to that URL again.

The deliverer runs inside the scheduler, so a dead endpoint must cost it seconds, not minutes:
a run makes at most one short-timeout call per alert and never sleeps. A failed alert waits
until its `next_attempt_at` (exponential backoff with jitter, kept across runs); after
`max_attempts` it is dead-lettered (`dead_at`) and shown so by `billing alerts list`. An
endpoint that fails `circuit_failures` times in a row is paused for the rest of the run and
a cool-down after its last failure; then one call probes it.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Engine, and_, insert, or_, select, update

from billing.budgets.alerts import alert_dict, list_alerts
from billing.models import Alert, AlertDelivery
from billing.policies.ownership import Routes

if TYPE_CHECKING:
    import httpx  # loads when a webhook is sent, not when a command starts

alerts = Alert.__table__
deliveries = AlertDelivery.__table__
SIGNATURE_HEADER = "X-Billing-Signature"
TIMESTAMP_HEADER = "X-Billing-Timestamp"


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


@dataclass(frozen=True)
class DeliveryPolicy:
    """How hard to try: per call, per alert across runs, per endpoint within and across runs."""

    timeout: float = 3.0
    """seconds for each call (connect, write, read)"""
    base_delay: timedelta = timedelta(minutes=1)
    """the wait after the first failure; doubled after each further one"""
    max_delay: timedelta = timedelta(hours=6)
    max_attempts: int = 8
    """then the alert is dead-lettered for that URL"""
    circuit_failures: int = 5
    """failures in a row that pause an endpoint"""
    cool_down: timedelta = timedelta(minutes=10)
    """how long a paused endpoint is left alone after its last failure"""


def backoff(attempts: int, policy: DeliveryPolicy, jitter: Callable[[], float]) -> timedelta:
    """The wait after failed attempt number `attempts` (1, 2, ...): base, 2 base, 4 base, ...
    up to max_delay, of which a random half is jitter (so it is never zero and retries from
    many alerts do not arrive together)."""
    ceiling = min(policy.max_delay, policy.base_delay * (2 ** min(attempts - 1, 30)))
    return ceiling / 2 + ceiling / 2 * jitter()


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    dead_lettered: int = 0
    """alerts given up in this run (their last allowed attempt failed)"""
    paused: list[dict[str, Any]] = field(default_factory=list)
    """endpoints whose circuit is open: url, alerts skipped, until when"""
    nothing_to_do: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"delivered": self.delivered, "failed": self.failed,
                "dead_lettered": self.dead_lettered, "paused": self.paused,
                "nothing_to_do": self.nothing_to_do}


def _due(url: str, now: datetime) -> Any:
    """The alerts not yet delivered to `url`, not dead-lettered and not waiting for backoff."""
    settled = select(deliveries.c.alert_id).where(
        deliveries.c.url == url,
        or_(deliveries.c.delivered_at.is_not(None), deliveries.c.dead_at.is_not(None),
            deliveries.c.next_attempt_at > now))
    return alerts.c.id.not_in(settled)


def _about(scopes: list[tuple[str | None, str | None]]) -> Any:
    """The alerts about these (team, use case) scopes: an owner's webhook hears only those."""
    wanted = []
    for team, use_case in scopes:
        if use_case is None:
            wanted.append(alerts.c.team == team)
            continue
        key = (alerts.c.scope_key == f"{team}/{use_case}" if team
               else alerts.c.scope_key.endswith(f"/{use_case}", autoescape=True))
        wanted.append(and_(alerts.c.scope_kind == "use_case", key))
    return or_(*wanted)


def _pending(engine: Engine, url: str, now: datetime, limit: int,
             scopes: list[tuple[str | None, str | None]] | None = None) -> list[dict[str, Any]]:
    query = select(alerts).where(_due(url, now))
    if scopes is not None:
        query = query.where(_about(scopes))
    query = query.order_by(alerts.c.id).limit(limit)
    with engine.connect() as connection:
        return [alert_dict(row) for row in connection.execute(query)]


def _recent_failures(engine: Engine, url: str, policy: DeliveryPolicy) -> list[datetime]:
    """When the last `circuit_failures` calls to `url` failed, if they all did (newest first)."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(deliveries.c.last_attempt_at, deliveries.c.delivered_at)
            .where(deliveries.c.url == url, deliveries.c.last_attempt_at.is_not(None))
            .order_by(deliveries.c.last_attempt_at.desc()).limit(policy.circuit_failures)).all()
    if len(rows) < policy.circuit_failures or any(row.delivered_at for row in rows):
        return []
    return [_aware(row.last_attempt_at) for row in rows]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _record(engine: Engine, alert_id: int, url: str, status: int | None, error: str | None,
            now: datetime, policy: DeliveryPolicy, jitter: Callable[[], float]) -> bool:
    """Record one attempt; True when it was the last allowed and the alert is dead-lettered."""
    with engine.begin() as connection:
        where = and_(deliveries.c.alert_id == alert_id, deliveries.c.url == url)
        row = connection.execute(select(deliveries.c.attempts).where(where)).first()
        attempts = (row.attempts if row else 0) + 1
        dead = error is not None and attempts >= policy.max_attempts
        values = {"attempts": attempts, "last_status": status, "last_error": error,
                  "last_attempt_at": now, "delivered_at": now if error is None else None,
                  "dead_at": now if dead else None,
                  "next_attempt_at": now + backoff(attempts, policy, jitter)
                  if error is not None and not dead else None}
        if row is None:
            connection.execute(insert(deliveries).values(alert_id=alert_id, url=url, **values))
        else:
            connection.execute(update(deliveries).where(where).values(**values))
    return dead


def _send_one(client: httpx.Client, url: str, secret: str, body: bytes,
              alert_id: int) -> tuple[int | None, str | None]:
    import httpx

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


def _deliver_to(engine: Engine, client: httpx.Client, url: str, secret: str, now: datetime,
                policy: DeliveryPolicy, jitter: Callable[[], float], limit: int,
                report: DeliveryReport,
                scopes: list[tuple[str | None, str | None]] | None = None) -> None:
    pending = _pending(engine, url, now, limit, scopes)
    if not pending:
        return
    failures = _recent_failures(engine, url, policy)
    if failures and failures[0] + policy.cool_down > now:
        report.paused.append({"url": url, "skipped": len(pending),
                              "until": (failures[0] + policy.cool_down).isoformat()})
        return
    threshold = 1 if failures else policy.circuit_failures  # after a cool-down: one probe
    in_a_row = 0
    for done, alert in enumerate(pending):
        status, error = _send_one(client, url, secret, body_of(alert), alert["id"])
        if _record(engine, alert["id"], url, status, error, now, policy, jitter):
            report.dead_lettered += 1
        if error is None:
            report.delivered += 1
            in_a_row = 0
            continue
        report.failed.append({"alert_id": alert["id"], "url": url, "error": error})
        in_a_row += 1
        if in_a_row >= threshold:
            if done + 1 < len(pending) or threshold == 1:
                report.paused.append({"url": url, "skipped": len(pending) - done - 1,
                                      "until": (now + policy.cool_down).isoformat()})
            return


def deliver_pending(
    engine: Engine, urls: list[str], secret: str, *, client: httpx.Client | None = None,
    policy: DeliveryPolicy | None = None, now: datetime | None = None,
    jitter: Callable[[], float] = random.random, limit: int = 500,
    routes: Routes | None = None,
) -> DeliveryReport:
    """Try each due alert once on each URL; what fails waits for a later run.

    `routes` are the owners' webhooks (`billing.policies.ownership.owner_routes`): each gets
    only the alerts about the teams and use cases it owns, besides the configured `urls`.
    Run one deliverer at a time (the scheduler does); two at once could send an alert twice.
    """
    report = DeliveryReport()
    owners = {url: scopes for url, scopes in (routes or {}).items() if url not in urls}
    if not urls and not owners:
        report.nothing_to_do = True
        return report
    if not secret:
        raise ValueError("set BILLING_WEBHOOK_SECRET: webhooks are always signed")
    policy = policy or DeliveryPolicy()
    now = now or datetime.now(UTC)
    own_client = client is None
    if client is None:
        import httpx

        client = httpx.Client(timeout=policy.timeout)
    try:
        for url in urls:
            _deliver_to(engine, client, url, secret, now, policy, jitter, limit, report)
        for url, scopes in owners.items():
            _deliver_to(engine, client, url, secret, now, policy, jitter, limit, report, scopes)
    finally:
        if own_client:
            client.close()
    report.nothing_to_do = report.delivered == 0 and not report.failed and not report.paused
    return report


def delivery_state(row: Any) -> str:
    if row.delivered_at is not None:
        return "delivered"
    return "dead" if row.dead_at is not None else "retrying"


def alerts_with_deliveries(engine: Engine, **filters: Any) -> list[dict[str, Any]]:
    """`list_alerts`, each alert with its webhook deliveries: url, state (delivered,
    retrying or dead), attempts, last error and when it is next tried."""
    listed = list_alerts(engine, **filters)
    ids = [alert["id"] for alert in listed]
    by_alert: dict[int, list[dict[str, Any]]] = {}
    with engine.connect() as connection:
        for start in range(0, len(ids), 500):
            for row in connection.execute(select(deliveries).where(
                    deliveries.c.alert_id.in_(ids[start:start + 500]))
                    .order_by(deliveries.c.url)):
                by_alert.setdefault(row.alert_id, []).append({
                    "url": row.url, "state": delivery_state(row), "attempts": row.attempts,
                    "last_status": row.last_status, "last_error": row.last_error,
                    "last_attempt_at": row.last_attempt_at, "delivered_at": row.delivered_at,
                    "next_attempt_at": row.next_attempt_at, "dead_at": row.dead_at})
    return [alert | {"deliveries": by_alert.get(alert["id"], [])} for alert in listed]
