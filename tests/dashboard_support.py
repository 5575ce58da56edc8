"""A seeded world for the dashboard: three months of demo usage, a budget, outcomes, alerts,
and October closed with statements and PDFs. Used by the API tests and the browser test."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from billing.budgets import store as budget_store
from billing.budgets.anomaly import check_anomalies
from billing.budgets.budget import budget_from_mapping
from billing.close.period_close import close_period
from billing.config import Settings
from billing.demo_data import generate
from billing.demo_levers import generate_rollout, stage_levers
from billing.ledger.metering import ingest_lines
from billing.ledger.outcomes import ingest_outcomes
from billing.rating.card_registry import publish, publish_shipped
from ratecards import shipped_card_files

MONTHS = (("2026-08", 700, 11), ("2026-09", 900, 12), ("2026-10", 1100, 13))
CLOSED = "2026-10"
# (use case, outcomes, accepted) per month: triage's pass rate falls in October
OUTCOMES = {"2026-08": (("support-copilot", 40, 30), ("ticket-triage", 50, 45)),
            "2026-09": (("support-copilot", 45, 36), ("ticket-triage", 50, 44)),
            "2026-10": (("support-copilot", 50, 41), ("ticket-triage", 60, 30))}


CARDS = {"team_card": "dash-internal", "customer_card": "dash-external"}


def publish_dashboard_cards(engine: Engine) -> None:
    """The shipped prices under our own card names, in force from July, so the months before
    October are priced too (published cards are immutable and shared by the test session)."""
    for path in shipped_card_files():
        name = path.name.split("-", 1)[0]
        if path.name.endswith("2026-10.yaml"):
            text = path.read_text().replace(f"card: {name}\n", f"card: dash-{name}\n").replace(
                "effective_from: 2026-10-01", "effective_from: 2026-07-01")
            publish(engine, text, f"dash-{path.name}")


def _outcomes(period: str) -> list[dict]:
    rows = []
    for use_case, total, accepted in OUTCOMES[period]:
        rows += [{"outcome_id": f"{period}-{use_case}-{n}", "use_case": use_case,
                  "team": "support", "occurred_at": f"{period}-{n % 27 + 1:02d}T09:00:00Z",
                  "accepted": n < accepted} for n in range(total)]
    return rows


def seed_dashboard(engine: Engine, settings: Settings, *, levers: bool = False) -> None:
    """Usage for three months, a support budget for October (set before rating, so its
    threshold alerts fire), outcomes, then October closed: rated, statements, PDFs.

    `settings` must name the CARDS (team_card, customer_card). With `levers`, October also
    holds the demo's gated prompt change (candidates, evaluations, the v5 rollout) and the
    anomaly check runs over its days, as `billing demo` does."""
    publish_shipped(engine)
    publish_dashboard_cards(engine)
    zone = ZoneInfo("UTC")
    for period, events, seed in MONTHS:
        ingest_lines(engine, generate(period, events, seed), zone=zone, source="demo")
        if levers and period == CLOSED:
            ingest_lines(engine, generate_rollout(period, events, seed), zone=zone,
                         source="demo")
        ingest_outcomes(engine, _outcomes(period), zone=zone)
    defaults = budget_store.default_currencies(engine, settings.team_card,
                                               settings.customer_card)
    budget_store.set_budget(engine, budget_from_mapping(
        {"team": "support", "period": CLOSED, "amount": "9.00"}, "test", defaults))
    if levers:  # September closed first: its close forecasts October, which October scores
        close_period(engine, settings, "2026-09", now=datetime(2026, 10, 2, tzinfo=UTC))
        stage_levers(engine, CLOSED)
    close_period(engine, settings, CLOSED, now=datetime(2026, 11, 2, tzinfo=UTC))
    if levers:
        first = date(2026, 10, 1)
        for day in range(31):
            check_anomalies(engine, first + timedelta(days=day))
