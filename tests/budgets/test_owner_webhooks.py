"""An owner's webhook in the parties or use-cases policy receives the alerts about what it
owns, and only those; the configured webhooks still receive every alert."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from budget_support import event

from billing.budgets.budget import Budget, Scope
from billing.budgets.owner_webhooks import routes_in_force
from billing.budgets.store import set_budget
from billing.budgets.webhooks import deliver_pending
from billing.policies.registry import publish

SECRET = "s3cret"
T0 = datetime(2026, 11, 3, 9, tzinfo=UTC)


class Inbox:
    """A real endpoint on localhost that keeps the teams of the alerts posted to it."""

    def __init__(self) -> None:
        self.teams: list[str | None] = []
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                inbox.teams.append(body.get("team"))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def inboxes() -> Iterator[tuple[Inbox, Inbox]]:
    owner, central = Inbox(), Inbox()
    yield owner, central
    owner.close()
    central.close()


def test_alerts_about_a_team_reach_its_owners_webhook_and_no_other(engine, usage, inboxes,
                                                                   close_settings):
    owner, central = inboxes
    for team in ("support", "search"):
        set_budget(engine, Budget(Scope.of(team), "2026-11", Decimal("10.00"), "USD",
                                  thresholds=(Decimal(50),)))
    usage([event("s1", "2026-11-03", input_tokens=12_000_000, team="support"),
           event("q1", "2026-11-03", input_tokens=12_000_000, team="search")])
    publish(engine, "kind: parties\nversion: '2026-11'\neffective_from: '2026-11'\n"
            "teams:\n  support:\n    raci: {accountable: dana.lee@example.com}\n"
            f"    webhook: {owner.url}\n", "parties.yaml")
    routes = routes_in_force(engine, close_settings, T0)
    assert routes == {owner.url: [("support", None)]}
    report = deliver_pending(engine, [central.url], SECRET, now=T0, routes=routes)
    assert not report.failed
    assert owner.teams and set(owner.teams) == {"support"}
    assert set(central.teams) == {"support", "search"}
    again = deliver_pending(engine, [central.url], SECRET, now=T0, routes=routes)
    assert again.nothing_to_do


def test_an_owners_webhook_is_used_without_any_configured_one(engine, usage, inboxes,
                                                              close_settings):
    owner, _ = inboxes
    set_budget(engine, Budget(Scope.of("support"), "2026-11", Decimal("10.00"), "USD",
                              thresholds=(Decimal(50),)))
    usage([event("s1", "2026-11-03", input_tokens=12_000_000, team="support")])
    publish(engine, "kind: parties\nversion: '2026-11'\neffective_from: '2026-11'\n"
            f"teams:\n  support: {{webhook: '{owner.url}'}}\n", "parties.yaml")
    report = deliver_pending(engine, [], SECRET, now=T0,
                             routes=routes_in_force(engine, close_settings, T0))
    assert report.delivered == len(owner.teams) >= 1
