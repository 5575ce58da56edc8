"""Periods: one billing month, parsed one way, stepped one way, bounded by midnights in the
billing time zone, also in months where the clocks change."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import StringConstraints, TypeAdapter, ValidationError

from billing.period import PATTERN, WRITTEN_AS, Period, PeriodError

BERLIN = ZoneInfo("Europe/Berlin")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")  # skipped 31 December 1994 (-10:00 to +14:00)
HAVANA = ZoneInfo("America/Havana")  # clocks go back at 01:00 to 00:00: midnight happens twice
ZONES = [ZoneInfo("UTC"), BERLIN, LOS_ANGELES, KIRITIMATI, HAVANA, ZoneInfo("Asia/Kolkata"),
         ZoneInfo("Australia/Lord_Howe"), ZoneInfo("America/Santiago")]
MICROSECOND = timedelta(microseconds=1)
BAD = ["2026-13", "2026-00", "2026-1", "26-01", "202610", "2026/10", "2026-10-01", "October",
       "２０２６-１０", "２０２６-10", "2026-1０", "2026-10\n", " 2026-10", "2026-10 ", "0000-01",
       "0999-12", "+2026-10", "", "٢٠٢٦-١٠"]

periods = st.builds(Period, st.integers(1001, 9998), st.integers(1, 12))
# bounds need the next month's midnight; tz data is exact over these years (and reaches 1994)
recent = st.builds(Period, st.integers(1890, 2200), st.integers(1, 12))
zones = st.sampled_from(ZONES)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


# ---- examples -------------------------------------------------------------------------------

def test_written_and_read_as_yyyy_mm():
    assert str(Period(2026, 1)) == "2026-01"
    assert Period.parse("2026-10") == Period(2026, 10)
    assert f"{Period(1999, 12)}" == "1999-12"


def test_steps_cross_the_year():
    assert Period(2026, 1).previous() == Period(2025, 12)
    assert Period(2025, 12).next() == Period(2026, 1)
    assert Period(2026, 10) + 3 == Period(2027, 1) == Period(2026, 10).shift(3)
    assert Period(2026, 10) - 10 == Period(2025, 12)
    assert Period(2027, 1) - Period(2026, 10) == 3
    assert [str(p) for p in Period.range(Period(2026, 11), Period(2027, 2))] == [
        "2026-11", "2026-12", "2027-01", "2027-02"]
    assert Period.range(Period(2026, 11), Period(2026, 10)) == []


def test_ordered_and_hashable():
    assert Period(2025, 12) < Period(2026, 1) < Period(2026, 2)
    assert max(Period(2026, 2), Period(2025, 11)) == Period(2026, 2)
    assert len({Period(2026, 10), Period.parse("2026-10"), Period(2026, 11)}) == 2


def test_days_and_first_and_last_day():
    assert [Period(y, 2).days for y in (2024, 2026, 2000, 2100)] == [29, 28, 29, 28]
    assert Period(2026, 10).first_day == date(2026, 10, 1)
    assert Period(2026, 11).last_day == date(2026, 11, 30)


def test_bad_periods_say_how_to_write_one():
    with pytest.raises(PeriodError) as raised:
        Period.parse("2026-13")
    assert str(raised.value) == "period '2026-13' is not a month written YYYY-MM, such as 2026-10"
    assert isinstance(raised.value, ValueError) and raised.value.text == "2026-13"
    with pytest.raises(PeriodError, match="period None is not"):
        Period.parse(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", BAD)
def test_only_yyyy_mm_in_ascii_digits_is_a_period(text):
    with pytest.raises(PeriodError, match=re.escape(WRITTEN_AS)):
        Period.parse(text)


@pytest.mark.parametrize("text", BAD)
def test_the_api_pattern_rejects_what_parse_rejects(text):
    """FastAPI checks `pattern=` with pydantic's regex engine, not Python's `re`."""
    with pytest.raises(ValidationError):
        TypeAdapter(Annotated[str, StringConstraints(pattern=PATTERN)]).validate_python(text)


def test_a_period_is_a_real_month():
    for year, month in ((2026, 13), (2026, 0), (999, 1), (10_000, 1), ("2026", 1)):
        with pytest.raises(ValueError):
            Period(year, month)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Period(2026, 10) + 1.5  # type: ignore[operator]


def test_bounds_are_local_midnights_and_a_dst_month_is_an_hour_off():
    start, end = Period(2026, 10).bounds(BERLIN)
    assert (start.isoformat(), end.isoformat()) == (
        "2026-10-01T00:00:00+02:00", "2026-11-01T00:00:00+01:00")
    assert _utc(end) - _utc(start) == timedelta(days=31, hours=1)
    start, end = Period(2026, 3).bounds(BERLIN)
    assert _utc(end) - _utc(start) == timedelta(days=30, hours=23)
    start, end = Period(2026, 11).bounds(LOS_ANGELES)
    assert (_utc(start), _utc(end)) == (datetime(2026, 11, 1, 7, tzinfo=UTC),
                                        datetime(2026, 12, 1, 8, tzinfo=UTC))


def test_a_month_that_lost_a_day_and_a_midnight_that_happens_twice():
    start, end = Period(1994, 12).bounds(KIRITIMATI)
    assert _utc(end) - _utc(start) == timedelta(days=30)
    assert Period.of(_utc(end) - MICROSECOND, KIRITIMATI) == Period(1994, 12)
    start, _ = Period(2026, 11).bounds(HAVANA)  # 00:00-01:00 on 1 November happens twice
    assert _utc(start) == datetime(2026, 11, 1, 4, tzinfo=UTC)  # the first time
    assert Period.of(_utc(start) - MICROSECOND, HAVANA) == Period(2026, 10)


def test_the_period_of_an_instant_is_by_the_billing_calendar():
    late = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
    assert Period.of(late, UTC) == Period(2026, 10)
    assert Period.of(late, BERLIN) == Period(2026, 11)
    assert Period.of(late, LOS_ANGELES) == Period(2026, 10)
    assert Period(2026, 11).contains(late, BERLIN) and not Period(2026, 10).contains(late, BERLIN)
    assert Period.of_day(date(2026, 2, 28)) == Period(2026, 2)
    with pytest.raises(ValueError, match="no time zone"):
        Period.of(datetime(2026, 10, 5), UTC)


def test_elapsed_fraction_and_days_elapsed():
    october = Period(2026, 10)
    assert october.elapsed_fraction(datetime(2026, 9, 30, tzinfo=UTC), UTC) == 0
    assert october.elapsed_fraction(datetime(2026, 10, 16, 12, tzinfo=UTC), UTC) == Decimal(1) / 2
    assert october.elapsed_fraction(datetime(2026, 11, 1, tzinfo=UTC), UTC) == 1
    # in Berlin October has 745 hours; 372.5 of them are over at 10:30 UTC on the 16th
    halfway = datetime(2026, 10, 16, 10, 30, tzinfo=UTC)
    assert october.elapsed_fraction(halfway, BERLIN) == Decimal(1) / 2
    assert october.days_elapsed(datetime(2026, 9, 30, 23, tzinfo=UTC), UTC) == 0
    assert october.days_elapsed(datetime(2026, 10, 1, 23, tzinfo=UTC), UTC) == 0
    assert october.days_elapsed(datetime(2026, 10, 1, 23, tzinfo=UTC), BERLIN) == 1
    assert october.days_elapsed(datetime(2026, 10, 16, 12, tzinfo=UTC), UTC) == 15
    assert october.days_elapsed(datetime(2027, 1, 1, tzinfo=UTC), UTC) == 31


# ---- properties -----------------------------------------------------------------------------

@given(periods)
def test_parse_reads_what_str_writes(period):
    text = str(period)
    assert len(text) == 7 and re.search(PATTERN, text)
    assert Period.parse(text) == period


@given(st.text(max_size=10))
def test_parse_accepts_only_the_written_form(text):
    try:
        period = Period.parse(text)
    except PeriodError as exc:
        assert WRITTEN_AS in str(exc)
    else:
        assert str(period) == text


@given(periods)
def test_next_and_previous_are_inverse(period):
    assert period.next().previous() == period == period.previous().next()
    assert period.previous() < period < period.next()


@given(periods, st.integers(-800, 800))
def test_shifting_is_arithmetic(period, months):
    try:
        moved = period + months
    except ValueError:  # beyond 1000-01 .. 9999-12
        return
    assert moved - months == period and moved - period == months
    assert (moved > period) == (months > 0)


@given(periods, periods)
def test_order_is_time_and_the_same_as_the_text(a, b):
    assert (a < b) == ((a.year, a.month) < (b.year, b.month)) == (str(a) < str(b))


@given(periods, st.integers(-30, 30))
def test_range_is_inclusive_and_consecutive(first, months):
    try:
        last = first + months
    except ValueError:
        return
    months_in = Period.range(first, last)
    assert len(months_in) == max(0, months + 1) == max(0, last - first + 1)
    if months_in:
        assert (months_in[0], months_in[-1]) == (first, last)
    assert all(b == a.next() for a, b in zip(months_in, months_in[1:], strict=False))


@given(recent, zones)
def test_bounds_are_half_open_and_contiguous(period, zone):
    start, end = (_utc(bound) for bound in period.bounds(zone))
    assert start < end
    assert timedelta(days=period.days - 1) <= end - start <= timedelta(days=period.days + 1)
    assert _utc(period.next().bounds(zone)[0]) == end
    assert _utc(period.previous().bounds(zone)[1]) == start
    assert Period.of(start, zone) == period
    assert Period.of(end - MICROSECOND, zone) == period
    assert Period.of(end, zone) == period.next()
    assert Period.of(start - MICROSECOND, zone) == period.previous()
    assert period.bounds(zone)[0].date() == period.first_day


@given(st.datetimes(datetime(1900, 1, 1), datetime(2199, 12, 31), timezones=st.just(UTC)),
       zones)
def test_every_instant_falls_in_its_periods_bounds(moment, zone):
    period = Period.of(moment, zone)
    start, end = period.bounds(zone)
    assert start <= moment < end
    assert period.contains(moment, zone)
    assert not period.next().contains(moment, zone)
    assert 0 <= period.elapsed_fraction(moment, zone) < 1
    assert 0 <= period.days_elapsed(moment, zone) < period.days


@given(recent, zones, st.floats(-0.5, 1.5))
def test_elapsed_fraction_is_elapsed_time_over_the_months_length(period, zone, where):
    start, end = (_utc(bound) for bound in period.bounds(zone))
    now = start + (end - start) * where
    fraction = period.elapsed_fraction(now, zone)
    if now <= start:
        assert fraction == 0 and period.days_elapsed(now, zone) == 0
    elif now >= end:
        assert fraction == 1 and period.days_elapsed(now, zone) == period.days
    else:
        assert fraction == Decimal((now - start) // MICROSECOND) / Decimal(
            (end - start) // MICROSECOND)
        assert abs(float(fraction) - where) < 1e-6
