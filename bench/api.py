"""API latency against a rated and closed ledger: a real uvicorn in its own process, driven
from this one over localhost by client threads; p50, p99 and requests per second."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import threading
import time

import httpx

KEY = "bench-api-key"
REQUESTS = int(os.environ.get("BENCH_API_REQUESTS", "1000"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _drive(base: str, path: str, total: int, threads: int = 2) -> dict:
    timings: list[float] = []
    lock = threading.Lock()

    def worker(count: int) -> None:
        mine = []
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"},
                          timeout=30) as client:
            client.get(path).raise_for_status()  # warm
            for _ in range(count):
                started = time.perf_counter()
                client.get(path).raise_for_status()
                mine.append(time.perf_counter() - started)
        with lock:
            timings.extend(mine)

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(total // threads,)) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    seconds = time.perf_counter() - started
    ordered = sorted(timings)
    return {"path": path, "requests": len(ordered),
            "p50_ms": statistics.median(ordered) * 1000,
            "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000,
            "requests_per_second": len(ordered) / seconds}


def api_latency(url: str, team: str, period: str) -> list[dict]:
    """Latency of the API on a database whose policies are published in it."""
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=url, BILLING_API_KEY=KEY)
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "billing.api.app:create_app", "--factory",
         "--port", str(port), "--log-level", "warning", "--no-access-log"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code in (200, 503):
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        return [_drive(base, path, REQUESTS) for path in (
            f"/v1/showback/{team}?period={period}",
            f"/v1/teams/{team}/statements",
            f"/v1/budgets/{team}/status?period={period}",
        )]
    finally:
        server.terminate()
        server.wait()
