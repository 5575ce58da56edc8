"""Reduced groups (Spark) enter the ledger as day buckets set-wise: the statements a chunk
costs do not grow with its rows. One statement per bucket per look-up made a reduced month
of 200,000 events (21,000 groups) take minutes to ingest."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select

from billing.ledger.aggregate_events import ingest_groups
from billing.models import UsageBucket, UsageEvent, UsageRestatement

UTC = ZoneInfo("UTC")


def _groups(days: int, teams: int, tokens: int) -> list[dict]:
    return [{"usage_date": f"2026-10-{day:02d}", "team": f"team-{team}", "use_case": "chat",
             "customer": None, "environment": "production", "provider": "openai",
             "model": "gpt-4o-mini", "tier": None, "service_tier": "standard",
             "call_status": "ok", "prompt_version": None, "tags": None, "project": None,
             "input_tokens": tokens + team, "output_tokens": 5, "cached_input_tokens": 0,
             "cache_write_input_tokens": 0, "requests": 1, "reported_cost_nanos": 0,
             "cache_write_1h_input_tokens": 0, "web_search_requests": 0}
            for day in range(1, days + 1) for team in range(teams)]


def _statements(engine, work) -> int:  # noqa: ANN001
    seen = []

    def count(*_args) -> None:  # noqa: ANN002
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_a_month_of_groups_is_ingested_and_restated_in_a_few_statements(engine):
    groups = _groups(days=30, teams=20, tokens=10)

    first = _statements(engine, lambda: ingest_groups(engine, "2026-10", groups, zone=UTC,
                                                      source="spark"))
    grown = _groups(days=30, teams=20, tokens=11)
    again = _statements(engine, lambda: ingest_groups(engine, "2026-10", grown, zone=UTC,
                                                      source="spark"))

    assert first < 40 and again < 40, (first, again)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(
            UsageBucket.__table__)).scalar_one() == 600
        assert connection.execute(select(func.count()).select_from(
            UsageRestatement.__table__)).scalar_one() == 600
        assert connection.execute(select(func.sum(UsageEvent.__table__.c.input_tokens))
                                  ).scalar_one() == sum(group["input_tokens"] for group in grown)
