"""Version lookup: which edition of a card is in force at an instant.

The version with the latest `effective_from` at or before the instant's calendar date in the
billing time zone. Before the first version there is no price at all: a clear error, never 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from ratecards.schema import CardVersion


class NoVersionInForce(LookupError):
    pass


def version_on(versions: Sequence[CardVersion], day: date) -> CardVersion:
    candidates = [v for v in versions if v.effective_from <= day]
    if not candidates:
        names = sorted({v.card for v in versions}) or ["(none)"]
        first = min((v.effective_from for v in versions), default=None)
        since = f"; the first takes effect {first}" if first else ""
        raise NoVersionInForce(
            f"no version of card {', '.join(names)} is in force on {day}{since}; usage before "
            "it cannot be priced (publish a version effective earlier)"
        )
    return max(candidates, key=lambda v: (v.effective_from, v.version))


def version_in_force(versions: Sequence[CardVersion], at: datetime, tz: str = "UTC"
                     ) -> CardVersion:
    if at.tzinfo is None:
        raise ValueError("the instant needs a time zone")
    return version_on(versions, at.astimezone(ZoneInfo(tz)).date())
