"""What to do about unpriced usage of a period, as things stand when it is read: re-rate the
period while it is open; once it is closed its documents never change, so the advice points at
the next open period, where `billing rate` puts late usage as a prior-period adjustment.

An alert keeps the advice it was raised with; `current` brings it up to date when the period
has been closed since, so nobody is sent to a command that now fails.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from billing.period import next_open_period


def reprice_advice(period: str, closed: Collection[str] = ()) -> str:
    if period not in closed:
        return f"re-rate the period (billing rate --period {period} --rerate)"
    following = next_open_period(period, closed)
    return (f"{period} is closed and its documents never change (its unpriced usage stays "
            f"off them): from {following} on the card prices it; `billing rate` rates late "
            f"usage of {period} into {following} as a prior-period adjustment, and "
            f"`billing rate --period {following} --rerate` re-rates the open {following}")


def current(alert: dict[str, Any], closed: Collection[str]) -> dict[str, Any]:
    """An unpriced alert of a period closed since it was raised, with today's advice."""
    period = alert.get("period")
    if alert.get("kind") != "unpriced" or not period or period not in closed:
        return alert
    stale = reprice_advice(period)
    if stale not in alert["message"]:
        return alert
    return alert | {"message": alert["message"].replace(stale, reprice_advice(period, closed))}
