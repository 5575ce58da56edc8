"""A period: one billing month, written YYYY-MM, running from midnight on its first day to
midnight on the first day of the next, in the billing time zone.

`Period` is billing's one place that parses a month, steps between months or turns a month
into instants; database columns, API fields and documents keep the text form, converted here.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

# The written form, for FastAPI's `pattern=` (anchored, ASCII digits only) and for `parse`.
PATTERN = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"
# What a period must be, in words: every message about a bad period says this.
WRITTEN_AS = "a month written YYYY-MM, such as 2026-10"
FIRST_YEAR, LAST_YEAR = 1000, 9999
_WRITTEN = re.compile(PATTERN)
_MICROSECOND = timedelta(microseconds=1)


class PeriodError(ValueError):
    """Text that is not a billing month; the message names it and says how to write one."""

    def __init__(self, text: object):
        super().__init__(f"period {text!r} is not {WRITTEN_AS}")
        self.text = text


@dataclass(frozen=True, order=True, slots=True)
class Period:
    """A billing month; ordered by time, hashable, and `str()` gives its YYYY-MM form."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if type(self.year) is not int or not FIRST_YEAR <= self.year <= LAST_YEAR:
            raise ValueError(f"a period's year runs from {FIRST_YEAR} to {LAST_YEAR}, "
                             f"not {self.year!r}")
        if type(self.month) is not int or not 1 <= self.month <= 12:
            raise ValueError(f"a period's month runs from 1 to 12, not {self.month!r}")

    @classmethod
    def parse(cls, text: str) -> Period:
        """`2026-10` -> Period(2026, 10); anything else (`2026-1`, `2026-13`, fullwidth digits,
        a trailing newline) raises PeriodError."""
        if not isinstance(text, str) or not _WRITTEN.fullmatch(text):
            raise PeriodError(text)
        return cls(int(text[:4]), int(text[5:]))

    @classmethod
    def of(cls, moment: datetime, zone: ZoneInfo) -> Period:
        """The period an instant falls in, by its calendar date in `zone`."""
        if moment.utcoffset() is None:
            raise ValueError(f"{moment!r} has no time zone, so its period is unknown")
        return cls.of_day(moment.astimezone(zone).date())

    @classmethod
    def of_day(cls, day: date) -> Period:
        """The period a calendar day (already in the billing time zone) belongs to."""
        return cls(day.year, day.month)

    @classmethod
    def range(cls, first: Period, last: Period) -> list[Period]:
        """Every period from `first` to `last`, both included, oldest first; empty when
        `last` is before `first`."""
        return [first + n for n in range(last - first + 1)]

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def shift(self, months: int) -> Period:
        """The period `months` later (earlier when negative)."""
        index = self.year * 12 + self.month - 1 + months
        return Period(index // 12, index % 12 + 1)

    def next(self) -> Period:
        return self.shift(1)

    def previous(self) -> Period:
        return self.shift(-1)

    def __add__(self, months: int) -> Period:
        if type(months) is not int:
            return NotImplemented
        return self.shift(months)

    def __sub__(self, other: int | Period) -> Period | int:
        """`p - 2` is the period two months earlier; `p - q` is how many months q is before p."""
        if type(other) is int:
            return self.shift(-other)
        if isinstance(other, Period):
            return (self.year - other.year) * 12 + self.month - other.month
        return NotImplemented

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, self.days)

    @property
    def days(self) -> int:
        """Calendar days in the month (28 to 31)."""
        return calendar.monthrange(self.year, self.month)[1]

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The first instant of the month and the first instant of the next (half-open), as
        aware datetimes in `zone`.

        Compare them with any aware datetime; to measure a span, subtract them in UTC, since
        Python subtracts two datetimes of one zone by their wall clocks (a DST month would be
        an hour off).
        """
        return _midnight(self.first_day, zone), _midnight(self.next().first_day, zone)

    def contains(self, moment: datetime, zone: ZoneInfo) -> bool:
        return Period.of(moment, zone) == self

    def elapsed_fraction(self, now: datetime, zone: ZoneInfo) -> Decimal:
        """How much of the month is over at `now`, by elapsed time: 0 before it starts, 1 from
        its end on, exact in between (a DST month is 743 or 745 hours long, not 744)."""
        start, end = (bound.astimezone(UTC) for bound in self.bounds(zone))
        if now <= start:
            return Decimal(0)
        if now >= end:
            return Decimal(1)
        return Decimal((now - start) // _MICROSECOND) / Decimal((end - start) // _MICROSECOND)

    def days_elapsed(self, now: datetime, zone: ZoneInfo) -> int:
        """Whole days of the month over at `now`, by the calendar in `zone`: 0 before and on
        its first day, `days` once it has ended."""
        today = Period.of(now, zone)
        if today < self:
            return 0
        if today > self:
            return self.days
        return now.astimezone(zone).day - 1


def next_open_period(period: str, closed: Collection[str]) -> str:
    """The first period after `period` that is not closed (where its late usage goes)."""
    candidate = Period.parse(period).next()
    while str(candidate) in closed:
        candidate = candidate.next()
    return str(candidate)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of a calendar day in `zone` (where midnight happens twice, the first)."""
    return datetime.combine(day, time(0), tzinfo=zone)
