"""Property: any batch ingested twice, in any split or order, gives the same ledger."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from billing.ledger.metering import ingest_lines
from billing.models import UsageEvent
from tests_support import truncate

UTC = ZoneInfo("UTC")
usage = UsageEvent.__table__

events = st.lists(
    st.fixed_dictionaries({
        "event_id": st.sampled_from([f"p-{n}" for n in range(15)]),
        "occurred_at": st.sampled_from(["2026-10-01T00:00:00Z", "2026-10-31T23:59:59-01:00"]),
        "team": st.sampled_from(["a", "b", ""]),
        "model": st.just("gpt-4o-mini"),
        "input_tokens": st.integers(min_value=-1, max_value=10_000),
        "output_tokens": st.integers(min_value=0, max_value=5_000),
    }),
    min_size=1, max_size=30,
)


def _ledger(engine) -> list[tuple]:  # noqa: ANN001
    with engine.connect() as connection:
        return [
            tuple(row) for row in connection.execute(
                select(usage.c.event_id, usage.c.content_hash, usage.c.period)
                .order_by(usage.c.event_id)
            )
        ]


def _ingest_in_pieces(engine, lines: list[str], cuts: list[int]) -> None:  # noqa: ANN001
    bounds = [0, *sorted(c % (len(lines) + 1) for c in cuts), len(lines)]
    for start, end in zip(bounds, bounds[1:], strict=False):
        ingest_lines(engine, lines[start:end], zone=UTC)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=events, cuts=st.lists(st.integers(0, 60), max_size=4), data=st.data())
def test_any_split_or_order_twice_gives_the_same_ledger(engine, batch, cuts, data):
    # deduplicate ids to their first content so the expected ledger is order-independent
    first: dict[str, dict] = {}
    for event in batch:
        first.setdefault(event["event_id"], event)
    lines = [json.dumps(event) for event in first.values()]

    truncate(engine)
    ingest_lines(engine, lines, zone=UTC)
    expected = _ledger(engine)

    truncate(engine)
    shuffled = data.draw(st.permutations(lines))
    _ingest_in_pieces(engine, shuffled, cuts)
    _ingest_in_pieces(engine, list(reversed(shuffled)) + shuffled, cuts)
    assert _ledger(engine) == expected
