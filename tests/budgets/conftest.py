"""Fixtures for budgets, outcomes, forecasts and alerts: ingest and rate usage for real."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from budget_support import CARDS, UTC

from billing.ledger.metering import ingest_lines
from billing.rating.rate import RatingResult, rate


@pytest.fixture
def usage(engine) -> Callable[..., RatingResult]:  # noqa: ANN001
    """Ingest JSON-line events through metering and rate them: the real path."""
    def ingest_and_rate(lines: list[str], *, rerate_period: str | None = None) -> RatingResult:
        if lines:
            result = ingest_lines(engine, lines, zone=UTC)
            assert result.rejected == 0, result.errors
        return rate(engine, CARDS, zone=UTC, rerate_period=rerate_period)

    return ingest_and_rate
