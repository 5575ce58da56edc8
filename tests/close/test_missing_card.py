"""The close and the scheduler refuse a team card that is not published, as `billing rate`
does, naming the card: they never rate everything as unpriced and close on it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from billing.close.period_close import CloseRefused, close_period
from billing.models import PeriodClose, RatedLine
from billing.scheduler import rate_and_alert, run_due_closes

NOW = datetime(2026, 11, 2, 3, tzinfo=UTC)


@pytest.fixture
def unpublished(close_settings):  # noqa: ANN001, ANN201
    return replace(close_settings, team_card="internal-unpublished")


def _nothing_written(engine) -> bool:  # noqa: ANN001
    with engine.connect() as connection:
        return (connection.execute(select(func.count()).select_from(RatedLine)).scalar() == 0
                and connection.execute(select(func.count()).select_from(PeriodClose)).scalar()
                == 0)


def test_the_close_refuses_a_missing_team_card(month, unpublished):
    with pytest.raises(CloseRefused, match="internal-unpublished") as refused:
        close_period(month, unpublished, "2026-10", now=NOW)
    assert "billing ratecards publish" in refused.value.hint
    assert _nothing_written(month)


def test_the_scheduler_refuses_a_missing_team_card(month, unpublished):
    [result] = run_due_closes(month, unpublished, now=NOW)
    assert result.status == "refused" and "internal-unpublished" in result.message
    rated = rate_and_alert(month, unpublished, now=NOW)
    assert rated["rating"] is None and "internal-unpublished" in rated["refused"]
    assert _nothing_written(month)
