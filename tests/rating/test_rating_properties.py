"""Rating in any number of runs, over usage arriving in any batches, gives the same totals."""

from __future__ import annotations

import json
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from billing.ledger.metering import ingest_lines
from billing.models import RatedLine
from billing.rating.rate import Cards, rate
from ratecards import load_card, shipped_card_files
from tests_support import truncate

UTC = ZoneInfo("UTC")
CARDS = [load_card(p.read_text(), p.name) for p in shipped_card_files()]
TEAM = Cards([c for c in CARDS if c.card == "internal"], [c for c in CARDS if c.card == "external"])

events = st.lists(st.fixed_dictionaries({
    "team": st.sampled_from(["a", "b", "c"]),
    "customer": st.sampled_from([None, "acme", "globex"]),
    "model": st.sampled_from(["gpt-4o-mini", "claude-sonnet-4", "o3", "gemini-2.5-pro"]),
    "day": st.integers(1, 30),
    "input_tokens": st.integers(0, 2_000_000),
    "output_tokens": st.integers(0, 200_000),
    "requests": st.integers(1, 50),
}), min_size=1, max_size=25)


def _totals(engine) -> dict[tuple, Decimal]:  # noqa: ANN001
    rated = RatedLine.__table__
    totals: dict[tuple, Decimal] = {}
    with engine.connect() as connection:
        for row in connection.execute(select(rated.c.view, rated.c.team, rated.c.customer,
                                             rated.c.amount)):
            key = (row.view, row.team, row.customer)
            totals[key] = totals.get(key, Decimal(0)) + row.amount
    return totals


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=events, cuts=st.lists(st.integers(0, 25), max_size=3))
def test_batches_and_runs_do_not_change_totals(engine, batch, cuts):
    lines = []
    for n, event in enumerate(batch):
        record = {"event_id": f"r{n}", "occurred_at": f"2026-10-{event['day']:02d}T08:00:00Z",
                  "use_case": "u", **{k: v for k, v in event.items() if k != "day"}}
        lines.append(json.dumps({k: v for k, v in record.items() if v is not None}))
    truncate(engine)
    ingest_lines(engine, lines, zone=UTC)
    rate(engine, TEAM, zone=UTC)
    once = _totals(engine)

    truncate(engine)
    bounds = [0, *sorted(c % (len(lines) + 1) for c in cuts), len(lines)]
    for start, end in zip(bounds, bounds[1:], strict=False):
        ingest_lines(engine, lines[start:end], zone=UTC)
        rate(engine, TEAM, zone=UTC)
    assert rate(engine, TEAM, zone=UTC).nothing_to_do
    assert _totals(engine) == once
