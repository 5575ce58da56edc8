"""The gateway's pre-call decision with a reservation: allow, warn or block a call by what it may
cost, holding that cost until the call is settled or released.

The estimate is the request's tokens plus `max_tokens` of output, priced by `quote_at` on the
card in force (the team's card for team and use-case budgets, the customer's for a customer
budget). A hard cap blocks when spend plus holds has reached it, or when this call's estimate
would take it past the cap; so the overshoot of a hard cap is bounded by how much calls cost
beyond their estimate (none when the provider honours `max_tokens` and the input count is
exact), plus calls whose reservation expired before they were settled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from billing.budgets import budget as budgets
from billing.budgets.live_state import state_for, with_holds
from billing.budgets.reservations import DEFAULT_TTL, book_for
from billing.config import Settings
from billing.rating.card_registry import UnknownCard
from billing.rating.quote import quote_at
from ratecards.pricing import UnpricedModel
from ratecards.versions import NoVersionInForce


@dataclass(frozen=True)
class Tokens:
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int = 0
    cache_write_input_tokens: int = 0


@dataclass
class Decision:
    """What the gateway is told: the decision, the hold made (none on block) and why."""

    decision: str
    status: dict[str, Any]
    reservation_id: str | None = None
    estimate: dict[str, str] = field(default_factory=dict)
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"decision": self.decision, "reservation_id": self.reservation_id,
                "estimate": self.estimate, "message": self.message, "status": self.status}


def scopes_of(team: str, use_case: str | None, customer: str | None) -> list[tuple[str, str]]:
    scopes = [budgets.Scope.of(team)]
    if use_case:
        scopes.append(budgets.Scope.of(team, use_case))
    if customer:
        scopes.append(budgets.Scope.of(team, customer=customer))
    return [(scope.kind, scope.key) for scope in scopes]


def cost(engine: Engine, settings: Settings, model: str, tokens: Tokens,
         scopes: list[tuple[str, str]]) -> dict[tuple[str, str], Decimal]:
    """Per scope, the price of `tokens` on that scope's card now; a model no card prices
    costs nothing here, as rating adds nothing for it (it raises an `unpriced` alert)."""
    now = datetime.now(UTC)
    prices: dict[str, Decimal] = {}
    for card in {settings.customer_card if kind == "customer" else settings.team_card
                 for kind, _ in scopes}:
        try:
            prices[card] = quote_at(
                engine, card, model, at=now, timezone=settings.timezone,
                input_tokens=tokens.input_tokens, output_tokens=tokens.output_tokens,
                cached_input_tokens=tokens.cached_input_tokens,
                cache_write_input_tokens=tokens.cache_write_input_tokens).price.internal_price
        except (UnpricedModel, UnknownCard, NoVersionInForce):
            prices[card] = Decimal(0)
    return {(kind, key): prices[settings.customer_card if kind == "customer"
                                else settings.team_card] for kind, key in scopes}


def reserve(engine: Engine, settings: Settings, team: str, period: str, *, model: str,
            input_tokens: int, max_tokens: int, use_case: str | None = None,
            customer: str | None = None, ttl: float = DEFAULT_TTL) -> Decision:
    """Decide and, unless blocked, hold the call's estimated cost on each of its scopes."""
    scopes = scopes_of(team, use_case, customer)
    estimate = cost(engine, settings, model, Tokens(input_tokens, max_tokens), scopes)
    found = state_for(engine).status(team, period, use_case=use_case, customer=customer)
    book = book_for(engine)
    with book.lock:
        now = with_holds(found, book.held_locked(period))
        if now.decision == budgets.BLOCK:
            return Decision(budgets.BLOCK, now.to_dict(), message=_reached(now))
        for check in now.checks:
            budget = check.budget
            scope = (budget.scope.kind, budget.scope.key)
            if budget.hard_cap and check.spent + estimate[scope] > budget.amount:
                return Decision(
                    budgets.BLOCK, now.to_dict(), estimate=_plain(estimate),
                    message=f"hard cap of {budget.scope.kind} {budget.scope.key!r}: this call "
                            f"may cost up to {estimate[scope]:f} {budget.currency} and "
                            f"{budget.amount - check.spent:f} remains of {budget.amount:f} in "
                            f"{period}; lower max_tokens or ask finance to raise the budget")
        hold = book.add(period, estimate, ttl, team=team, model=model)
        after = with_holds(found, book.held_locked(period))
    # this call is allowed; a budget it fills up is a warning, the next call will be blocked
    decision = budgets.ALLOW if after.decision == budgets.ALLOW else budgets.WARN
    return Decision(decision, after.to_dict(), hold.id, _plain(estimate))


def _reached(found: Any) -> str:
    capped = [c for c in found.checks if c.decision == budgets.BLOCK]
    check = capped[0]
    return (f"hard cap reached: {check.budget.scope.kind} {check.budget.scope.key!r} has spent "
            f"{check.spent:f} of {check.budget.amount:f} {check.budget.currency} in "
            f"{found.period}; ask finance to raise the budget")


def _plain(amounts: dict[tuple[str, str], Decimal]) -> dict[str, str]:
    return {f"{kind}:{key}": format(amount, "f") for (kind, key), amount in amounts.items()}


class UnknownReservation(LookupError):
    """The reservation expired, was settled or released, or never existed."""


def settle(engine: Engine, settings: Settings, reservation_id: str,
           tokens: Tokens) -> dict[str, str]:
    """Hold the actual cost instead of the estimate until rating counts the usage."""
    book = book_for(engine)
    hold = book.get(reservation_id)
    if hold is None or hold.settled_at is not None:
        raise UnknownReservation(reservation_id)
    actual = cost(engine, settings, hold.model, tokens, list(hold.amounts))
    if book.settle(reservation_id, actual) is None:
        raise UnknownReservation(reservation_id)
    return _plain(actual)


def release(engine: Engine, reservation_id: str) -> None:
    """The call failed: nothing was spent, nothing stays held."""
    if book_for(engine).release(reservation_id) is None:
        raise UnknownReservation(reservation_id)
