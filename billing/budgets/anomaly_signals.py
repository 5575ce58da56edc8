"""Anomalies beyond spend: a use case's tokens per request, cache misses and failed calls,
each judged against a weekday-aware baseline.

A Monday is compared with the Mondays before it when there are at least three of them in the
last six weeks (traffic has a weekly shape: a quiet Sunday must not make every Monday a
spike), else with the 14 days before it. A day is a surge when it exceeds the baseline's
median by k scaled MADs and by a floor that keeps noise quiet: half again the median tokens
per request, 20 points of cache-miss rate, 5 points of failed calls (and at least 5 failed).
The database aggregates each use case's day; pandas does the time-series work. These are
detection statistics, not money, so they are floats; the alert quotes the day's own figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine, case, func, or_, select

from billing.models import UsageEvent

if TYPE_CHECKING:
    import pandas as pd

usage = UsageEvent.__table__
MAD_SCALE = 1.4826
WEEKS = 6
MIN_SAME_WEEKDAY = 3
WINDOW_DAYS = 14
MIN_HISTORY_DAYS = 7
FAILED_STATUSES = ("error", "timeout", "refused", "rate_limited")  # the event's outcome status
SIGNALS = {  # name: (k, absolute floor above the median, relative floor, what it is)
    "tokens_per_request": (3.0, 0.0, 0.5, "tokens per request"),
    "cache_miss_rate": (3.0, 0.20, 0.0, "cache-miss rate"),
    "error_rate": (3.0, 0.05, 0.0, "failed or refused call rate"),
}


@dataclass(frozen=True)
class Surge:
    team: str
    use_case: str
    day: date
    signal: str
    value: float
    median: float
    threshold: float
    baseline: str  # "same weekday" or "last 14 days"

    def message(self) -> str:
        what = SIGNALS[self.signal][3]
        shown = (f"{self.value:,.0f}" if self.signal == "tokens_per_request"
                 else f"{self.value:.1%}")
        usual = (f"{self.median:,.0f}" if self.signal == "tokens_per_request"
                 else f"{self.median:.1%}")
        return (f"{self.team}/{self.use_case}: {what} {shown} on {self.day.isoformat()}, "
                f"usually {usual} ({self.baseline})")


def daily_signals(engine: Engine, start: date, end: date) -> pd.DataFrame:
    """One row per (team, use case, day) in [start, end] with the usage signals. pandas
    loads here, on the first anomaly check, not when the CLI starts."""
    import pandas as pd

    failed = func.sum(case((or_(usage.c.call_status == "failed",
                                usage.c.status.in_(FAILED_STATUSES)), 1), else_=0))
    query = (select(usage.c.team, usage.c.use_case, usage.c.usage_date.label("day"),
                    func.count().label("events"), failed.label("failed"),
                    func.sum(usage.c.requests).label("requests"),
                    func.sum(usage.c.input_tokens).label("input"),
                    func.sum(usage.c.output_tokens).label("output"),
                    func.sum(usage.c.cached_input_tokens).label("cached"),
                    func.sum(usage.c.cache_write_input_tokens).label("cache_write"))
             .where(usage.c.usage_date >= start, usage.c.usage_date <= end,
                    usage.c.team.is_not(None), usage.c.use_case.is_not(None))
             .group_by(usage.c.team, usage.c.use_case, usage.c.usage_date))
    with engine.connect() as connection:
        frame = pd.DataFrame(connection.execute(query).all(),
                             columns=["team", "use_case", "day", "events", "failed", "requests",
                                      "input", "output", "cached", "cache_write"])
    if frame.empty:
        return frame
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    numbers = ["events", "failed", "requests", "input", "output", "cached", "cache_write"]
    frame[numbers] = frame[numbers].astype("float64")
    tokens = frame["input"] + frame["output"] + frame["cached"] + frame["cache_write"]
    frame["tokens_per_request"] = (tokens / frame["requests"]).where(frame["requests"] > 0)
    read = frame["input"] + frame["cached"]
    frame["cache_miss_rate"] = (frame["input"] / read).where(read > 0)
    frame["error_rate"] = frame["failed"] / frame["events"]
    return frame


def _baseline(history: pd.Series, day: date) -> tuple[pd.Series, str]:
    """`history` indexed by day, strictly before `day`."""
    weeks = [day - timedelta(weeks=n) for n in range(1, WEEKS + 1)]
    same = history[history.index.isin(weeks)].dropna()
    if len(same) >= MIN_SAME_WEEKDAY:
        return same, "same weekday"
    recent = history[history.index >= day - timedelta(days=WINDOW_DAYS)].dropna()
    return recent, "last 14 days"


def surges(frame: pd.DataFrame, day: date) -> list[Surge]:
    """Pure: every signal of every use case that surged on `day`."""
    import pandas as pd

    found: list[Surge] = []
    if frame.empty:
        return found
    for (team, use_case), rows in frame.groupby(["team", "use_case"], sort=True):
        rows = rows.set_index("day").sort_index()
        if day not in rows.index:
            continue
        before = rows[rows.index < day]
        if len(before) < MIN_HISTORY_DAYS:
            continue
        for signal, (k, floor, relative, _) in SIGNALS.items():
            value = rows.at[day, signal]
            if pd.isna(value):
                continue
            history, kind = _baseline(before[signal], day)
            if len(history) < MIN_SAME_WEEKDAY:
                continue
            middle = float(history.median())
            mad = float((history - middle).abs().median())
            threshold = max(middle + k * MAD_SCALE * mad, middle + floor,
                            middle * (1 + relative))
            if signal == "error_rate" and rows.at[day, "failed"] < 5:
                continue
            if float(value) > threshold:
                found.append(Surge(team, use_case, day, signal, float(value), middle,
                                   threshold, kind))
    return found
