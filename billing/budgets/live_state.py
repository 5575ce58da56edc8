"""The live budget state: each scope's status held in memory, so the gateway's pre-call check
answers without a database query once warm, plus the spend held by open reservations.

Statuses are built by `store.gateway_status` (one place for the calculation). A rating run or
a budget change in this process (`freshness.invalidate`) makes the next check read anew; every
`STALE_AFTER` seconds one small background query fingerprints the running totals and budgets,
so a change made by another process (`billing rate` from the command line) is seen that late.
Usage that has landed but is not rated yet counts through its reservation's settled amount
(`reservations.py`), so concurrent calls see each other before any of them is rated.
"""

from __future__ import annotations

import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, select

from billing.budgets import budget as budgets
from billing.budgets.freshness import generation, invalidate
from billing.budgets.reservations import book_for
from billing.budgets.store import GatewayStatus, gateway_status
from billing.models import BudgetEntry, SpendTotal

STALE_AFTER = 2.0
totals = SpendTotal.__table__
budgets_table = BudgetEntry.__table__

Key = tuple[str, str, str | None, str | None]


@dataclass(slots=True)
class _Held:
    """One scope's rated status as read at `generation`, and its answer once made."""

    generation: int
    status: GatewayStatus
    answer: dict[str, Any] | None = None

    def answered(self) -> dict[str, Any]:
        if self.answer is None:
            self.answer = self.status.to_dict()
        return self.answer


class BudgetState:
    """Statuses of one database, by (team, period, use case, customer)."""

    def __init__(self, engine: Engine, stale_after: float = STALE_AFTER) -> None:
        self.engine = engine
        self.name = engine.url.render_as_string(hide_password=False)
        self.stale_after = stale_after
        self._statuses: dict[Key, _Held] = {}
        self._fingerprint: tuple | None = None
        self._checked_at = time.monotonic()
        self._checking = threading.Lock()
        self._checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="budget-state")

    def status(self, team: str, period: str, *, use_case: str | None = None,
               customer: str | None = None) -> GatewayStatus:
        """The rated status (no holds): from memory; read anew after a change in this
        process, or after the background check finds that another process changed the
        totals or budgets. No request waits for that check."""
        found = self.warm(team, period, use_case=use_case, customer=customer)
        if found is not None:
            return found.status
        seen = generation()  # read before the query: a change during it makes the entry stale
        fresh = gateway_status(self.engine, team, period, use_case=use_case, customer=customer)
        self._statuses[(team, period, use_case, customer)] = _Held(seen, fresh)
        return fresh

    def warm(self, team: str, period: str, *, use_case: str | None = None,
             customer: str | None = None) -> _Held | None:
        """The rated status when memory holds it current; None when it must be read."""
        if time.monotonic() - self._checked_at >= self.stale_after \
                and self._checking.acquire(blocking=False):
            self._checked_at = time.monotonic()
            self._checker.submit(self._check)
        found = self._statuses.get((team, period, use_case, customer))
        if found is not None and found.generation == generation():
            return found
        return None

    def _check(self) -> None:
        """One small query for the whole state, every `stale_after` seconds at most."""
        try:
            with self.engine.connect() as connection:
                now = tuple(connection.execute(select(
                    select(func.count()).select_from(totals).scalar_subquery(),
                    select(func.max(totals.c.updated_at)).scalar_subquery(),
                    select(func.count()).select_from(budgets_table).scalar_subquery(),
                    select(func.max(budgets_table.c.updated_at)).scalar_subquery(),
                )).one())
            if self._fingerprint is not None and now != self._fingerprint:
                invalidate()
            self._fingerprint = now
        finally:
            self._checking.release()


def with_holds(found: GatewayStatus, held: dict[tuple[str, str], Decimal]) -> GatewayStatus:
    """The status with reserved and settled-but-unrated spend added to each budget's spend;
    the decision is `budget.status` over that, the same rule as for rated spend alone."""
    if not held:
        return found
    checks = [budgets.status(check.budget, check.spent + held.get(_scope(check), Decimal(0)))
              for check in found.checks]
    head = found.team_status
    team_held = held.get(("team", found.team), Decimal(0))
    head = budgets.status(head.budget, head.spent + team_held, head.currency) \
        if head.budget else replace(head, spent=head.spent + team_held)
    return GatewayStatus(found.team, found.period, budgets.worst([c.decision for c in checks]),
                         head, checks)


def _scope(check: budgets.Status) -> tuple[str, str]:
    assert check.budget is not None
    return check.budget.scope.kind, check.budget.scope.key


_states: dict[str, BudgetState] = {}
_states_lock = threading.Lock()
_by_engine: weakref.WeakKeyDictionary[Engine, BudgetState] = weakref.WeakKeyDictionary()


def state_for(engine: Engine) -> BudgetState:
    """One state per database per process, shared by the API and in-process checks."""
    found = _by_engine.get(engine)
    if found is not None and _states.get(found.name) is found:
        return found
    name = engine.url.render_as_string(hide_password=False)
    with _states_lock:
        if name not in _states:
            _states[name] = BudgetState(engine)
        _by_engine[engine] = _states[name]
        return _states[name]


def check(engine: Engine, team: str, period: str, *, use_case: str | None = None,
          customer: str | None = None) -> dict[str, Any]:
    """The in-process pre-call check for Python gateways: what `GET /v1/budgets/{team}/status`
    answers, from memory (microseconds once warm)."""
    state = state_for(engine)
    found = state.status(team, period, use_case=use_case, customer=customer)
    return with_holds(found, book_for(engine).held(period)).to_dict()


def check_warm(engine: Engine, team: str, period: str, *, use_case: str | None = None,
               customer: str | None = None) -> dict[str, Any] | None:
    """`check` when memory can answer it; None when the status must be read from the database
    first, which a caller on the event loop leaves to a thread (`check`). With no holds the
    answer is the one made when the status was read, shared: serialise it, never change it."""
    found = state_for(engine).warm(team, period, use_case=use_case, customer=customer)
    if found is None:
        return None
    held = book_for(engine).held(period)
    return with_holds(found.status, held).to_dict() if held else found.answered()
