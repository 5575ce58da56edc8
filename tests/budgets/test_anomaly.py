"""Anomalies: an injected spike is detected; a normal week is not flagged.

Use case support/copilot spends about 10.00 a day (m-cheap: 1.00 per million tokens) for two
weeks, wobbling by up to 1.20. Median 10.00; absolute deviations sorted 0, 0, 0, 0.2, 0.2, 0.4,
0.4, 0.5, 0.5, 0.6, 1.0, 1.0, 1.2, 1.2, so MAD 0.45: threshold 10.00 + 3 x 1.4826 x 0.45 =
12.00151, but the default minimum rise of 10.00 asks 20.00, and wins. 45.00 on day 15 is a
spike; with a minimum rise of 1.00, 13.00 is one too.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from budget_support import event

from billing.budgets.alerts import list_alerts
from billing.budgets.anomaly import check_anomalies, daily_history, detect

NORMAL = ["10.00", "10.50", "9.50", "11.20", "9.80", "10.00", "8.80",
          "10.40", "9.60", "10.00", "11.00", "9.00", "10.20", "10.60"]


def _day_usage(day: date, amount: str, n: int) -> str:
    tokens = int(Decimal(amount) * 1_000_000)
    return event(f"d{n}", day.isoformat(), input_tokens=tokens, team="support",
                 use_case="copilot")


def test_detect_by_hand():
    history = [Decimal(x) for x in NORMAL]
    finding = detect(history, Decimal("45.00"))
    assert finding.spike and finding.median == Decimal("10.00")
    assert finding.mad == Decimal("0.45")
    assert finding.threshold == Decimal("20.00")   # the minimum rise of 10.00 wins over 12.00
    assert not detect(history, Decimal("19.99")).spike
    tight = detect(history, Decimal("13.00"), min_amount=Decimal("1"))
    assert tight.spike and tight.threshold == Decimal("12.001510")
    assert detect(history[:6], Decimal("45.00")) is None   # too little history to judge


def test_a_normal_week_is_not_flagged(engine, usage):
    start = date(2026, 11, 1)
    usage([_day_usage(start + timedelta(days=n), amount, n) for n, amount in enumerate(NORMAL)])
    for n in range(7, 14):
        assert check_anomalies(engine, start + timedelta(days=n)) == []
    assert list_alerts(engine, kind="anomaly") == []


def test_an_injected_spike_is_detected_once(engine, usage):
    start = date(2026, 10, 25)   # the window spans two periods
    spike_day = start + timedelta(days=14)
    usage([_day_usage(start + timedelta(days=n), amount, n) for n, amount in enumerate(NORMAL)]
          + [_day_usage(spike_day, "45.00", 99)])
    raised = check_anomalies(engine, spike_day)
    assert [a.scope_key for a in raised] == ["support/copilot"]
    assert "45.00" in raised[0].message and raised[0].period == "2026-11"
    assert check_anomalies(engine, spike_day) == []     # alerted once
    assert len(list_alerts(engine, kind="anomaly")) == 1


def test_history_starts_at_the_first_day_with_spend():
    days = {date(2026, 11, 10): Decimal(5), date(2026, 11, 12): Decimal(7)}
    assert daily_history(days, date(2026, 11, 13)) == [Decimal(5), Decimal(0), Decimal(7)]
    assert daily_history({}, date(2026, 11, 13)) == []
