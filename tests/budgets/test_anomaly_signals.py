"""Anomalies beyond spend, against weekday-aware baselines.

Six weeks of a use case with a weekly shape (Mondays three times the other days): a Monday
like the Mondays before is normal, though it triples the day before; a Monday with ten times
the usual tokens per request, a cache that stops hitting, or a wave of failed calls is not.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

from billing.budgets.alerts import list_alerts
from billing.budgets.anomaly import check_anomalies, weekday_history
from billing.budgets.anomaly_signals import daily_signals, surges

START = date(2026, 9, 7)  # a Monday
MONDAY = START + timedelta(weeks=6)


def _events(day: date, n: int, *, requests: int = 10, per_request: int = 1000,
            cached_share: float = 0.5, failed: int = 0, refused: int = 0) -> list[str]:
    busy = 3 if day.weekday() == 0 else 1
    lines = []
    for i in range(busy):
        prompt = per_request * requests
        cached = int(prompt * cached_share)
        lines.append(json.dumps({
            "event_id": f"s{n}-{i}", "occurred_at": f"{day.isoformat()}T10:00:00Z",
            "team": "support", "use_case": "copilot", "model": "m-cheap",
            "requests": requests, "input_tokens": prompt - cached, "output_tokens": 100,
            "cached_input_tokens": cached}))
    for i in range(failed):
        lines.append(json.dumps({
            "event_id": f"f{n}-{i}", "occurred_at": f"{day.isoformat()}T11:00:00Z",
            "team": "support", "use_case": "copilot", "model": "m-cheap", "requests": 1,
            "input_tokens": 0, "output_tokens": 0, "call_status": "failed"}))
    for i in range(refused):  # billed calls the provider answered with a refusal or a 429
        lines.append(json.dumps({
            "event_id": f"r{n}-{i}", "occurred_at": f"{day.isoformat()}T12:00:00Z",
            "team": "support", "use_case": "copilot", "model": "m-cheap", "requests": 1,
            "input_tokens": 10, "output_tokens": 0,
            "status": ("refused", "rate_limited", "timeout", "error")[i % 4]}))
    return lines


def _weeks(**monday) -> list[str]:
    lines = []
    for n in range(6 * 7 + 1):
        day = START + timedelta(days=n)
        lines += _events(day, n, **(monday if day == MONDAY else {}))
    return lines


def test_a_monday_is_judged_against_mondays(engine, usage):
    usage(_weeks())
    frame = daily_signals(engine, START, MONDAY)
    assert surges(frame, MONDAY) == []
    spend = {START + timedelta(weeks=n): 3 for n in range(6)}
    assert weekday_history(spend, MONDAY) == [3] * 6
    # spend: a Monday triples a Tuesday; with no floor, only Mondays make it normal
    assert check_anomalies(engine, MONDAY, min_amount=Decimal("0.0001")) == []
    usage(_events(MONDAY, 1000))  # twice a Monday's usage
    assert [a.scope_key for a in check_anomalies(engine, MONDAY, min_amount=Decimal(
        "0.0001"))] == ["support/copilot"]


def test_tokens_per_request_cache_misses_and_failures_each_surge(engine, usage):
    usage(_weeks(per_request=1000, cached_share=0.0, failed=12, requests=10))
    frame = daily_signals(engine, START, MONDAY)
    found = {s.signal: s for s in surges(frame, MONDAY)}
    assert set(found) == {"cache_miss_rate", "error_rate"}
    assert found["cache_miss_rate"].value == 1.0 and found["cache_miss_rate"].median == 0.5
    assert found["cache_miss_rate"].baseline == "same weekday"
    assert round(found["error_rate"].value, 4) == round(12 / 15, 4)
    raised = check_anomalies(engine, MONDAY)
    assert sorted(a.dedupe_key.rsplit(":", 1)[1] for a in raised) == [
        "cache_miss_rate", "error_rate"]
    assert all(a.scope_key == "support/copilot" for a in raised)
    assert "cache-miss rate 100.0%" in " ".join(a.message for a in raised)
    assert check_anomalies(engine, MONDAY) == []  # each raised once
    assert len(list_alerts(engine, kind="anomaly")) == 2


def test_a_jump_in_tokens_per_request_without_a_spend_spike(engine, usage):
    # same tokens a day, a tenth of the requests: context per call ten times as long
    usage(_weeks(requests=1, per_request=10_000))
    found = {s.signal for s in surges(daily_signals(engine, START, MONDAY), MONDAY)}
    assert found == {"tokens_per_request"}


def test_few_failures_never_page(engine, usage):
    usage(_weeks(failed=4))
    assert {s.signal for s in surges(daily_signals(engine, START, MONDAY), MONDAY)} == set()


def test_a_wave_of_refusals_errors_and_429s_surges_like_failed_calls(engine, usage):
    usage(_weeks(refused=12))
    found = {s.signal: s for s in surges(daily_signals(engine, START, MONDAY), MONDAY)}
    assert set(found) == {"error_rate"}
    assert round(found["error_rate"].value, 4) == round(12 / 15, 4)
    raised = check_anomalies(engine, MONDAY)
    assert "failed or refused call rate 80.0%" in " ".join(a.message for a in raised)
