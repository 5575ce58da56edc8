"""FX rates: what one unit of a currency is worth in another for one period, as recorded.

Money never mixes currencies (`billing.money`). Where a period needs money of another currency
than the card's (an overhead pool billed in EUR, shown to teams in USD), finance records the
rate once for the period, with `billing fx set EUR USD 1.0842 --period 2026-10` or a reviewed
`fx.yaml`, and the document lines convert at it: rounded once, half-up to the target's minor
unit. Only the direct rate converts (a USD->EUR rate is never inverted). A rate of a closed
period never changes: the period's documents were built with it; the close records the rates
it used.

```yaml
rates:
  - {from: EUR, to: USD, rate: "1.0842", period: 2026-10, note: ECB reference rate 31 Oct}
```
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from sqlalchemy import Connection, Engine, insert, select, update

from billing.db import lock_closes, write_transaction
from billing.models import RATE_PRECISION, RATE_SCALE, FxRate, PeriodClose
from billing.money import Money
from billing.period import WRITTEN_AS, Period, PeriodError
from ratecards import is_currency

table = FxRate.__table__
closes = PeriodClose.__table__
EXAMPLE = 'write it as a quoted decimal string such as "1.0842"'


class FxError(ValueError):
    """A rate, currency or period that cannot be recorded; the message names the field."""


class FxRefused(ValueError):
    """A rate change that would alter a closed period's documents."""


def convert(money: Money, rate: Decimal, to_currency: str) -> Money:
    """Pure: `money` in `to_currency` at `rate` (units of `to_currency` per unit of money's
    currency), rounded once, half-up to the target's minor unit (1000 JPY at 0.0066 = 6.60
    USD)."""
    if not isinstance(rate, Decimal) or not rate.is_finite() or rate <= 0:
        raise FxError(f"an FX rate is a positive finite Decimal, got {rate!r}")
    return Money(money.amount * rate, to_currency).rounded()


def check_currency(code: Any, where: str) -> str:
    if not isinstance(code, str) or not is_currency(code):
        raise FxError(f"{where}: {code!r} is not an ISO 4217 currency code this engine knows "
                      "(three capital letters, e.g. USD, EUR, JPY)")
    return code


def check_period(period: Any, where: str) -> str:
    try:
        return str(Period.parse(period))
    except PeriodError:
        raise FxError(f"{where}: {period!r} is not {WRITTEN_AS}") from None


def parse_rate(value: Any, where: str = "rate") -> Decimal:
    """A rate from user input: a decimal string (or a Decimal) that is finite and positive.

    Floats are refused, not rounded: 1.08 in YAML is a binary float, not the rate written.
    """
    if isinstance(value, bool) or not isinstance(value, str | Decimal):
        raise FxError(f"{where}: {value!r} is a {type(value).__name__}; {EXAMPLE}, so the "
                      "rate is exactly what was written")
    try:
        rate = Decimal(value.strip()) if isinstance(value, str) else value
    except InvalidOperation:
        raise FxError(f"{where}: {value!r} is not a decimal number; {EXAMPLE}") from None
    if not rate.is_finite():
        raise FxError(f"{where}: {value!r} is not a finite number; {EXAMPLE}")
    if rate <= 0:
        raise FxError(f"{where}: {value!r} must be greater than zero (units of the target "
                      "currency per unit of the source)")
    places = max(0, -rate.as_tuple().exponent)  # type: ignore[operator]
    if places > RATE_SCALE or rate >= Decimal(10) ** (RATE_PRECISION - RATE_SCALE):
        raise FxError(f"{where}: {value!r} has more than {RATE_SCALE} decimal places or "
                      f"{RATE_PRECISION - RATE_SCALE} whole digits")
    return _plain(rate)


def _plain(rate: Decimal) -> Decimal:
    """1.08420 -> 1.0842 and 100.0 -> 100: the same value, written once."""
    return rate.quantize(Decimal(1)) if rate == rate.to_integral_value() else rate.normalize()


@dataclass(frozen=True)
class RateEntry:
    """A rate to record: checked, not yet stored."""

    from_currency: str
    to_currency: str
    period: str
    rate: Decimal
    note: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.from_currency, self.to_currency, self.period)

    def __str__(self) -> str:
        return f"{self.from_currency}->{self.to_currency} {self.period}"


def rate_entry(from_currency: Any, to_currency: Any, rate: Any, period: Any, note: Any = "",
               *, where: str = "") -> RateEntry:
    """A rate from user input, every field checked; `where` prefixes each message."""
    at = f"{where}: " if where else ""
    source = check_currency(from_currency, f"{at}from")
    target = check_currency(to_currency, f"{at}to")
    if source == target:
        raise FxError(f"{at}to: a rate from {source} to itself converts nothing")
    if not isinstance(note, str):
        raise FxError(f"{at}note: write the note as text")
    return RateEntry(source, target, check_period(period, f"{at}period"),
                     parse_rate(rate, f"{at}rate"), note)


@dataclass(frozen=True)
class RecordedRate:
    from_currency: str
    to_currency: str
    period: str
    rate: Decimal
    set_by: str
    set_at: datetime
    note: str

    def to_dict(self) -> dict[str, Any]:
        return {"from": self.from_currency, "to": self.to_currency, "period": self.period,
                "rate": format(self.rate, "f"), "set_by": self.set_by,
                "set_at": self.set_at.isoformat(), "note": self.note}


@dataclass(frozen=True)
class SetResult:
    """What recording one rate did: `set` (new), `changed` (an open period's rate replaced,
    `previous` says from what) or `unchanged` (the same rate again: nothing to do)."""

    status: str
    entry: RateEntry
    previous: Decimal | None = None

    @property
    def message(self) -> str:
        rate = f"1 {self.entry.from_currency} = {self.entry.rate} {self.entry.to_currency}"
        if self.status == "unchanged":
            return f"{rate} for {self.entry.period} is already recorded; nothing to do"
        if self.status == "changed":
            return f"{rate} for {self.entry.period} recorded (was {self.previous})"
        return f"{rate} for {self.entry.period} recorded"

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "from": self.entry.from_currency,
                "to": self.entry.to_currency, "period": self.entry.period,
                "rate": format(self.entry.rate, "f"),
                "previous": None if self.previous is None else format(self.previous, "f"),
                "message": self.message}


def set_rate(engine: Engine, from_currency: str, to_currency: str, rate: str | Decimal, *,
             period: str, set_by: str | None = None, note: str = "",
             now: datetime | None = None) -> SetResult:
    """Record one rate (checked as user input); see `set_rates`."""
    entry = rate_entry(from_currency, to_currency, rate, period, note)
    return set_rates(engine, [entry], set_by=set_by, now=now)[0]


def set_rates(engine: Engine, entries: Iterable[RateEntry], *, set_by: str | None = None,
              now: datetime | None = None) -> list[SetResult]:
    """Record rates in one transaction: all of them, or (when one is refused) none.

    The same rate again is `unchanged`. A different rate for an open period replaces the old
    one; for a closed period it is refused, since that period's documents are final.
    """
    entries = list(entries)
    now = now or datetime.now(UTC)
    who = set_by or _who()
    results = []
    with write_transaction(engine) as connection:
        lock_closes(connection)  # a close in progress finishes first, with the rate it read
        closed = set(connection.execute(select(closes.c.period).where(
            closes.c.period.in_({entry.period for entry in entries}))).scalars())
        for entry in entries:
            row = connection.execute(select(table.c.id, table.c.rate).where(
                table.c.from_currency == entry.from_currency,
                table.c.to_currency == entry.to_currency,
                table.c.period == entry.period)).first()
            if row is not None and row.rate == entry.rate:
                results.append(SetResult("unchanged", entry, row.rate))
                continue
            if entry.period in closed:
                was = f"at {row.rate}" if row is not None else "without one"
                raise FxRefused(
                    f"{entry.period} is closed and its documents were built {was}; the rate "
                    f"{entry.from_currency}->{entry.to_currency} of a closed period never "
                    "changes. Record the rate for an open period instead")
            values = {"rate": entry.rate, "set_by": who, "set_at": now, "note": entry.note}
            if row is None:
                connection.execute(insert(table).values(
                    from_currency=entry.from_currency, to_currency=entry.to_currency,
                    period=entry.period, **values))
                results.append(SetResult("set", entry))
            else:
                connection.execute(update(table).where(table.c.id == row.id).values(**values))
                results.append(SetResult("changed", entry, row.rate))
    return results


def rates_for(connection: Connection, period: str) -> dict[tuple[str, str], Decimal]:
    """The period's rates, (from, to) -> rate: one query."""
    query = select(table.c.from_currency, table.c.to_currency, table.c.rate).where(
        table.c.period == period)
    return {(source, target): rate for source, target, rate in connection.execute(query)}


def list_rates(engine: Engine | Connection, period: str | None = None) -> list[RecordedRate]:
    """Recorded rates (of one period, or all), by period, then currencies."""
    if isinstance(engine, Engine):
        with engine.connect() as connection:
            return list_rates(connection, period)
    query = select(table.c.from_currency, table.c.to_currency, table.c.period, table.c.rate,
                   table.c.set_by, table.c.set_at, table.c.note).order_by(
        table.c.period, table.c.from_currency, table.c.to_currency)
    if period is not None:
        query = query.where(table.c.period == period)
    return [RecordedRate(*row) for row in engine.execute(query)]


def load_rates(text: str, source: str = "fx rates") -> list[RateEntry]:
    """The rates of an fx.yaml, all checked; each problem names the file, entry and field."""
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise FxError(f"{source}: not valid YAML: {exc}") from None
    items = document.get("rates") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise FxError(f"{source}: expected a top-level 'rates:' list of "
                      "{from, to, rate, period} entries")
    entries: list[RateEntry] = []
    seen: dict[tuple[str, str, str], int] = {}
    for n, item in enumerate(items, start=1):
        where = f"{source}: rate {n}"
        if not isinstance(item, dict):
            raise FxError(f"{where}: expected a mapping with from, to, rate and period")
        unknown = sorted(set(map(str, item)) - {"from", "to", "rate", "period", "note"})
        if unknown:
            raise FxError(f"{where}: unknown field {unknown[0]!r}; the fields are from, to, "
                          "rate, period and note")
        for name in ("from", "to", "rate", "period"):
            if name not in item:
                raise FxError(f"{where}: {name}: missing")
        entry = rate_entry(item["from"], item["to"], item["rate"], item["period"],
                           item.get("note", ""), where=where)
        if entry.key in seen:
            raise FxError(f"{where}: {entry} is already given by rate {seen[entry.key]}; "
                          "give each currency pair one rate per period")
        seen[entry.key] = n
        entries.append(entry)
    return entries


def _who() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001  (no login name in some containers)
        return "unknown"
