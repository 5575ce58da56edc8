"""The close allocates the overhead pools published for its period, and records which
versions of the policies its documents were built with; a closed period keeps them."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from billing.close.period_close import close_period
from billing.demo_data import generate
from billing.ledger.metering import ingest_lines
from billing.models import Document, PeriodClose
from billing.policies.registry import publish
from billing.rating.card_registry import publish_shipped

POOLS = """\
kind: overhead
version: "{year}-{month}"
effective_from: "{year}-{month}"
effective_to: "{year}-{month}"
pools:
  - {{name: published-pool, amount: "{amount}", currency: USD, driver: even, treatment: charged}}
"""


def _close(engine, settings, period):  # noqa: ANN001, ANN202
    year, month = map(int, period.split("-"))
    now = datetime(year, month + 1, 2, tzinfo=UTC)
    return close_period(engine, settings, period, now=now)


def test_the_close_uses_and_records_the_published_version_in_force(engine, close_settings):
    publish_shipped(engine)
    year = random.randrange(3000, 9000)
    october, november = f"{year}-10", f"{year}-11"
    for period in (october, november):
        ingest_lines(engine, generate(period, 300, 3), zone=ZoneInfo("UTC"), source="demo",
                     backfill=True)  # a far-future year keeps the real clock's policies out
    publish(engine, POOLS.format(year=year, month="10", amount="300.00"), "o.yaml")
    settings = close_settings
    closed = _close(engine, settings, october)
    assert closed.status == "closed", closed.message
    assert closed.policies["overhead"] == f"overhead@{year}-10"
    assert closed.policies["parties"] == "parties@test-1"
    with engine.connect() as connection:
        row = connection.execute(select(PeriodClose.__table__).where(
            PeriodClose.__table__.c.period == october)).first()
    assert json.loads(row.policy_versions)["overhead"] == f"overhead@{year}-10"
    assert _close(engine, settings, october).policies == closed.policies  # kept, not re-read
    publish(engine, POOLS.format(year=year, month="11", amount="999.00"), "p.yaml")
    later = _close(engine, settings, november)
    assert later.policies["overhead"] == f"overhead@{year}-11"
    assert _close(engine, settings, october).policies["overhead"] == f"overhead@{year}-10"
    assert _pool_amounts(engine, october) == {"published-pool": Decimal("300.00")}
    assert _pool_amounts(engine, november) == {"published-pool": Decimal("999.00")}


def _pool_amounts(engine, period):  # noqa: ANN001, ANN202
    """What the stored statements of a period allocated per pool, summed over teams."""
    documents = Document.__table__
    with engine.connect() as connection:
        contents = connection.execute(select(documents.c.content).where(
            documents.c.period == period, documents.c.kind == "statement")).scalars().all()
    totals: dict[str, Decimal] = {}
    for content in contents:
        for share in json.loads(content)["overhead"]:
            if share["pool"].startswith("idle capacity:"):
                continue  # not a published pool: the cards' idle capacity (ratecards/capacity.py)
            totals[share["pool"]] = totals.get(share["pool"], Decimal(0)) + Decimal(share["amount"])
    return totals
