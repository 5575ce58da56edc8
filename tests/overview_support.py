"""The finance world the overview and review tests read: the dashboard's three months with
the demo's levers and anomalies, September and October closed, served by uvicorn."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import uvicorn
from dashboard_support import CARDS, seed_dashboard

from billing.api.app import create_app
from billing.api_keys import create_key
from billing.config import Settings
from billing.db import engine_for
from tests_support import POOLS, REGISTRY, publish_policy, publish_pools, truncate


def seed_finance_world(url: str, documents: Path) -> tuple[Settings, dict[str, str]]:
    """Seed an empty (or emptied) migrated database; the settings and a key of each reader."""
    settings = replace(Settings(database_url=url, documents_dir=documents), **CARDS)
    engine = engine_for(url)
    truncate(engine)
    publish_policy(engine, "parties", REGISTRY)
    publish_pools(engine, POOLS)
    seed_dashboard(engine, settings, levers=True)
    keys = {"team": create_key(engine, "team", team="support")[0],
            "finance": create_key(engine, "finance")[0],
            "admin": create_key(engine, "admin")[0]}
    return settings, keys


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(settings: Settings) -> Iterator[str]:
    """The app under uvicorn on a free loopback port; its base address."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
