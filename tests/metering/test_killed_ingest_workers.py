"""`kill -9` of a parallel `billing ingest` takes its worker processes with it.

Before: killed in its first seconds, the command left its workers running under PID 1; they
ingested the rest of the file and then slept forever. Each worker now asks the kernel to kill
it when its parent dies (PR_SET_PDEATHSIG), checks the parent is still the one that started it
before any work (the parent may die before the request is made), and watches the parent's pid
as a fallback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from billing.demo_data import generate
from billing.ledger.bulk_ingest import MIN_PARALLEL_BYTES
from billing.models import UsageEvent

usage = UsageEvent.__table__


def _events(engine) -> int:  # noqa: ANN001
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(usage)).scalar_one()


def _in_group(group: int) -> list[int]:
    """Live processes of a process group (zombies do no work and are left out)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def big_file(tmp_path_factory) -> Path:  # noqa: ANN001
    path = tmp_path_factory.mktemp("big") / "usage.jsonl"
    with path.open("w") as handle:
        for line in generate("2026-10", 90_000, seed=11):
            handle.write(line + "\n")
    assert path.stat().st_size > MIN_PARALLEL_BYTES, "the ingest must run on several processes"
    return path


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("moment", ["workers_started", "first_rows"])
def test_killing_ingest_kills_its_workers(engine, database_url, big_file, moment):
    env = dict(os.environ, DATABASE_URL=database_url)
    process = subprocess.Popen(
        [sys.executable, "-m", "billing", "ingest", str(big_file), "--json"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    group = process.pid
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and process.poll() is None:
            others = [pid for pid in _in_group(group) if pid != process.pid]
            if moment == "workers_started" and len(others) >= 2:
                break
            if moment == "first_rows" and _events(engine) > 0:
                break
            time.sleep(0.01)
        assert process.poll() is None, "the ingest ended before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait()
        deadline = time.monotonic() + 5
        while _in_group(group) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _in_group(group) == [], "worker processes outlived the killed ingest"
        landed = _events(engine)
        time.sleep(1)
        assert _events(engine) == landed, "the ledger still grows after the kill"
    finally:
        for pid in _in_group(group):
            os.kill(pid, signal.SIGKILL)
