"""A killed `billing ingest` stops writing at once: its worker processes die with it.

Workers that outlived their parent (re-parented to PID 1) went on ingesting the rest of the
file, so a kill landed "mid-file" and the ledger kept growing behind the operator's back.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from billing.demo_data import generate
from billing.ledger.bulk_ingest import MIN_PARALLEL_BYTES
from billing.models import UsageEvent


def _events(engine) -> int:  # noqa: ANN001
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(UsageEvent.__table__)).scalar_one()


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker.encode() in environ:
            found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def big_file(tmp_path_factory) -> Path:  # noqa: ANN001
    path = tmp_path_factory.mktemp("ingest") / "usage.jsonl"
    path.write_text("\n".join(generate("2026-10", 150_000, seed=5)) + "\n")
    assert path.stat().st_size > MIN_PARALLEL_BYTES, "the file must take the parallel path"
    return path


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("moment", ["while the workers start", "after the first rows land"])
def test_a_killed_ingest_leaves_no_worker_writing(engine, database_url, big_file, moment):
    marker = f"BILLING_KILL_MARKER_{uuid.uuid4().hex}"
    env = dict(os.environ, DATABASE_URL=database_url, **{marker: "1"})
    process = subprocess.Popen(
        [sys.executable, "-m", "billing", "ingest", str(big_file), "--json"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    if moment == "while the workers start":
        while len(_processes_with(marker)) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(_processes_with(marker)) >= 2, "no worker was started"
    else:
        while _events(engine) == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()

    deadline = time.monotonic() + 10
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_with(marker) == [], "worker processes outlived the killed ingest"
    landed = _events(engine)
    time.sleep(1.5)
    assert _events(engine) == landed, "the ledger kept growing after the kill"
    assert landed < 150_000
