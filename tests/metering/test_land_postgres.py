"""Landing events on PostgreSQL (COPY, then one INSERT ... ON CONFLICT): what did not land comes
back with the content hash stored, also when another ingest committed it while ours waited.

PostgreSQL only. `make mutate` runs the SQLite tests alone, and this file as well when
BILLING_TEST_POSTGRES_URL is set (it sets BILLING_MUTATE_POSTGRES=1), so the PostgreSQL half
of `_land` and `_stored` is mutated too. Rows are written by hand, not validated, so the
mutants of validation do not run this file."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select, text

from billing.ledger.metering import _land, _stored
from billing.ledger.usage_event import ledger_tuple
from billing.models import UsageEvent

pytestmark = [
    pytest.mark.skipif(os.environ.get("BILLING_SKIP_POSTGRES") == "1"
                       and os.environ.get("BILLING_MUTATE_POSTGRES") != "1",
                       reason="PostgreSQL skipped (BILLING_SKIP_POSTGRES=1)"),
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]


def _row(event_id: str, content_hash: str) -> tuple[Any, ...]:
    return ledger_tuple({"event_id": event_id, "occurred_at": datetime(2026, 10, 5, 10, tzinfo=UTC),
            "period": "2026-10", "usage_date": date(2026, 10, 5), "team": "support",
            "use_case": None, "customer": None, "environment": "production", "provider": None,
            "model": "gpt-4o-mini", "tier": None, "input_tokens": 10, "output_tokens": 5,
            "cached_input_tokens": 0, "cache_write_input_tokens": 0, "requests": 1,
            "prompt_version": None, "tags": None, "content_hash": content_hash,
            "batch_id": None, "call_status": "ok", "service_tier": "standard",
            "reported_cost_nanos": 0, "cache_write_1h_input_tokens": 0,
            "web_search_requests": 0, "project": None, "latency_ms": None, "status": None})


def _ledger(engine) -> dict[str, str]:  # noqa: ANN001
    table = UsageEvent.__table__
    with engine.connect() as connection:
        return dict(connection.execute(select(table.c.event_id, table.c.content_hash)).all())


def test_events_already_in_the_ledger_come_back_with_their_stored_hash(engine):
    with engine.begin() as connection:
        assert _land(connection, [_row("e-a", "hash-a"), _row("e-b", "hash-b")]) == {}
    with engine.begin() as connection:
        found = _land(connection, [_row("e-a", "changed"), _row("e-b", "hash-b"),
                                   _row("e-c", "hash-c")])
        assert _stored(connection, []) == {}
    assert found == {"e-a": "hash-a", "e-b": "hash-b"}
    assert _ledger(engine) == {"e-a": "hash-a", "e-b": "hash-b", "e-c": "hash-c"}


def test_an_event_another_ingest_commits_while_ours_waits_comes_back_stored(engine):
    """Two ingests send e-x at once; theirs inserts first and commits while our insert waits
    on it. Ours must report e-x as stored (a duplicate or conflict), never as landed."""
    found: dict[str, str] = {}
    with engine.connect() as theirs, engine.connect() as ours, engine.connect() as watcher:
        their_transaction = theirs.begin()
        assert _land(theirs, [_row("e-x", "their-hash")]) == {}
        pid = ours.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()

        def land_ours() -> None:
            found.update(_land(ours, [_row("e-x", "our-hash"), _row("e-y", "our-hash")]))
            ours.commit()

        worker = threading.Thread(target=land_ours)
        worker.start()
        deadline = time.monotonic() + 30
        query = text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid")
        while watcher.execute(query, {"pid": pid}).scalar_one_or_none() != "Lock":
            watcher.rollback()
            assert worker.is_alive() and time.monotonic() < deadline, "ours never waited"
            time.sleep(0.02)
        their_transaction.commit()
        worker.join(30)
    assert found == {"e-x": "their-hash"}
    assert _ledger(engine) == {"e-x": "their-hash", "e-y": "our-hash"}


def test_write_events_lands_validated_rows_and_counts_them(engine):
    """The bucket restatements write their events with `write_events`: on PostgreSQL through
    the same COPY, each new id counted once, a repeated one not at all."""
    from billing.ledger.metering import write_events
    from billing.ledger.usage_event import validate

    rows = [validate({"event_id": event_id, "occurred_at": "2026-10-05T10:00:00Z",
                      "model": "gpt-4o-mini", "input_tokens": 10, "output_tokens": 5},
                     UTC, now=datetime(2026, 11, 1, tzinfo=UTC)) | {"batch_id": None}
            for event_id in ("w-1", "w-2")]
    with engine.begin() as connection:
        assert write_events(connection, rows) == 2
    with engine.begin() as connection:
        assert write_events(connection, rows[:1]) == 0
    assert set(_ledger(engine)) == {"w-1", "w-2"}
