"""PostgreSQL keeps the usage ledger as one partition per period: ingest makes a period's
partition, event ids stay unique across periods, and archiving a closed period drops its
partition and nothing else. SQLite keeps one table, with the same behaviour where it can."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from billing.cli import app
from billing.close.period_close import close_period
from billing.close.reconcile import reconcile
from billing.demo_data import generate
from billing.ledger import partitions
from billing.ledger.metering import ingest_lines
from billing.models import RatedLine, UsageEvent
from billing.rating.card_registry import published_versions
from billing.rating.rate import Cards, rate

UTC_ZONE = ZoneInfo("UTC")
usage, rated = UsageEvent.__table__, RatedLine.__table__
runner = CliRunner()


def _event(event_id: str, when: str, **extra: object) -> str:
    return json.dumps({"event_id": event_id, "occurred_at": when, "team": "support",
                       "use_case": "support-copilot", "customer": "acme", "provider": "openai",
                       "model": "gpt-4o-mini", "input_tokens": 1000, "output_tokens": 200,
                       **extra})


def _where(engine) -> dict[str, int]:  # noqa: ANN001
    """Rows per physical table: the partition on PostgreSQL, the one table on SQLite."""
    place = "tableoid::regclass::text" if engine.dialect.name == "postgresql" else "period"
    with engine.connect() as connection:
        return dict(connection.execute(text(
            f"SELECT {place}, count(*) FROM usage_event GROUP BY 1")).all())


def test_the_usage_table_is_partitioned_by_period_and_ingest_makes_each_partition(engine):
    lines = [_event("p-oct-1", "2026-10-03T10:00:00Z"), _event("p-oct-2", "2026-10-31T23:59:59Z"),
             _event("p-nov-1", "2026-11-01T00:00:00Z")]
    result = ingest_lines(engine, lines, zone=UTC_ZONE)
    assert result.accepted == 3
    if engine.dialect.name != "postgresql":
        assert _where(engine) == {"2026-10": 2, "2026-11": 1}
        return
    with engine.connect() as connection:
        strategy = connection.execute(text(
            "SELECT partstrat FROM pg_partitioned_table "
            "WHERE partrelid = 'usage_event'::regclass")).scalar_one()
        assert strategy == "l"
        assert {"2026-10", "2026-11"} <= set(partitions.periods(connection))
        ids = dict(connection.execute(text("SELECT event_id, period FROM usage_event_id")).all())
    assert _where(engine) == {"usage_event_p2026_10": 2, "usage_event_p2026_11": 1}
    assert ids == {"p-oct-1": "2026-10", "p-oct-2": "2026-10", "p-nov-1": "2026-11"}


def test_the_period_follows_the_billing_time_zone(engine):
    """A call at 23:30 UTC on 31 October is November's in Tokyo: it lands in November's
    partition, as the engine assigns periods."""
    ingest_lines(engine, [_event("tz-1", "2026-10-31T23:30:00Z")], zone=ZoneInfo("Asia/Tokyo"))
    expected = ("usage_event_p2026_11" if engine.dialect.name == "postgresql" else "2026-11")
    assert _where(engine) == {expected: 1}


def test_a_resend_in_another_period_is_still_a_duplicate_or_a_conflict(engine):
    first = ingest_lines(engine, [_event("r-1", "2026-10-15T12:00:00Z")], zone=UTC_ZONE)
    assert first.accepted == 1
    same = ingest_lines(engine, [_event("r-1", "2026-10-15T12:00:00Z")], zone=UTC_ZONE)
    assert (same.accepted, same.duplicates) == (0, 1)
    moved = ingest_lines(engine, [_event("r-1", "2026-11-15T12:00:00Z")], zone=UTC_ZONE)
    assert (moved.accepted, moved.rejected) == (0, 1)
    assert moved.errors[0].field == "event_id" and "different content" in moved.errors[0].message
    within = ingest_lines(engine, [_event("r-2", "2026-10-15T12:00:00Z"),
                                   _event("r-2", "2026-11-15T12:00:00Z")], zone=UTC_ZONE)
    assert (within.accepted, within.rejected) == (1, 1)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(usage)).scalar_one() == 2
        assert set(connection.execute(select(usage.c.period)).scalars()) == {"2026-10"}


def test_concurrent_ingests_of_a_new_period_all_land(engine):
    """Four writers make the same missing partition at once: none fails, nothing is lost."""
    barrier, results, errors = threading.Barrier(4), [], []

    def ingest(worker: int) -> None:
        lines = [_event(f"c-{worker}-{n}", f"2026-08-{1 + n % 28:02d}T08:00:00Z")
                 for n in range(50)]
        try:
            barrier.wait()
            results.append(ingest_lines(engine, lines, zone=UTC_ZONE).accepted)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=ingest, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and results == [50] * 4
    expected = "usage_event_p2026_08" if engine.dialect.name == "postgresql" else "2026-08"
    assert _where(engine) == {expected: 200}


def _cards(engine) -> Cards:  # noqa: ANN001
    return Cards(team=published_versions(engine, "internal"),
                 customer=published_versions(engine, "external"))


def _lines(engine, period: str) -> list[tuple]:  # noqa: ANN001
    columns = [column for column in rated.c if column.name not in ("id", "run_id", "rated_at")]
    with engine.connect() as connection:
        return sorted(tuple(str(value) for value in row) for row in connection.execute(
            select(*columns).where(rated.c.period == period)))


def test_archive_drops_exactly_that_periods_partition(month, close_env, tmp_path):
    november = [_event(f"nov-{n}", f"2026-11-{1 + n % 2:02d}T0{n % 10}:00:00Z",
                       input_tokens=100 + n) for n in range(40)]
    ingest_lines(month, november, zone=UTC_ZONE, source="november")
    close_period(month, close_env, "2026-10", now=datetime(2026, 11, 2, 3, tzinfo=UTC))
    rate(month, _cards(month), zone=UTC_ZONE)
    lines_before = _lines(month, "2026-11")
    assert lines_before
    kept = {key: count for key, count in _where(month).items() if "2026_10" not in key
            and key != "2026-10"}

    done = runner.invoke(app, ["archive", "--period", "2026-10", "--to", str(tmp_path),
                               "--json"])
    assert done.exit_code == 0, done.output
    assert _where(month) == kept == {
        ("usage_event_p2026_11" if month.dialect.name == "postgresql" else "2026-11"): 40}
    if month.dialect.name == "postgresql":
        with month.connect() as connection:
            assert "2026-10" not in partitions.periods(connection)
            assert "2026-11" in partitions.periods(connection)
            assert connection.execute(text("SELECT to_regclass('usage_event_p2026_10')")
                                      ).scalar_one() is None
    assert reconcile(month, close_env, "2026-10").ok

    # the other period's lines are untouched, its new usage still lands and rates, it closes
    assert _lines(month, "2026-11") == lines_before
    ingest_lines(month, [_event("nov-late", "2026-11-20T10:00:00Z")], zone=UTC_ZONE)
    rate(month, _cards(month), zone=UTC_ZONE)
    with month.connect() as connection:
        events = connection.execute(select(func.sum(rated.c.events)).where(
            rated.c.period == "2026-11", rated.c.view == "showback")).scalar_one()
    assert events == 41
    closed = close_period(month, close_env, "2026-11", now=datetime(2026, 12, 2, 3, tzinfo=UTC))
    assert closed.status == "closed" and closed.statements, closed.message
    assert reconcile(month, close_env, "2026-11").ok


def test_a_late_resend_of_an_archived_event(month, close_env, tmp_path):
    """PostgreSQL keeps an archived period's event ids, so a resend is still a duplicate; on
    SQLite the ids leave with the rows, and the resend is late usage (documented)."""
    line = next(line for line in generate("2026-10", 3000, 5) if '"demo-2026-10-' in line[:40])
    close_period(month, close_env, "2026-10", now=datetime(2026, 11, 2, 3, tzinfo=UTC))
    rate(month, _cards(month), zone=UTC_ZONE)
    assert runner.invoke(app, ["archive", "--period", "2026-10", "--to",
                               str(tmp_path)]).exit_code == 0
    again = ingest_lines(month, [line], zone=UTC_ZONE)
    if month.dialect.name == "postgresql":
        assert (again.accepted, again.duplicates) == (0, 1)
    else:
        assert (again.accepted, again.duplicates) == (1, 0)


def test_archive_gives_up_on_a_busy_ledger_and_removes_nothing(month, close_env, tmp_path,
                                                                 monkeypatch):
    """A long reader of usage_event would queue every other reader behind the drop's lock:
    the archive waits LOCK_TIMEOUT at most, then refuses with what to do; nothing is lost."""
    if month.dialect.name != "postgresql":
        return
    from billing.ledger.archive import ArchiveRefused, archive_period

    close_period(month, close_env, "2026-10", now=datetime(2026, 11, 2, 3, tzinfo=UTC))
    monkeypatch.setattr(partitions, "LOCK_TIMEOUT", "500ms")
    before = _where(month)
    with month.connect() as reader:
        reader.execute(select(func.count()).select_from(usage)).scalar_one()  # holds its lock
        with pytest.raises(ArchiveRefused) as refused:
            archive_period(month, "2026-10", tmp_path)
        reader.rollback()
    assert "busy" in refused.value.message and "archive again" in refused.value.hint
    assert _where(month) == before
    with month.connect() as connection:
        assert "2026-10" in partitions.periods(connection)
        assert connection.execute(text("SELECT count(*) FROM usage_archive")).scalar_one() == 0
