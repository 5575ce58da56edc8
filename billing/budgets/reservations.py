"""Reservations: budget held for calls in flight, so concurrent calls cannot all pass a hard cap
that each alone would fit under.

A gateway reserves a call's estimated cost before it runs, then settles it with the actual
cost or releases it. A settled amount stays held until a rating run that started after it
finishes (by then its usage is in the running totals, if it was ingested); an open
reservation expires after its TTL, so a gateway that crashed holds nothing for long.
Held in this process's memory: run the engine as one process (one uvicorn worker) for the
guarantee to hold across gateways.
"""

from __future__ import annotations

import threading
import time
import uuid
import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Engine

DEFAULT_TTL = 120.0
MAX_TTL = 3600.0
Scopes = tuple[tuple[str, str], ...]


@dataclass
class Hold:
    """One call's hold: the same amount (per scope, in that scope's currency) on each scope."""

    id: str
    period: str
    amounts: dict[tuple[str, str], Decimal]
    expires: float
    settled_at: float | None = None
    team: str = ""
    model: str = ""


@dataclass
class Book:
    """Every open hold of one database, under one lock: a check-and-hold is atomic."""

    holds: dict[str, Hold] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _expire(self, now: float) -> None:
        for key in [k for k, h in self.holds.items() if h.settled_at is None and h.expires <= now]:
            del self.holds[key]

    def held(self, period: str) -> dict[tuple[str, str], Decimal]:
        """Per scope (kind, key): the spend held in `period` beyond the rated totals."""
        if not self.holds:  # the gateway's common case, asked on every status check
            return {}
        with self.lock:
            return self.held_locked(period)

    def held_locked(self, period: str) -> dict[tuple[str, str], Decimal]:
        """`held` for a caller that holds `lock` (a check-and-hold)."""
        self._expire(time.monotonic())
        totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for hold in self.holds.values():
            if hold.period == period:
                for scope, amount in hold.amounts.items():
                    totals[scope] += amount
        return dict(totals)

    def add(self, period: str, amounts: dict[tuple[str, str], Decimal], ttl: float,
            team: str = "", model: str = "") -> Hold:
        """Call with `lock` held, after the check that decided the hold fits."""
        hold = Hold(uuid.uuid4().hex, period, amounts, time.monotonic() + min(ttl, MAX_TTL),
                    team=team, model=model)
        self.holds[hold.id] = hold
        return hold

    def get(self, hold_id: str) -> Hold | None:
        with self.lock:
            self._expire(time.monotonic())
            return self.holds.get(hold_id)

    def settle(self, hold_id: str, amounts: dict[tuple[str, str], Decimal]) -> Hold | None:
        """Replace the estimate with the actual cost, held until the next rating run ends."""
        with self.lock:
            self._expire(time.monotonic())
            hold = self.holds.get(hold_id)
            if hold is None or hold.settled_at is not None:
                return None
            hold.amounts, hold.settled_at = amounts, time.monotonic()
            return hold

    def release(self, hold_id: str) -> Hold | None:
        with self.lock:
            hold = self.holds.get(hold_id)
            if hold is None or hold.settled_at is not None:
                return None
            return self.holds.pop(hold_id)

    def rated(self, started: float) -> None:
        """A rating run that started at `started` (monotonic) finished: what was settled
        before it is in the running totals now."""
        with self.lock:
            for key in [k for k, h in self.holds.items()
                        if h.settled_at is not None and h.settled_at < started]:
                del self.holds[key]


_books: dict[str, Book] = {}
_books_lock = threading.Lock()
_by_engine: weakref.WeakKeyDictionary[Engine, tuple[str, Book]] = weakref.WeakKeyDictionary()


def book_for(engine: Engine) -> Book:
    """One book per database per process (the name of an engine is remembered: rendering it
    costs more than the budget check it is asked for)."""
    found = _by_engine.get(engine)
    if found is not None and _books.get(found[0]) is found[1]:
        return found[1]
    name = engine.url.render_as_string(hide_password=False)
    with _books_lock:
        if name not in _books:
            _books[name] = Book()
        _by_engine[engine] = (name, _books[name])
        return _books[name]


def rating_finished(engine: Engine, started: float) -> None:
    book_for(engine).rated(started)
