"""Shared fixtures: every database test runs on real SQLite and on real PostgreSQL.

PostgreSQL comes from BILLING_TEST_POSTGRES_URL (an administrative connection, default the
local `test` database); each test session creates its own fresh database there and drops it
at the end. Set BILLING_SKIP_POSTGRES=1 to run on SQLite alone (CI never does).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from sqlalchemy import Engine

from billing.config import Settings, get_settings
from billing.db import engine_for, migrate
from billing.demo_data import generate
from billing.ledger.metering import ingest_lines
from billing.rating.card_registry import publish_shipped
from tests_support import POOLS, REGISTRY, publish_policy, publish_pools, truncate

ADMIN_URL = os.environ.get(
    "BILLING_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
SKIP_POSTGRES = os.environ.get("BILLING_SKIP_POSTGRES") == "1"


def _postgres_database() -> Iterator[str]:
    name = f"billing_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {ADMIN_URL} ({exc}); start it, or set "
            "BILLING_SKIP_POSTGRES=1 to run on SQLite only"
        )
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        engine_for(f"{base}/{name}").dispose()
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


BACKENDS = ["sqlite"] if SKIP_POSTGRES else ["sqlite", "postgresql"]


@pytest.fixture(autouse=True)
def fixed_terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """Command output wraps at the terminal's width: pinned, so a test reads the same lines
    in a narrow terminal, a pipe or a pytest-xdist worker (a test about width sets its own)."""
    monkeypatch.setenv("COLUMNS", "110")


@pytest.fixture(autouse=True)
def empty_working_directory(tmp_path_factory: pytest.TempPathFactory,
                            monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs in a folder of its own with nothing in it: a registry.yaml or
    overhead.yaml left where pytest was started (say by `make demo`) must change nothing, so a
    test that needs a file names it."""
    folder = tmp_path_factory.mktemp("cwd")
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory) -> Iterator[str]:  # noqa: ANN001
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'billing.db'}"
        migrate(url)
        yield url
        engine_for(url).dispose()
    else:
        for url in _postgres_database():
            migrate(url)
            yield url


@pytest.fixture
def engine(database_url: str) -> Engine:
    """A migrated, empty database of each kind."""
    engine = engine_for(database_url)
    truncate(engine)
    return engine


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, documents_dir=tmp_path / "documents",
                    api_key="test-key")


@pytest.fixture
def close_settings(settings: Settings, engine: Engine) -> Settings:
    """Settings of a database with the test parties and overhead pools published."""
    publish_policy(engine, "parties", REGISTRY)
    publish_pools(engine, POOLS)
    return settings


@pytest.fixture(autouse=True)
def _settings_read_per_test() -> Iterator[None]:
    """The process reads its settings once; a test may set the environment, so each test
    starts from a fresh read."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def month(engine, close_settings):  # noqa: ANN001, ANN201
    """A month of demo usage ingested, with a registry and pools, ready to close."""
    publish_shipped(engine)
    ingest_lines(engine, generate("2026-10", 3000, 5), zone=ZoneInfo("UTC"), source="demo")
    return engine


@pytest.fixture
def close_env(close_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """`close_settings` as the environment the command line reads them from."""
    for name, value in (("DATABASE_URL", close_settings.database_url),
                        ("BILLING_DOCUMENTS_DIR", close_settings.documents_dir)):
        monkeypatch.setenv(name, str(value))
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    return close_settings
