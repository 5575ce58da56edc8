"""Migration 0020 turns a populated PostgreSQL ledger into partitions and back (SQLite: no-op)."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import psycopg
import pytest
from sqlalchemy import Engine, text

from alembic import command
from billing.db import alembic_config, engine_for
from billing.ledger.metering import ingest_lines

ADMIN_URL = os.environ.get(
    "BILLING_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
pytestmark = pytest.mark.skipif(os.environ.get("BILLING_SKIP_POSTGRES") == "1",
                                reason="PostgreSQL only")


@pytest.fixture
def fresh() -> Iterator[Engine]:
    name = f"billing_part_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    try:
        yield engine_for(url)
    finally:
        engine_for(url).dispose()
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _to(engine: Engine, revision: str, down: bool = False) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def _rows(engine: Engine) -> list[tuple]:
    with engine.connect() as connection:
        return connection.execute(text(
            "SELECT id, event_id, period, input_tokens, content_hash FROM usage_event "
            "ORDER BY id")).all()


def _kind(engine: Engine) -> str:
    with engine.connect() as connection:
        return connection.execute(text(
            "SELECT relkind FROM pg_class WHERE oid = 'usage_event'::regclass")).scalar_one()


OLD_ROW = ("INSERT INTO usage_event (event_id, occurred_at, period, usage_date, environment, "
           "model, input_tokens, output_tokens, cached_input_tokens, cache_write_input_tokens, "
           "requests, content_hash) VALUES (:id, :at, :period, :day, 'production', "
           "'gpt-4o-mini', :tokens, 1, 0, 0, 1, :hash)")


def test_the_migration_partitions_a_populated_ledger_and_downgrades_it(fresh):
    _to(fresh, "0019_slo")
    with fresh.begin() as connection:
        for number, (at, period) in enumerate([("2026-09-30T10:00:00Z", "2026-09")] * 3
                                              + [("2026-10-01T10:00:00Z", "2026-10")] * 2):
            connection.execute(text(OLD_ROW), {"id": f"old-{number}", "at": at,
                                               "period": period, "day": at[:10],
                                               "tokens": 10 + number, "hash": f"h{number}"})
    before = _rows(fresh)
    assert _kind(fresh) == "r" and len(before) == 5

    _to(fresh, "0020_pgpart")
    assert _kind(fresh) == "p" and _rows(fresh) == before
    with fresh.connect() as connection:
        placed = dict(connection.execute(text(
            "SELECT tableoid::regclass::text, count(*) FROM usage_event GROUP BY 1")).all())
        ids = connection.execute(text("SELECT count(*) FROM usage_event_id")).scalar_one()
    assert placed == {"usage_event_p2026_09": 3, "usage_event_p2026_10": 2} and ids == 5
    # a kept id is still a conflict; new usage gets the next id, in a new period's partition
    event = {"event_id": "old-0", "occurred_at": "2026-11-02T10:00:00Z", "model": "gpt-4o-mini",
             "input_tokens": 1, "output_tokens": 1}
    result = ingest_lines(fresh, [json.dumps(event), json.dumps({**event, "event_id": "new"})],
                          zone=ZoneInfo("UTC"))
    assert (result.accepted, result.rejected) == (1, 1)
    after = _rows(fresh)
    assert after[:5] == before and after[5][0] > before[-1][0] and after[5][2] == "2026-11"

    _to(fresh, "0019_slo", down=True)
    assert _kind(fresh) == "r" and _rows(fresh) == after
    with fresh.connect() as connection:
        with pytest.raises(Exception, match="usage_event_event_id_key"):
            connection.execute(text(OLD_ROW), {"id": "new", "at": "2026-12-01T00:00:00Z",
                                               "period": "2026-12", "day": "2026-12-01",
                                               "tokens": 1, "hash": "x"})
        connection.rollback()
        assert connection.execute(text(
            "SELECT to_regclass('usage_event_id')")).scalar_one() is None
    _to(fresh, "head")
    assert _kind(fresh) == "p" and _rows(fresh) == after
