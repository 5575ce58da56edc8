"""Cache writes kept for 1 hour reach the invoice at the card's price for them (the shipped
card has none, so the cache-write price): the lines still add up and the close passes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from billing.close.chargeback import customer_charges
from billing.close.period_close import close_period
from billing.ledger.metering import ingest_lines
from billing.models import RatedLine
from billing.rating.card_registry import published_versions
from billing.rating.rate import Cards, rate

PERIOD = "2026-10"
ZONE = ZoneInfo("UTC")


def test_one_hour_cache_writes_are_billed_once_and_the_close_passes(
        month, close_settings):  # noqa: ANN001
    event = {"event_id": "cw-1h", "occurred_at": "2026-10-12T10:00:00Z", "team": "support",
             "use_case": "support-copilot", "customer": "acme", "provider": "anthropic",
             "model": "claude-sonnet-4", "input_tokens": 0, "output_tokens": 0,
             "cache_write_input_tokens": 1_000_000, "cache_write_1h_input_tokens": 400_000}
    result = ingest_lines(month, [json.dumps(event)], zone=ZONE)
    assert result.accepted == 1, result.errors
    rate(month, Cards(team=published_versions(month, "internal"),
                      customer=published_versions(month, "external")), zone=ZONE)
    with month.connect() as connection:
        lines = customer_charges(connection, PERIOD)["acme"].lines
    writes = [line for line in lines if line.description.endswith("cache write")]
    assert sum(line.quantity for line in writes) == Decimal(1)
    assert {line.unit_price for line in writes} == {Decimal("3.75") * Decimal("1.30")}  # better
    table = RatedLine.__table__
    with month.connect() as connection:
        rated = connection.execute(select(table.c.requests, table.c.cache_write_input_tokens)
                                   .where(table.c.view == "chargeback",
                                          table.c.cache_write_input_tokens > 0)).all()
    assert sum(tokens for _, tokens in rated) == 1_000_000
    assert (0, 400_000) in rated  # the 1-hour line holds no request: none is billed twice
    closed = close_period(month, close_settings, PERIOD, now=datetime(2026, 11, 2, tzinfo=UTC))
    assert closed.status == "closed", closed.message
