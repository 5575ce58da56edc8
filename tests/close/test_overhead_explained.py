"""Overhead explains itself: pool, driver, the team's quantity of all, its share; in a month
still open a pool is accrued by the days elapsed and says so; the close charges it in full."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from billing.close.lines import accrual, overhead_lines, period_lines
from billing.close.showback import showback
from billing.ledger.metering import ingest_lines
from billing.rating.card_registry import publish_shipped, published_versions
from billing.rating.overhead import TeamDrivers, make_pool
from billing.rating.rate import Cards, rate

ZONE = ZoneInfo("UTC")


def _event(n: int, team: str, model: str, day: int, tokens: int) -> str:
    return json.dumps({"event_id": f"e-{n}", "occurred_at": f"2026-11-{day:02d}T09:00:00Z",
                       "team": team, "use_case": "copilot", "model": model,
                       "input_tokens": tokens, "output_tokens": tokens // 10})


def _rated(engine, lines: list[str]) -> None:  # noqa: ANN001
    publish_shipped(engine)
    ingest_lines(engine, lines, zone=ZONE, source="test")
    rate(engine, Cards(team=published_versions(engine, "internal"),
                       customer=published_versions(engine, "external")), zone=ZONE)


def test_an_open_month_accrues_its_pools_by_days_elapsed_and_says_so(engine):
    _rated(engine, [_event(1, "support", "gpt-4o-mini", 1, 2_000_000),
                    _event(2, "search", "gpt-4o", 2, 1_000_000)])
    pool = make_pool("platform", "7800.00", "USD", "even", "charged")
    day_two = datetime(2026, 11, 2, 15, tzinfo=UTC)
    report = showback(engine, "support", "2026-11", pools=[pool], now=day_two, zone=ZONE)
    share = report.overhead[0]
    assert (share.accrued_days, share.period_days) == (2, 30)
    assert share.pool_amount == Decimal("520.00") and share.amount == Decimal("260.00")
    assert "accrued for 2 of 30 days" in share.explanation()
    body = report.to_dict()
    assert body["overhead_accrued"] is True and body["charged_overhead"] == "260.00"
    after = showback(engine, "support", "2026-11", pools=[pool],
                     now=datetime(2026, 12, 1, tzinfo=UTC), zone=ZONE)
    assert after.overhead[0].amount == Decimal("3900.00") and not after.overhead[0].accrued
    assert after.to_dict()["overhead_accrued"] is False
    assert period_lines(engine, "2026-11", pools=[pool])["support"].charged_overhead == Decimal(
        "3900.00")  # the close passes no clock: pools count in full


def test_a_share_says_how_it_was_derived_and_when_it_counts_unpriced_usage(engine):
    _rated(engine, [_event(1, "support", "gpt-4o-mini", 3, 3_000_000),
                    _event(2, "search", "gpt-4o-mini", 3, 1_000_000),
                    _event(3, "search", "llama-local-unpriced", 3, 1_000_000)])
    pools = [make_pool("gpu", "100.00", "USD", "tokens", "charged"),
             make_pool("obs", "10.00", "USD", "spend", "charged")]
    lines = period_lines(engine, "2026-11", pools=pools)
    search = {share.pool: share for share in lines["search"].overhead}
    support = {share.pool: share for share in lines["support"].overhead}
    assert search["gpu"].team_quantity == 2_200_000 and search["gpu"].all_quantity == 5_500_000
    assert search["gpu"].amount == Decimal("40.00") and search["gpu"].counts_unpriced
    assert "counts unpriced usage" in search["gpu"].explanation()
    assert not support["gpu"].counts_unpriced
    assert "gpu 100.00 USD, split by tokens: 3,300,000 of 5,500,000 tokens" in (
        support["gpu"].explanation())
    assert support["gpu"].share == Decimal("0.6")
    assert not search["obs"].counts_unpriced  # unpriced usage adds no spend
    assert sum(s.amount for t in lines.values() for s in t.overhead) == Decimal("110.00")


def test_accrual_is_pure_and_bounded_by_the_month():
    assert accrual("2026-11", None, ZONE) is None
    assert accrual("2026-11", datetime(2026, 10, 31, tzinfo=UTC), ZONE) == (0, 30)
    assert accrual("2026-11", datetime(2026, 11, 30, 23, tzinfo=UTC), ZONE) == (30, 30)
    assert accrual("2026-11", datetime(2026, 12, 1, tzinfo=UTC), ZONE) is None
    berlin = ZoneInfo("Europe/Berlin")
    assert accrual("2026-12", datetime(2026, 11, 30, 23, 30, tzinfo=UTC), berlin) == (1, 31)
    shares = overhead_lines([make_pool("p", "31.00", "USD", "even", "charged")],
                            {"a": TeamDrivers(Decimal(0), 0, 0)}, "2026-12", "USD",
                            accrued=(1, 31))
    assert shares["a"][0].amount == Decimal("1.00")
