"""Exactly once: two closes at the same time, and closes killed at proven points then resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, func, select

from billing.db import CLOSE_LOCK_KEY, write_transaction
from billing.models import Document, PeriodClose, RatedLine, RatingRun

documents = Document.__table__
closes = PeriodClose.__table__
rated = RatedLine.__table__
runs = RatingRun.__table__


def _env(settings) -> dict[str, str]:  # noqa: ANN001
    return dict(os.environ, DATABASE_URL=settings.database_url,
                BILLING_DOCUMENTS_DIR=str(settings.documents_dir))


def _close(settings) -> subprocess.Popen:  # noqa: ANN001
    return subprocess.Popen([sys.executable, "-m", "billing", "close", "--period", "2026-10",
                             "--json"], env=_env(settings), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _check_one_complete_set(engine) -> list:  # noqa: ANN001
    with engine.connect() as connection:
        rows = connection.execute(select(documents).order_by(documents.c.number)).all()
        assert connection.execute(select(func.count()).select_from(closes)).scalar() == 1
    invoices = [row.number for row in rows if row.kind == "invoice"]
    assert invoices == [f"INV-2026-{n:05d}" for n in range(1, len(invoices) + 1)], "gap or repeat"
    statements = [row.subject for row in rows if row.kind == "statement"]
    assert len(statements) == len(set(statements)) and statements
    return rows


def test_two_closes_at_once_produce_one_set_of_documents(month, close_settings):
    first, second = _close(close_settings), _close(close_settings)
    outputs = [json.loads(process.communicate(timeout=120)[0]) for process in (first, second)]
    assert sorted(output["status"] for output in outputs) == ["already_closed", "closed"]
    rows = _check_one_complete_set(month)
    assert all(row.pdf_sha256 for row in rows)


def _count(connection, table, *where) -> int:  # noqa: ANN001
    return connection.execute(select(func.count()).select_from(table).where(*where)).scalar()


def _rated(connection) -> int:  # noqa: ANN001
    return _count(connection, rated, rated.c.period == "2026-10")


def _rendered(connection) -> int:  # noqa: ANN001
    return _count(connection, documents, documents.c.pdf_sha256.is_not(None))


def _poll(engine, process, reached, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + 120
    while True:
        with engine.connect() as connection:
            if reached(connection):
                return
        assert process.poll() is None, f"the close finished before {what}"
        assert time.monotonic() < deadline, f"the close never reached {what}"
        time.sleep(0.002)


@contextmanager
def _holding_the_documents_lock(engine) -> Iterator[Connection]:  # noqa: ANN001
    """Take what the close's documents transaction takes first (the SQLite write lock, the
    PostgreSQL close lock), so while it is held the close cannot store its documents."""
    with write_transaction(engine) as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({CLOSE_LOCK_KEY})")
        yield connection


def _waiting_for_the_lock(connection, pid: int) -> bool:  # noqa: ANN001
    """Is the close blocked on the documents lock? PostgreSQL lists the waiter in pg_locks;
    on SQLite the close sleeps in the busy handler (nanosleep or clock_nanosleep)."""
    if connection.dialect.name == "postgresql":
        return bool(connection.exec_driver_sql(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            f"AND objid = {CLOSE_LOCK_KEY} AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())").scalar())
    return Path(f"/proc/{pid}/syscall").read_text().split()[0] in ("35", "230")


def test_a_close_killed_mid_way_resumes_without_duplicates_or_gaps(month, close_settings):
    folder = Path(close_settings.documents_dir) / "2026-10"
    process = _close(close_settings)
    _poll(month, process, lambda connection: _rendered(connection) > 0, "its first PDF")
    process.send_signal(signal.SIGKILL)
    process.wait()
    with month.connect() as connection:
        landed, stored = _rendered(connection), _count(connection, documents)
        assert _count(connection, closes) == 1, "the documents were committed before the kill"
    assert 0 < landed < stored, "the kill should land while PDFs render; make the month larger"

    resumed = _close(close_settings)
    output = json.loads(resumed.communicate(timeout=120)[0])
    assert output["status"] == "already_closed"
    assert output["rendering"]["rendered"] == stored - landed
    rows = _check_one_complete_set(month)
    assert len(rows) == stored
    assert all(row.pdf_sha256 and Path(row.pdf_path).exists() for row in rows)
    assert len(list(folder.glob("*.pdf"))) == len(rows)


def test_a_close_killed_after_rating_before_the_documents_commit_leaves_none(
    month, close_settings
):
    folder = Path(close_settings.documents_dir) / "2026-10"
    process = _close(close_settings)
    _poll(month, process, lambda connection: _rated(connection) > 0, "rated lines")
    with _holding_the_documents_lock(month) as connection:
        # rating committed (one transaction, its run finished); the documents cannot commit
        # while we hold the lock: kill the close once it waits for it, at the commit's door
        rated_lines = _rated(connection)
        finished = _count(connection, runs, runs.c.finished_at.is_not(None))
        landed = (_count(connection, closes), _count(connection, documents))
        deadline = time.monotonic() + 60
        with month.connect() as watcher:
            while not _waiting_for_the_lock(watcher, process.pid):
                assert process.poll() is None, "the close ended while we held its lock"
                assert time.monotonic() < deadline, "the close never reached its documents"
                time.sleep(0.002)
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert rated_lines > 0 and finished == 1 and landed == (0, 0), (
        "the kill should land after rating and before the documents commit")
    with month.connect() as connection:
        assert (_count(connection, closes), _count(connection, documents)) == (0, 0)
        assert _rated(connection) == rated_lines
    assert not list(folder.glob("*.pdf"))

    output = json.loads(_close(close_settings).communicate(timeout=120)[0])
    assert output["status"] == "closed"
    assert output["rating"]["nothing_to_do"], "the rating that survived the kill is not redone"
    _check_one_complete_set(month)
    with month.connect() as connection:
        assert _rated(connection) == rated_lines
