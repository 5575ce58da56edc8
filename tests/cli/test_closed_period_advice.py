"""Unpriced usage of a period closed since its alert was raised is not sent to `billing rate
--period P --rerate` (refused for a closed period); that command, tried anyway, exits 2 naming
what works instead."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from typer.testing import CliRunner

from billing.cli import app
from billing.close.period_close import close_period
from billing.ledger.metering import ingest_lines

runner = CliRunner()
STALE = "billing rate --period 2026-10 --rerate"


def _unpriced_messages() -> list[str]:
    result = runner.invoke(app, ["alerts", "list", "--kind", "unpriced", "--json"])
    assert result.exit_code == 0, result.output
    return [alert["message"] for alert in json.loads(result.stdout)["alerts"]]


def test_advice_for_unpriced_usage_follows_the_close(month, close_env):  # noqa: ANN001
    ingest_lines(month, [json.dumps({
        "event_id": "mystery-1", "occurred_at": "2026-10-12T10:00:00Z", "team": "support",
        "model": "mystery-model-x", "input_tokens": 100, "output_tokens": 10})],
        zone=ZoneInfo("UTC"), source="test")
    assert runner.invoke(app, ["rate"]).exit_code == 0
    [before] = [m for m in _unpriced_messages() if "mystery-model-x" in m]
    assert STALE in before  # open: re-rating it is what works
    close_period(month, close_env, "2026-10", now=datetime(2026, 11, 2, tzinfo=UTC))
    [after] = [m for m in _unpriced_messages() if "mystery-model-x" in m]
    assert STALE not in after
    assert "2026-10 is closed" in after and "billing rate --period 2026-11 --rerate" in after
    refused = runner.invoke(app, ["rate", "--period", "2026-10", "--rerate"])
    said = " ".join(refused.output.split())
    assert refused.exit_code == 2, said
    assert "2026-10 is closed" in said and "Run `billing rate`" in said
    assert "`billing rate --period 2026-11 --rerate`" in said
