"""The scheduler: which periods are due on a given clock, and a missed run caught up."""

from __future__ import annotations

import pickle
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from billing.models import SCHEDULER_JOBS, PeriodClose
from billing.scheduler import JOB_ID, due_periods, run_due_closes, start_scheduler

closes = PeriodClose.__table__


def test_due_periods_on_a_fake_clock():
    berlin = ZoneInfo("Europe/Berlin")
    assert due_periods("2026-10", datetime(2026, 10, 31, 23, 59, tzinfo=berlin), set()) == []
    assert due_periods("2026-10", datetime(2026, 11, 1, 2, 0, tzinfo=berlin), set()) == [
        "2026-10"]
    assert due_periods("2026-11", datetime(2027, 2, 1, 2, 0, tzinfo=berlin), {"2026-12"}) == [
        "2026-11", "2027-01"]
    assert due_periods(None, datetime(2027, 1, 1, tzinfo=berlin), set()) == []


def test_run_due_closes_uses_the_clock_it_is_given(month, close_settings):
    assert run_due_closes(month, close_settings, now=datetime(2026, 10, 31, 23, tzinfo=UTC)) == []
    [result] = run_due_closes(month, close_settings, now=datetime(2026, 11, 1, 2, tzinfo=UTC))
    assert result.period == "2026-10" and result.status == "closed"
    assert run_due_closes(month, close_settings, now=datetime(2026, 11, 1, 3, tzinfo=UTC)) == []


def test_a_run_missed_while_the_service_was_down_runs_when_it_comes_back(
        month, close_settings, monkeypatch):
    for name, value in (("DATABASE_URL", close_settings.database_url),
                        ("BILLING_DOCUMENTS_DIR", str(close_settings.documents_dir))):
        monkeypatch.setenv(name, value)
    scheduler = start_scheduler(close_settings)
    scheduler.shutdown()
    # the service was down at 02:00 on 1 November: the stored job's run time has passed
    # (APScheduler keeps the time both in a column and in the pickled job state)
    missed = datetime(2026, 11, 1, 2, tzinfo=ZoneInfo("UTC"))
    with month.begin() as connection:
        stored = connection.execute(select(SCHEDULER_JOBS.c.job_state)
                                    .where(SCHEDULER_JOBS.c.id == JOB_ID)).scalar_one()
        state = pickle.loads(stored)
        state["next_run_time"] = missed
        connection.execute(update(SCHEDULER_JOBS).where(SCHEDULER_JOBS.c.id == JOB_ID)
                           .values(next_run_time=missed.timestamp(),
                                   job_state=pickle.dumps(state)))
    scheduler = start_scheduler(close_settings)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with month.connect() as connection:
                if connection.execute(select(func.count()).select_from(closes)).scalar():
                    break
            time.sleep(0.2)
        with month.connect() as connection:
            row = connection.execute(select(closes)).one()
        assert row.period == "2026-10" and row.closed_by == "scheduler"
        assert scheduler.get_job(JOB_ID).next_run_time.timestamp() > time.time()
    finally:
        scheduler.shutdown()


def test_rate_and_alert_rates_new_usage_and_is_quiet_the_second_time(month, close_settings):
    from billing.scheduler import rate_and_alert

    first = rate_and_alert(month, close_settings, now=datetime(2026, 11, 2, tzinfo=UTC))
    assert first["rating"]["events"] > 0 and first["delivery"] is None
    again = rate_and_alert(month, close_settings, now=datetime(2026, 11, 2, tzinfo=UTC))
    assert again["rating"]["nothing_to_do"]
