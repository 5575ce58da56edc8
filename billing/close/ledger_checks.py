"""Checks of the rated ledger: every usage event of a period is rated, in both views, and the
rated amounts are still the ones rating wrote.

Counts (events, requests, tokens) are summed by the database on both sides: the usage table
against the rated lines of each view. Rating keeps running totals per team, use case and
customer in the same transaction as the lines it writes, so a rated line changed afterwards,
by anything but rating, shows as a line total that no longer equals its running total.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, case, func, or_, select

from billing.budgets.spend_totals import deltas
from billing.ledger.archive import ArchiveUnreadable, archived_counts
from billing.ledger.usage_event import BILLED
from billing.models import RatedLine, RatingRun, SpendTotal, UsageEvent

usage = UsageEvent.__table__
rated = RatedLine.__table__
runs = RatingRun.__table__
running = SpendTotal.__table__
TOKENS = ("input_tokens", "output_tokens", "cached_input_tokens", "cache_write_input_tokens")
VIEWS = ("showback", "chargeback")


@dataclass(frozen=True)
class Exact:
    """A team's or customer's rated amount of a period, unrounded."""

    currency: str
    amount: Decimal


@dataclass
class RatedAmounts:
    """The period's priced lines summed exactly: per team (showback) and customer (chargeback),
    and what no document carries (showback without a team, unpriced usage)."""

    teams: dict[str, Exact] = field(default_factory=dict)
    customers: dict[str, Exact] = field(default_factory=dict)
    totals: dict[tuple[str, str, str], list] = field(default_factory=dict)
    unattributed: dict[str, Decimal] = field(default_factory=dict)
    unpriced: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class LedgerCheck:
    checked: str
    breaks: list[tuple[str, str, str]] = field(default_factory=list)  # where, reason, next
    notes: list[str] = field(default_factory=list)


def in_period(period: str) -> Any:
    """Rated lines of usage that happened in `period`, wherever it was rated (late usage of a
    closed month is rated into a later one, marked with the month it adjusts)."""
    return or_(and_(rated.c.period == period, rated.c.adjusts_period.is_(None)),
               rated.c.adjusts_period == period)


def rated_amounts(connection: Connection, period: str) -> RatedAmounts:
    """Exact sums of the rated lines of `period` (as its documents group them: by the period
    they were rated into). The amounts are exact text, so they are added here, not in SQL."""
    names = ("view", "period", "team", "use_case", "customer", "currency", "amount",
             "requests", *TOKENS)
    lines = [dict(row._mapping) for row in connection.execute(
        select(*[rated.c[name] for name in names]).where(rated.c.period == period))]
    result = RatedAmounts(totals={key[1:]: value for key, value in deltas(lines).items()})
    unattributed: dict[str, Decimal] = defaultdict(Decimal)
    unpriced: dict[str, int] = defaultdict(int)
    for line in lines:
        if line["amount"] is None:
            unpriced[line["view"]] += int(line["requests"])
        elif line["view"] == "showback" and not line["team"]:
            unattributed[line["currency"]] += line["amount"]
    for (kind, key, currency), (amount, *_counts) in sorted(result.totals.items()):
        target = {"team": result.teams, "customer": result.customers}.get(kind)
        if target is None:
            continue
        if key in target:  # a document has one currency; the close prices on one card
            result.notes.append(f"{kind} {key} has rated lines in {target[key].currency} and "
                                f"{currency} in {period}; its document shows one currency")
            continue
        target[key] = Exact(currency, amount)
    result.unattributed, result.unpriced = dict(unattributed), dict(unpriced)
    return result


def _usage_counts(connection: Connection, period: str) -> tuple[dict[str, tuple], int]:
    """(events, requests, tokens) of the rated part of the usage ledger, per view, and the
    number of events no rating run has read yet; an archived period's from its Parquet files
    (every event was rated before it was archived)."""
    found = archived_counts(connection, period)
    if found is not None:
        return {"showback": found.showback(), "chargeback": found.chargeback()}, 0
    watermark = connection.execute(select(func.coalesce(func.max(runs.c.to_event_id), 0))
                                   .where(runs.c.kind == "incremental")).scalar_one()
    tokens = sum((usage.c[name] for name in TOKENS[1:]), usage.c[TOKENS[0]])
    read = usage.c.id <= watermark

    billed = usage.c.call_status == BILLED  # a cache hit or failed call: an event, no usage

    def sums(condition):  # noqa: ANN001, ANN202
        return [func.coalesce(func.sum(case((condition, 1), else_=0)), 0),
                *(func.coalesce(func.sum(case((and_(condition, billed), value), else_=0)), 0)
                  for value in (usage.c.requests, tokens))]

    row = connection.execute(select(
        *sums(read), *sums(and_(read, usage.c.customer.is_not(None))),
        *sums(~read)).where(usage.c.period == period)).one()
    values = [int(value) for value in row]
    return {"showback": tuple(values[0:3]), "chargeback": tuple(values[3:6])}, values[6]


def _rated_counts(connection: Connection, period: str) -> dict[str, tuple]:
    tokens = sum((rated.c[name] for name in TOKENS[1:]), rated.c[TOKENS[0]])
    query = (select(rated.c.view, func.sum(rated.c.events), func.sum(rated.c.requests),
                    func.sum(tokens))
             .where(in_period(period)).group_by(rated.c.view))
    return {view: tuple(int(value or 0) for value in values)
            for view, *values in connection.execute(query)}


def _counts(values: tuple) -> str:
    return f"{values[0]:,} events, {values[1]:,} requests, {values[2]:,} tokens"


def check_ledger(connection: Connection, period: str, amounts: RatedAmounts, *,
                 closed: bool, documents: Mapping[tuple[str, str], str] | None = None
                 ) -> LedgerCheck:
    """Link 1: usage events -> rated lines, counted in both views, amounts as rating wrote
    them. `documents` names the stored document of each (kind, subject) of a closed period."""
    try:
        expected, unread = _usage_counts(connection, period)
    except ArchiveUnreadable as exc:
        check = LedgerCheck(f"the archived usage of {period} against its rated lines")
        check.breaks.append(("usage archive", str(exc), "restore the Parquet files to that "
                             "folder (or a copy of them), then reconcile again"))
        return check
    found = _rated_counts(connection, period)
    check = LedgerCheck(f"{_counts(expected['showback'])} of {period} in the showback lines; "
                        f"{expected['chargeback'][0]:,} events with a customer in the "
                        "chargeback lines; rated amounts against rating's running totals")
    closed_note = (f" (usage of the closed {period} is rated into the next open period as a "
                   "prior-period adjustment)") if closed else ""
    if unread:
        check.breaks.append(("usage ledger", f"{unread:,} usage events of {period} are not "
                             "rated yet", "run `billing rate`" + closed_note))
    fix = (f"a rated line of the closed {period} was changed or deleted outside rating: "
           "restore it (documents never change)" if closed else
           f"re-rate the period: `billing rate --period {period} --rerate`")
    for view in VIEWS:
        have = found.get(view, (0, 0, 0))
        if have != expected[view]:
            check.breaks.append((f"{view} lines", f"the usage ledger has {_counts(expected[view])}"
                                 f" of {period} already rated, but the {view} lines count "
                                 f"{_counts(have)}", fix))
    _running_totals(connection, period, amounts, check, fix, documents or {})
    check.notes += amounts.notes
    for currency, amount in sorted(amounts.unattributed.items()):
        check.notes.append(f"{amount} {currency} of rated showback spend has no team and is on "
                           f"no statement (see `billing coverage --period {period}`)")
    for view, requests in sorted(amounts.unpriced.items()):
        check.notes.append(f"{requests:,} requests in the {view} view are unpriced and on no "
                           "document (never priced at 0)")
    return check


def _running_totals(connection: Connection, period: str, amounts: RatedAmounts,
                    check: LedgerCheck, fix: str,
                    documents: Mapping[tuple[str, str], str]) -> None:
    query = select(running).where(running.c.period == period,
                                  running.c.scope_kind.in_(("team", "customer")))
    kept = {(row.scope_kind, row.scope_key, row.currency): (row.amount, int(row.requests),
                                                            int(row.tokens))
            for row in connection.execute(query)}
    lines = {key: (value[0], int(value[1]), int(value[2]))
             for key, value in amounts.totals.items() if key[0] in ("team", "customer")}
    for key in sorted(set(kept) | set(lines)):
        kind, scope, currency = key
        mine, theirs = lines.get(key, (Decimal(0), 0, 0)), kept.get(key, (Decimal(0), 0, 0))
        if mine == theirs:
            continue
        document = documents.get(("statement" if kind == "team" else "invoice", scope))
        feeds = f"; it feeds {document}" if document else ""
        check.breaks.append((
            f"{kind} {scope}",
            f"the rated lines of {kind} {scope} in {period} now sum to {mine[0]} {currency} "
            f"({mine[1]:,} requests, {mine[2]:,} tokens), but the running total rating wrote "
            f"with them is {theirs[0]} {currency} ({theirs[1]:,} requests, {theirs[2]:,} "
            "tokens)" + feeds, fix))
