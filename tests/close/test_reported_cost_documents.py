"""Spend-only usage (a cost the source reports, no tokens) reaches every document: the invoice
has a line for it, FOCUS has a row, and a close with it on an unpriced model does not fail."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from billing.close.chargeback import customer_charges
from billing.close.period_close import close_period
from billing.exports.focus import FocusContext, usage_rows
from billing.exports.focus_data import usage_groups
from billing.ledger.metering import ingest_lines
from billing.rating.card_registry import published_versions
from billing.rating.rate import Cards, rate

PERIOD = "2026-10"
ZONE = ZoneInfo("UTC")


def _image(request_id: str, model: str) -> str:
    return json.dumps({"request_id": request_id, "call_type": "aimage_generation",
                       "startTime": "2026-10-12 10:00:00", "model": model, "end_user": "acme",
                       "team_id": "support", "prompt_tokens": 0, "completion_tokens": 0,
                       "spend": 0.04, "status": "success", "metadata": "{}"})


def test_reported_cost_is_an_invoice_line_and_a_focus_row_and_the_close_passes(
        month, close_settings):  # noqa: ANN001
    ingest_lines(month, [_image("img-priced", "gpt-4o-mini"), _image("img-free", "dall-e-3")],
                 zone=ZONE, fmt="litellm")
    rate(month, Cards(team=published_versions(month, "internal"),
                      customer=published_versions(month, "external")), zone=ZONE)
    with month.connect() as connection:
        lines = customer_charges(connection, PERIOD)["acme"].lines
    reported = [line for line in lines if line.unit == "reported"]
    # external@2026-10, good tier markup 25%: 0.04 x 1.25; dall-e-3 is not on the card: as is
    assert sorted(line.amount for line in reported) == [Decimal("0.04"), Decimal("0.05")]
    groups, _ = usage_groups(month, PERIOD, "chargeback")
    ctx = FocusContext(period=PERIOD, zone=ZONE, issuer="us", view="chargeback")
    rows = [row for group in groups for row in usage_rows(group, ctx)
            if row["x_Component"] == "reported_cost"]
    assert sorted(row["BilledCost"] for row in rows) == [Decimal("0.04"), Decimal("0.0500")]
    result = close_period(month, close_settings, PERIOD, now=datetime(2026, 11, 2, tzinfo=UTC))
    assert result.status == "closed", result.message
