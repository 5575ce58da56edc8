"""Webhook delivery to a real HTTP server on localhost: signed, retried by later runs, once."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from budget_support import event
from sqlalchemy import select

from billing.budgets.budget import Budget, Scope
from billing.budgets.store import set_budget
from billing.budgets.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, deliver_pending, verify
from billing.models import AlertDelivery

SECRET = "s3cret"
T0 = datetime(2026, 11, 3, 9, tzinfo=UTC)


class Receiver:
    """A webhook endpoint that fails the first `failures` posts with a 503."""

    def __init__(self, failures: int = 0):
        self.failures = failures
        self.received: list[dict] = []
        self.attempts = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.attempts += 1
                if receiver.failures > 0:
                    receiver.failures -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                receiver.received.append({
                    "body": json.loads(body),
                    "valid": verify(SECRET, self.headers[TIMESTAMP_HEADER], body,
                                    self.headers[SIGNATURE_HEADER]),
                    "forged": verify("other", self.headers[TIMESTAMP_HEADER], body,
                                     self.headers[SIGNATURE_HEADER]),
                })
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/billing"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(failures=2)
    yield server
    server.close()


@pytest.fixture
def two_alerts(engine, usage):  # noqa: ANN001
    set_budget(engine, Budget(Scope.of("support"), "2026-11", Decimal("10.00"), "USD",
                              hard_cap=True, thresholds=(Decimal(50),)))
    usage([event("w1", "2026-11-03", input_tokens=12_000_000, team="support")])
    return engine   # threshold 50 and the hard cap


def test_alerts_are_signed_retried_by_later_runs_and_sent_once(two_alerts, receiver):
    report = deliver_pending(two_alerts, [receiver.url], SECRET, now=T0)
    assert report.delivered == 0 and len(report.failed) == 2  # two 503s, no retry in the run
    assert receiver.attempts == 2
    soon = deliver_pending(two_alerts, [receiver.url], SECRET, now=T0)
    assert soon.nothing_to_do and receiver.attempts == 2  # each waits for its backoff
    later = deliver_pending(two_alerts, [receiver.url], SECRET, now=T0 + timedelta(hours=1))
    assert later.delivered == 2 and later.failed == []
    assert receiver.attempts == 4
    assert sorted(r["body"]["kind"] for r in receiver.received) == ["hard_cap", "threshold"]
    assert all(r["valid"] and not r["forged"] for r in receiver.received)
    hard_cap = next(r["body"] for r in receiver.received if r["body"]["kind"] == "hard_cap")
    assert hard_cap["team"] == "support" and hard_cap["details"]["budget"] == "10.00"

    again = deliver_pending(two_alerts, [receiver.url], SECRET, now=T0 + timedelta(days=1))
    assert again.nothing_to_do and receiver.attempts == 4
    with two_alerts.connect() as connection:
        rows = connection.execute(select(AlertDelivery.__table__)).all()
    assert sorted(r.attempts for r in rows) == [2, 2]
    assert all(r.delivered_at is not None and r.last_status == 204 for r in rows)


def test_an_unreachable_webhook_keeps_alerts_pending(two_alerts, receiver):
    dead = "http://127.0.0.1:9/nothing-listens-here"
    report = deliver_pending(two_alerts, [dead], SECRET, now=T0)
    assert report.delivered == 0 and len(report.failed) == 2
    assert "ConnectError" in report.failed[0]["error"]
    receiver.failures = 0
    later = deliver_pending(two_alerts, [receiver.url], SECRET, now=T0)
    assert later.delivered == 2


def test_delivery_refuses_to_send_unsigned(two_alerts):
    with pytest.raises(ValueError, match="BILLING_WEBHOOK_SECRET"):
        deliver_pending(two_alerts, ["http://127.0.0.1:9/"], "")
    assert deliver_pending(two_alerts, [], "").nothing_to_do
