"""Exactly once: two closes at the same time, and a close killed mid-way then resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from billing.models import Document, PeriodClose

documents = Document.__table__
closes = PeriodClose.__table__


def _env(settings) -> dict[str, str]:  # noqa: ANN001
    return dict(os.environ, DATABASE_URL=settings.database_url,
                BILLING_DOCUMENTS_DIR=str(settings.documents_dir),
                BILLING_REGISTRY=str(settings.registry),
                BILLING_OVERHEAD_POOLS=str(settings.overhead_pools),
                BILLING_ATTRIBUTION_RULES=str(settings.attribution_rules))


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


def test_a_close_killed_mid_way_resumes_without_duplicates_or_gaps(month, close_settings):
    folder = Path(close_settings.documents_dir) / "2026-10"
    process = _close(close_settings)
    deadline = time.monotonic() + 120
    while not list(folder.glob("*.pdf")) and process.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait()
    resumed = _close(close_settings)
    output = json.loads(resumed.communicate(timeout=120)[0])
    assert output["status"] in ("already_closed", "closed")
    rows = _check_one_complete_set(month)
    assert all(row.pdf_sha256 and Path(row.pdf_path).exists() for row in rows)
    assert len(list(folder.glob("*.pdf"))) == len(rows)


def test_a_close_killed_before_it_commits_leaves_nothing(month, close_settings):
    process = _close(close_settings)
    time.sleep(0.3)  # importing and rating: long before the documents are stored
    process.send_signal(signal.SIGKILL)
    process.wait()
    with month.connect() as connection:
        closed = connection.execute(select(func.count()).select_from(closes)).scalar()
        stored = connection.execute(select(func.count()).select_from(documents)).scalar()
    assert (closed, bool(stored)) in ((0, False), (1, True))
    json.loads(_close(close_settings).communicate(timeout=120)[0])
    _check_one_complete_set(month)
