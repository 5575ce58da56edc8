"""A dead webhook endpoint costs the scheduler a few short calls, not minutes of sleeps.

Before: `deliver_pending` tried each alert 4 times with sleeps in between, so 12 alerts to an
endpoint answering 503 made 48 calls and slept 42 s in one run, and nothing ever gave up. Now a
run tries each alert at most once, with short timeouts; a failed alert waits (jittered,
exponential) until its `next_attempt_at`, a later run; an endpoint that fails K times in a row
is paused for the rest of the run and a cool-down; after N attempts an alert is dead-lettered,
and `billing alerts list` shows it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import insert, select
from typer.testing import CliRunner

from billing.budgets.webhooks import DeliveryPolicy, deliver_pending
from billing.cli import app
from billing.models import Alert, AlertDelivery

SECRET = "s3cret"
T0 = datetime(2026, 11, 3, 9, tzinfo=UTC)


class Unavailable:
    """An endpoint that answers every post with a 503, after `delay` seconds."""

    def __init__(self, delay: float = 0.0):
        self.calls = 0
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers["Content-Length"]))
                endpoint.calls += 1
                time.sleep(delay)
                try:
                    self.send_response(503)
                    self.end_headers()
                except OSError:
                    pass

            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint() -> Iterator[Unavailable]:
    server = Unavailable()
    yield server
    server.close()


def _alerts(engine, count: int) -> None:  # noqa: ANN001
    with engine.begin() as connection:
        for n in range(count):
            connection.execute(insert(Alert.__table__).values(
                kind="threshold", dedupe_key=f"state-{n}", severity="warning",
                period="2026-11", team="support", message=f"alert {n}", details="{}",
                raised_at=T0))


def _deliveries(engine) -> list:  # noqa: ANN001
    with engine.connect() as connection:
        return connection.execute(select(AlertDelivery.__table__)).all()


def test_one_run_to_a_failing_endpoint_is_bounded_and_pauses_it(engine, endpoint):
    _alerts(engine, 12)
    policy = DeliveryPolicy(circuit_failures=3, cool_down=timedelta(minutes=5))
    started = time.monotonic()
    report = deliver_pending(engine, [endpoint.url], SECRET, policy=policy, now=T0)
    assert time.monotonic() - started < 10  # no sleeps: before, this run slept 42 s
    assert endpoint.calls == 3, "the circuit opens after 3 failures in a row"
    assert report.delivered == 0 and len(report.failed) == 3
    assert report.paused == [{"url": endpoint.url, "skipped": 9,
                              "until": (T0 + timedelta(minutes=5)).isoformat()}]
    rows = _deliveries(engine)
    assert sorted(row.attempts for row in rows) == [1, 1, 1]
    assert all(row.next_attempt_at > T0 and row.dead_at is None for row in rows)
    again = deliver_pending(engine, [endpoint.url], SECRET, policy=policy,
                            now=T0 + timedelta(minutes=1))
    assert endpoint.calls == 3 and again.paused and again.paused[0]["skipped"] == 12
    probe = deliver_pending(engine, [endpoint.url], SECRET, policy=policy,
                            now=T0 + timedelta(minutes=6))
    assert endpoint.calls == 4, "after the cool-down one call probes the endpoint"
    assert probe.paused and not probe.delivered


def test_a_slow_endpoint_is_cut_short_by_the_timeout(engine):
    slow = Unavailable(delay=3)
    try:
        _alerts(engine, 5)
        policy = DeliveryPolicy(timeout=0.2, circuit_failures=2)
        started = time.monotonic()
        report = deliver_pending(engine, [slow.url], SECRET, policy=policy, now=T0)
        assert time.monotonic() - started < 2.5
        assert len(report.failed) == 2 and "Timeout" in report.failed[0]["error"]
    finally:
        slow.close()


def test_after_n_attempts_across_runs_alerts_are_dead_lettered_and_listed(
        engine, endpoint, database_url, monkeypatch):
    _alerts(engine, 4)
    policy = DeliveryPolicy(max_attempts=3, circuit_failures=10)
    when = T0
    for run in range(1, 4):
        report = deliver_pending(engine, [endpoint.url], SECRET, policy=policy, now=when)
        assert len(report.failed) == 4 and endpoint.calls == 4 * run
        waiting = deliver_pending(engine, [endpoint.url], SECRET, policy=policy, now=when)
        assert endpoint.calls == 4 * run, "an alert waits for its backoff, across runs"
        assert waiting.delivered == 0 and not waiting.failed
        when += timedelta(days=1)
    assert endpoint.calls == 12
    rows = _deliveries(engine)
    assert all(row.attempts == 3 and row.dead_at is not None for row in rows)
    assert report.dead_lettered == 4
    assert deliver_pending(engine, [endpoint.url], SECRET, policy=policy,
                           now=when).nothing_to_do
    assert endpoint.calls == 12

    monkeypatch.setenv("DATABASE_URL", database_url)
    listed = json.loads(CliRunner().invoke(app, ["alerts", "list", "--json"]).stdout)["alerts"]
    assert len(listed) == 4
    for alert in listed:
        [delivery] = alert["deliveries"]
        assert delivery["url"] == endpoint.url and delivery["state"] == "dead"
        assert delivery["attempts"] == 3 and "503" in delivery["last_error"]
    human = CliRunner().invoke(app, ["alerts", "list"], env={"COLUMNS": "200"})
    assert human.exit_code == 0 and human.output.count("dead letter after 3 attempts") == 4


def test_backoff_is_jittered_and_grows(engine, endpoint):
    _alerts(engine, 1)
    policy = DeliveryPolicy(base_delay=timedelta(seconds=60), max_attempts=5,
                            circuit_failures=10)
    when, gaps = T0, []
    for _run in range(3):
        deliver_pending(engine, [endpoint.url], SECRET, policy=policy, now=when,
                        jitter=lambda: 1.0)
        [row] = _deliveries(engine)
        gaps.append(row.next_attempt_at - when)
        when = row.next_attempt_at
    assert gaps == [timedelta(seconds=60), timedelta(seconds=120), timedelta(seconds=240)]
    deliver_pending(engine, [endpoint.url], SECRET, policy=policy, now=when,
                    jitter=lambda: 0.0)
    [row] = _deliveries(engine)
    assert row.next_attempt_at - when == timedelta(seconds=240)  # half of 480: never zero
