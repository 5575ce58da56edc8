"""Realised savings: once a promoted candidate ships, what the ledger says it did.

A candidate has shipped on the first day the ledger shows its signature for the use case (its
prompt version, its model, or both). The days from then to `until` are compared with as many
days just before: cost per call and spend from the rated lines, pass rate and cost per
accepted outcome from the outcomes. Measured on the use case as a whole, so a saving that
moved cost elsewhere in the use case, or a drop in quality, shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, case, func, select

from billing.budgets.levers.store import LeverStoreError, list_candidates
from billing.exact_sum import money_sum
from billing.models import Outcome, RatedLine, UsageEvent

rated = RatedLine.__table__
usage = UsageEvent.__table__
outcomes = Outcome.__table__
SHOWN = Decimal("0.0001")


@dataclass(frozen=True)
class Window:
    first: date
    last: date
    spend: Decimal
    calls: int
    outcomes: int
    accepted: int

    def to_dict(self) -> dict[str, Any]:
        def per(amount: Decimal, count: int) -> str | None:
            return str((amount / count).quantize(SHOWN, rounding=ROUND_HALF_UP)) if count else None

        return {"from": self.first.isoformat(), "to": self.last.isoformat(),
                "spend": str(self.spend), "calls": self.calls, "outcomes": self.outcomes,
                "accepted": self.accepted,
                "pass_rate": (str((Decimal(self.accepted) / self.outcomes * 100).quantize(
                    Decimal("0.1"), rounding=ROUND_HALF_UP)) if self.outcomes else None),
                "cost_per_call": per(self.spend, self.calls),
                "cost_per_accepted_outcome": per(self.spend, self.accepted)}


def _window(engine: Engine, use_case: str, first: date, last: date, zone: ZoneInfo) -> Window:
    lines = (select(money_sum(rated.c.amount), func.sum(rated.c.requests))
             .where(rated.c.view == "showback", rated.c.use_case == use_case,
                    rated.c.amount.is_not(None), rated.c.usage_date >= first,
                    rated.c.usage_date <= last))
    start = datetime.combine(first, time(), zone)
    end = datetime.combine(last + timedelta(days=1), time(), zone)
    results = (select(func.count(), func.sum(case((outcomes.c.accepted, 1), else_=0)))
               .where(outcomes.c.use_case == use_case, outcomes.c.occurred_at >= start,
                      outcomes.c.occurred_at < end))
    with engine.connect() as connection:
        spend, calls = connection.execute(lines).one()
        count, accepted = connection.execute(results).one()
    return Window(first, last, Decimal(spend or 0), int(calls or 0), int(count or 0),
                  int(accepted or 0))


def shipped_on(engine: Engine, use_case: str, config: dict[str, Any]) -> date | None:
    where = [usage.c.use_case == use_case]
    if config.get("prompt_version"):
        where.append(usage.c.prompt_version == config["prompt_version"])
    if config.get("model"):
        where.append(usage.c.model == config["model"])
    if len(where) == 1:
        raise LeverStoreError("the candidate names neither a model nor a prompt version, so the "
                              "ledger cannot tell when it shipped; propose it with --model or "
                              "--prompt-version")
    with engine.connect() as connection:
        return connection.execute(select(func.min(usage.c.usage_date)).where(*where)).scalar()


def realised(engine: Engine, use_case: str, name: str, *, until: date,
             zone: ZoneInfo) -> dict[str, Any]:
    found = [c for c in list_candidates(engine, use_case) if c["name"] == name]
    if not found:
        raise LeverStoreError(f"no candidate {name!r} for use case {use_case!r}; see "
                              "`billing levers list`")
    candidate = found[0]
    if candidate["decision"] != "promote":
        raise LeverStoreError(f"{name!r} was not promoted by the gate (decision: "
                              f"{candidate['decision'] or 'none yet'}); run `billing levers gate "
                              f"-u {use_case} --record` first")
    until = min(until, date.max - timedelta(days=1))
    ship = shipped_on(engine, use_case, candidate["config"])
    base = {"use_case": use_case, "candidate": name, "config": candidate["config"],
            "shipped_on": ship.isoformat() if ship else None}
    if ship is None or ship > until:
        return base | {"status": "not shipped yet", "before": None, "after": None,
                       "change": None}
    days = (until - ship).days + 1
    try:
        first_day = ship - timedelta(days=days)
    except OverflowError:  # an `until` far in the future: the window before starts at day one
        first_day = date.min
    before = _window(engine, use_case, first_day, ship - timedelta(days=1), zone)
    after = _window(engine, use_case, ship, until, zone)
    first, second = before.to_dict(), after.to_dict()

    def change(key: str) -> str | None:
        old, new = first[key], second[key]
        if old is None or new is None or Decimal(old) == 0:
            return None
        return str(((Decimal(new) - Decimal(old)) / Decimal(old) * 100).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP))

    return base | {"status": "measured", "before": first, "after": second, "change": {
        "cost_per_call_percent": change("cost_per_call"),
        "cost_per_accepted_outcome_percent": change("cost_per_accepted_outcome"),
        "pass_rate_points": (str(Decimal(second["pass_rate"]) - Decimal(first["pass_rate"]))
                             if first["pass_rate"] and second["pass_rate"] else None)}}
