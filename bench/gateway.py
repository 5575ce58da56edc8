"""Gateway benchmark: the budget check over HTTP at a fixed request rate, the in-process check,
and the overshoot of a hard cap under concurrent reservations.

A month of usage is generated and rated on SQLite (bench.budget_status's setup: 50 teams with
hard-capped budgets, 300 use cases); uvicorn serves the app in a separate process (one worker).
`GET /v1/budgets/{team}/status?use_case=` is sent at RATE requests per second (open loop: each
request is due at its slot, latency counted from the slot, so a slow answer delays none of the
next ones' clocks), round-robin over the use cases, after a warm-up that fills the live state.
The load comes from a lean client (`bench.lean_http`: a raw keep-alive socket, requests
prepared before the clock starts) so that, on the same two cores, the server is measured and
not the client; the client's CPU per request is printed beside the server's (`--client httpx`
measures with httpx instead, to compare). Then 50 threads reserve a call each against a cap
with room for five, settle at the actual cost, and the overshoot (held spend past the cap) is
reported.

    python -m bench.gateway [--events N] [--requests N] [--rate R] [--client lean|httpx]
                            [--http auto|h11|httptools] [--loop auto|asyncio|uvloop]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import httpx

from bench.budget_status import KEY, PERIOD, _free_port, _paths, _percentiles, prepare
from bench.lean_http import Connection
from billing.budgets.budget import Budget, Scope
from billing.budgets.live_state import check
from billing.budgets.pre_call import Tokens, cost
from billing.budgets.store import set_budget
from billing.config import Settings
from billing.db import engine_for

RATE = 500
TARGET_P99_MS = 2.0
TARGET_CPU_MS = 0.5  # server CPU per request: 500/s then uses a quarter of one core


def _serve(url: str, http: str = "auto", loop: str = "auto") -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "BILLING_API_KEY": KEY}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "billing.api.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
         "--no-access-log", "--http", http, "--loop", loop],
        env=env, cwd=Path(__file__).resolve().parent.parent)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    return server, base


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load() -> float:
    return os.getloadavg()[0]


def _lean_sender(base: str) -> tuple[Callable[[str], Callable[[], None]], Callable[[], None]]:
    connection = Connection(base, {"Authorization": f"Bearer {KEY}"})

    def prepared(path: str) -> Callable[[], None]:
        request = connection.prepare("GET", path)

        def send() -> None:
            status, body = connection.send(request)
            if status != 200:
                raise RuntimeError(f"GET {path}: {status} {body[:200]!r}")

        return send

    return prepared, connection.close


def _httpx_sender(base: str) -> tuple[Callable[[str], Callable[[], None]], Callable[[], None]]:
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"}, timeout=60)

    def prepared(path: str) -> Callable[[], None]:
        def send() -> None:
            client.get(path).raise_for_status()

        return send

    return prepared, client.close


SENDERS = {"lean": _lean_sender, "httpx": _httpx_sender}


def paced(base: str, paths: list[str], rate: int, client: str = "lean",
          server_pid: int | None = None) -> dict:
    """Each request is due at start + k/rate; its latency runs from then to the answer. The
    server's CPU (from /proc) and the client's are counted over the paced requests only."""
    prepare_sender, close = SENDERS[client](base)
    try:
        sends = [prepare_sender(path) for path in paths]
        for send in sends[:600]:   # the warm-up: keys remembered, every status in memory
            send()
        interval = 1 / rate
        samples = []
        load = _load()
        server_cpu = _cpu_seconds(server_pid) if server_pid else 0.0
        cpu = time.process_time()
        started = time.perf_counter()
        for k, send in enumerate(sends):
            due = started + k * interval
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            send()
            samples.append(time.perf_counter() - due)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        server_cpu = _cpu_seconds(server_pid) - server_cpu if server_pid else 0.0
    finally:
        close()
    return {**_percentiles(samples), "requests": len(paths),
            "achieved_rate": round(len(paths) / seconds, 1), "target_rate": rate,
            "client": client, "client_cpu_ms_per_request": round(cpu / len(paths) * 1000, 3),
            # the server's own CPU per request: what the latency is on an idle machine,
            # whatever else shares its cores while the bench runs
            "server_cpu_ms_per_request": round(server_cpu / len(paths) * 1000, 3),
            "load_average_before": load}


def batch_form(base: str, requests: int) -> dict:
    """POST /v1/budgets/status with 10 scopes a request."""
    samples = []
    with Connection(base, {"Authorization": f"Bearer {KEY}"}) as connection:
        for k in range(requests):
            scopes = [{"team": f"team-{(j % 300) % 50}", "use_case": f"uc-{j % 300}"}
                      for j in range(k * 10, k * 10 + 10)]
            request = connection.prepare("POST", "/v1/budgets/status", json.dumps(
                {"period": PERIOD, "scopes": scopes}).encode())
            started = time.perf_counter()
            status, body = connection.send(request)
            samples.append(time.perf_counter() - started)
            if status != 200:
                raise RuntimeError(f"POST /v1/budgets/status: {status} {body[:200]!r}")
    return {**_percentiles(samples), "requests": requests, "scopes_per_request": 10}


def in_process(url: str, requests: int) -> dict:
    engine = engine_for(url)
    for k in range(300):
        check(engine, f"team-{k % 50}", PERIOD, use_case=f"uc-{k}")
    samples = []
    for k in range(requests):
        started = time.perf_counter()
        check(engine, f"team-{(k % 300) % 50}", PERIOD, use_case=f"uc-{k % 300}")
        samples.append(time.perf_counter() - started)
    result = _percentiles(samples)
    return {f"{name[:-3]}_us": round(value * 1000, 1) for name, value in result.items()}


def overshoot(url: str, client: httpx.Client, calls: int = 50) -> dict:
    """`calls` threads at once against a cap with room for five estimates."""
    team = "gateway-bench"
    body = {"model": "gpt-4o-mini", "input_tokens": 2000, "max_tokens": 1000,
            "period": PERIOD}
    engine = engine_for(url)
    estimate = cost(engine, Settings(database_url=url), "gpt-4o-mini", Tokens(2000, 1000),
                    [("team", team)])[("team", team)]
    cap = estimate * Decimal("5.5")
    set_budget(engine, Budget(Scope.of(team), PERIOD, cap, "USD", hard_cap=True))
    outcomes: list[str] = []
    settled: list[Decimal] = []
    barrier = threading.Barrier(calls)

    def call() -> None:
        with httpx.Client(base_url=str(client.base_url), headers=client.headers,
                          timeout=60) as mine:
            barrier.wait()
            answer = mine.post(f"/v1/budgets/{team}/reservations", json=body).json()
            outcomes.append(answer["decision"])
            if answer["reservation_id"]:
                done = mine.post(f"/v1/reservations/{answer['reservation_id']}/settle", json={
                    "input_tokens": 2000, "output_tokens": 1000})
                done.raise_for_status()
                settled.append(Decimal(done.json()["settled"][f"team:{team}"]))

    threads = [threading.Thread(target=call) for _ in range(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    status = client.get(f"/v1/budgets/{team}/status?period={PERIOD}").json()
    held = sum(settled, Decimal(0))  # exact: the status rounds spend to the cent for display
    return {"calls": calls, "allowed": sum(d != "block" for d in outcomes),
            "blocked": outcomes.count("block"), "cap": str(cap),
            "spent_and_held": str(held), "overshoot": str(max(held - cap, Decimal(0))),
            "decision_after": status["decision"],
            "bound": "0 when each call's actual cost is within its estimate (max_tokens)"}


def measure(events: int = 50_000, requests: int = 5_000, rate: int = RATE,
            client: str = "lean", http: str = "auto", loop: str = "auto") -> dict:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/gateway.db"
        setup = prepare(url, events)
        server, base = _serve(url, http, loop)
        try:
            result = paced(base, _paths(requests), rate, client, server.pid)
            result["server"] = {"http": http, "loop": loop}
            batch = batch_form(base, 500)
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"},
                              timeout=60) as client:
                over = overshoot(url, client)
        finally:
            server.terminate()
            server.wait(timeout=10)
        local = in_process(url, requests)
        engine_for(url).dispose()
    return {"database": "sqlite", "events": events, **setup, "http": result, "batch": batch,
            "in_process": local, "overshoot": over, "target_p99_ms": TARGET_P99_MS,
            "load_average": _load()}


def print_table(result: dict) -> None:
    http, batch, local = result["http"], result["batch"], result["in_process"]
    print(f"\nGateway budget check ({os.cpu_count()} cores, SQLite, {result['events']:,} events "
          f"rated, uvicorn 1 worker in its own process)")
    print(f"{'path':<34} {'p50':>9} {'p95':>9} {'p99':>9} {'max':>9}")
    print(f"{'HTTP GET status @ ' + str(http['target_rate']) + '/s':<34} "
          f"{http['p50_ms']:>7.3f}ms {http['p95_ms']:>7.3f}ms {http['p99_ms']:>7.3f}ms "
          f"{http['max_ms']:>7.3f}ms")
    print(f"{'HTTP POST batch status (10 scopes)':<34} {batch['p50_ms']:>7.3f}ms "
          f"{batch['p95_ms']:>7.3f}ms {batch['p99_ms']:>7.3f}ms {batch['max_ms']:>7.3f}ms")
    print(f"{'in-process check':<34} {local['p50_us']:>7.1f}us {local['p95_us']:>7.1f}us "
          f"{local['p99_us']:>7.1f}us {local['max_us']:>7.1f}us")
    over = result["overshoot"]
    cpu = http["server_cpu_ms_per_request"]
    print(f"server CPU per request {cpu} ms (target {TARGET_CPU_MS} ms: "
          f"{'met' if cpu < TARGET_CPU_MS else 'NOT met'}); client ({http['client']}) CPU per "
          f"request {http['client_cpu_ms_per_request']} ms; load average "
          f"{http['load_average_before']:.1f} before, {result['load_average']:.1f} after, "
          f"on {os.cpu_count()} cores")
    print(f"achieved {http['achieved_rate']}/s; p99 target {result['target_p99_ms']} ms: "
          f"{'met' if http['p99_ms'] < result['target_p99_ms'] else 'NOT met'}")
    print(f"overshoot: {over['calls']} concurrent reservations, {over['allowed']} allowed, "
          f"{over['blocked']} blocked, overshoot {over['overshoot']} (bound: {over['bound']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=5_000)
    parser.add_argument("--rate", type=int, default=RATE)
    parser.add_argument("--client", choices=sorted(SENDERS), default="lean")
    parser.add_argument("--http", choices=("auto", "h11", "httptools"), default="auto")
    parser.add_argument("--loop", choices=("auto", "asyncio", "uvloop"), default="auto")
    args = parser.parse_args()
    result = measure(args.events, args.requests, args.rate, args.client, args.http, args.loop)
    print_table(result)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
