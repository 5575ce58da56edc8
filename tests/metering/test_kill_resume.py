"""A process killed mid-file loses nothing: a re-run completes it without duplicates."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from billing.demo_data import generate
from billing.ledger.metering import ingest_lines
from billing.models import UsageEvent

usage = UsageEvent.__table__


def _events(engine) -> int:  # noqa: ANN001
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(usage)).scalar_one()


def test_ingest_killed_mid_file_resumes_without_duplicates(engine, database_url, tmp_path):
    path = tmp_path / "usage.jsonl"
    path.write_text("\n".join(generate("2026-10", 150_000, seed=3)) + "\n")
    env = dict(os.environ, DATABASE_URL=database_url)
    process = subprocess.Popen(
        [sys.executable, "-m", "billing", "ingest", str(path), "--json"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while _events(engine) == 0 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    landed = _events(engine)
    assert 0 < landed < 150_000, "the kill should land mid-file; make the file larger"

    resumed = ingest_lines(engine, path.open(), zone=ZoneInfo("UTC"))
    assert _events(engine) == 150_000
    assert resumed.accepted == 150_000 - landed
    assert resumed.duplicates >= landed
