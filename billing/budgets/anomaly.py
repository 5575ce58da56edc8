"""Anomalies: a use case's daily spend far above its own recent history (and, through
`anomaly_signals`, its tokens per request, cache misses and failed calls).

The rule is robust to the spikes it looks for: a day is a spike when its spend exceeds the
median of the previous 14 days by more than k scaled median absolute deviations (MAD x 1.4826
estimates a standard deviation; k defaults to 3), and by at least a minimum absolute amount,
so cents of noise on a quiet use case never page anyone. A use case needs 7 days of history
before it is judged. `detect` is pure; `check_anomalies` reads the rated ledger and raises
alerts, one per use case and day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from statistics import median

from sqlalchemy import Engine, select

from billing.budgets.alerts import Alert, dedupe_key, raise_alerts
from billing.budgets.anomaly_signals import Surge, daily_signals, surges
from billing.db import write_transaction
from billing.models import RatedLine
from billing.period import Period

MAD_SCALE = Decimal("1.4826")
DEFAULT_K = Decimal(3)
DEFAULT_MIN_AMOUNT = Decimal("10")
WINDOW_DAYS = 14
MIN_HISTORY_DAYS = 7
SAME_WEEKDAY_WEEKS = 6
rated = RatedLine.__table__


@dataclass(frozen=True)
class Finding:
    amount: Decimal
    median: Decimal
    mad: Decimal
    threshold: Decimal
    spike: bool


def detect(history: list[Decimal], amount: Decimal, *, k: Decimal = DEFAULT_K,
           min_amount: Decimal = DEFAULT_MIN_AMOUNT,
           min_history: int = MIN_HISTORY_DAYS) -> Finding | None:
    """Judge one day's spend against the days before it; None with too little history."""
    if len(history) < min_history:
        return None
    middle = median(history)
    mad = median([abs(value - middle) for value in history])
    threshold = max(middle + k * MAD_SCALE * mad, middle + min_amount)
    return Finding(amount, middle, mad, threshold, amount > threshold)


def daily_history(days: dict[date, Decimal], day: date,
                  window: int = WINDOW_DAYS) -> list[Decimal]:
    """The window's days before `day`, from the first with spend; days without spend are 0."""
    start = day - timedelta(days=window)
    spent_days = [d for d in days if start <= d < day]
    if not spent_days:
        return []
    first = min(spent_days)
    return [days.get(first + timedelta(days=n), Decimal(0)) for n in range((day - first).days)]


def daily_spend(engine: Engine, start: date, end: date) -> dict[tuple[str, str], dict]:
    """(team, use case) -> {day: showback spend}, for days in [start, end]."""
    periods = Period.range(Period.of_day(start), Period.of_day(end))
    query = select(rated.c.team, rated.c.use_case, rated.c.usage_date, rated.c.amount).where(
        rated.c.view == "showback", rated.c.period.in_([str(period) for period in periods]),
        rated.c.usage_date >= start, rated.c.usage_date <= end, rated.c.amount.is_not(None),
        rated.c.team.is_not(None),
    )
    spend: dict[tuple[str, str], dict] = defaultdict(lambda: defaultdict(Decimal))
    with engine.connect() as connection:
        for team, use_case, usage_date, amount in connection.execute(query):
            if isinstance(usage_date, str):
                usage_date = date.fromisoformat(usage_date)
            spend[(team, use_case or "")][usage_date] += amount
    return spend


def check_anomalies(engine: Engine, day: date, *, k: Decimal = DEFAULT_K,
                    min_amount: Decimal = DEFAULT_MIN_AMOUNT) -> list[Alert]:
    """Raise an anomaly alert for each use case whose spend on `day` is a spike.

    Returns the alerts raised for the first time (a second check of the same day adds none).
    """
    found = []
    for (team, use_case), days in sorted(daily_spend(
            engine, day - timedelta(weeks=SAME_WEEKDAY_WEEKS), day).items()):
        amount = days.get(day, Decimal(0))
        same_weekday = weekday_history(days, day)
        finding = (detect(same_weekday, amount, k=k, min_amount=min_amount, min_history=3)
                   if same_weekday else
                   detect(daily_history(days, day), amount, k=k, min_amount=min_amount))
        if finding is None or not finding.spike:
            continue
        who = f"{team}/{use_case or '(unattributed)'}"
        found.append(Alert(
            kind="anomaly", dedupe_key=dedupe_key("anomaly", team, use_case, day.isoformat()),
            severity="warning", period=str(Period.of_day(day)), team=team,
            scope_kind="use_case", scope_key=f"{team}/{use_case}",
            message=(f"{who} spent {amount.quantize(Decimal('0.01'))} on {day.isoformat()}, "
                     f"above its usual {finding.median.quantize(Decimal('0.01'))} a day "
                     f"(threshold {finding.threshold.quantize(Decimal('0.01'))})"),
            details={"day": day.isoformat(), "amount": str(amount),
                     "median": str(finding.median), "mad": str(finding.mad),
                     "threshold": str(finding.threshold), "k": str(k),
                     "min_amount": str(min_amount)},
        ))
    spiked = {(alert.team, alert.scope_key) for alert in found}
    # a spend spike of the same day already pages for a jump in tokens per request
    found.extend(_surge_alert(surge) for surge in surges(daily_signals(
        engine, day - timedelta(weeks=SAME_WEEKDAY_WEEKS), day), day)
        if not (surge.signal == "tokens_per_request"
                and (surge.team, f"{surge.team}/{surge.use_case}") in spiked))
    if not found:
        return []
    with write_transaction(engine) as connection:
        return raise_alerts(connection, found)


def _surge_alert(surge: Surge) -> Alert:
    return Alert(
        kind="anomaly",
        dedupe_key=dedupe_key("anomaly", surge.team, surge.use_case, surge.day.isoformat(),
                              surge.signal),
        severity="warning", period=str(Period.of_day(surge.day)), team=surge.team,
        scope_kind="use_case", scope_key=f"{surge.team}/{surge.use_case}",
        message=surge.message(),
        details={"day": surge.day.isoformat(), "signal": surge.signal,
                 "value": round(surge.value, 6), "median": round(surge.median, 6),
                 "threshold": round(surge.threshold, 6), "baseline": surge.baseline})


def weekday_history(days: dict[date, Decimal], day: date) -> list[Decimal]:
    """The same weekday's spend in the weeks before `day`, when at least three of the last
    six had spend: traffic has a weekly shape, so Mondays are judged against Mondays."""
    found = [days[day - timedelta(weeks=n)] for n in range(1, SAME_WEEKDAY_WEEKS + 1)
             if day - timedelta(weeks=n) in days]
    return found if len(found) >= 3 else []
