"""Running spend totals: each team's, use case's and customer's spend in a period, kept current
by rating in the same transaction that writes the rated lines.

The gateway asks "may team T spend?" before every call; summing the ledger each time would
grow with it. Instead rating adds each run's new lines to one row per (period, scope,
currency), so the answer is one indexed read. Team and use-case totals come from showback
lines (the team's card); customer totals from chargeback lines (the customer's card).
Unpriced lines add nothing (they are never priced at 0); they raise an `unpriced` alert.
A re-rate recomputes the period's totals from its rated lines (`rebuild_period`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, update

from billing.budgets import store as budget_store
from billing.budgets.alerts import Alert, dedupe_key, raise_alerts
from billing.budgets.budget import use_case_key
from billing.budgets.unpriced_advice import reprice_advice
from billing.models import RatedLine, SpendTotal

totals = SpendTotal.__table__
rated = RatedLine.__table__
TOKEN_COLUMNS = ("input_tokens", "output_tokens", "cached_input_tokens",
                 "cache_write_input_tokens")
# (period, scope kind, scope key, currency) -> [amount, requests, tokens]
Deltas = dict[tuple[str, str, str, str], list]


def line_scopes(line: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The scopes one rated line counts towards."""
    if line.get("view") == "chargeback":
        return [("customer", line["customer"])] if line.get("customer") else []
    if not line.get("team"):
        return []
    scopes = [("team", line["team"])]
    if line.get("use_case"):
        scopes.append(("use_case", use_case_key(line["team"], line["use_case"])))
    return scopes


def deltas(lines: Iterable[Mapping[str, Any]]) -> Deltas:
    """Pure: what a set of rated lines adds to each running total."""
    result: Deltas = defaultdict(lambda: [Decimal(0), 0, 0])
    for line in lines:
        if line.get("amount") is None or not line.get("currency"):
            continue
        tokens = sum(int(line.get(name) or 0) for name in TOKEN_COLUMNS)
        for kind, key in line_scopes(line):
            entry = result[(line["period"], kind, key, line["currency"])]
            entry[0] += line["amount"]
            entry[1] += int(line.get("requests") or 0)
            entry[2] += tokens
    return dict(result)


def _add(connection: Connection, changes: Deltas, now: datetime) -> None:
    periods = sorted({key[0] for key in changes})
    existing = {
        (row.period, row.scope_kind, row.scope_key, row.currency): row
        for row in connection.execute(select(totals).where(totals.c.period.in_(periods)))
    }
    new_rows, updates = [], []
    for key, (amount, requests, tokens) in changes.items():
        row = existing.get(key)
        if row is None:
            new_rows.append({"period": key[0], "scope_kind": key[1], "scope_key": key[2],
                             "currency": key[3], "amount": amount, "requests": requests,
                             "tokens": tokens, "updated_at": now})
        else:
            updates.append({"row_id": row.id, "new_amount": row.amount + amount,
                            "new_requests": row.requests + requests,
                            "new_tokens": row.tokens + tokens, "now": now})
    if new_rows:
        connection.execute(insert(totals), new_rows)
    if updates:
        connection.execute(
            update(totals).where(totals.c.id == bindparam("row_id")).values(
                amount=bindparam("new_amount"), requests=bindparam("new_requests"),
                tokens=bindparam("new_tokens"), updated_at=bindparam("now")),
            updates,
        )


def unpriced_alerts(lines: Iterable[Mapping[str, Any]]) -> list[Alert]:
    """One alert per period, view, provider and model that no card prices.

    The usage may span teams: the alert names its team only when all of it is one team's
    (so that team's key sees it), and lists the teams in its details.
    """
    grouped: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for line in lines:
        if line.get("unpriced_reason"):
            grouped[dedupe_key("unpriced", line["period"], line["view"],
                               line.get("provider") or "", line["model"])].append(line)
    return [_unpriced_alert(key, group) for key, group in grouped.items()]


def _unpriced_alert(key: str, group: list[Mapping[str, Any]]) -> Alert:
    first = group[0]
    teams = sorted({line.get("team") or "" for line in group})
    requests = sum(int(line.get("requests") or 0) for line in group)
    card = next((line["unpriced_card"] for line in group if line.get("unpriced_card")), None)
    provider = f" (provider {first['provider']})" if first.get("provider") else ""
    fix = (f"Add the model to card {card}" if card
           else f"Add the model to the {first['view']} card")
    return Alert(
        kind="unpriced", dedupe_key=key, severity="warning", period=first["period"],
        team=(teams[0] or None) if len(teams) == 1 else None,
        message=(f"{requests:,} requests of model {first['model']}{provider} in "
                 f"{first['period']} are unpriced in the {first['view']} view: "
                 f"{first['unpriced_reason']}. {fix}, then "
                 f"{reprice_advice(first['period'])}"),
        details={"view": first["view"], "provider": first.get("provider"),
                 "model": first["model"], "reason": first["unpriced_reason"], "card": card,
                 "requests": requests, "teams": [team or None for team in teams]},
    )


def apply_rated_lines(connection: Connection, lines: list[dict[str, Any]],
                      now: datetime | None = None) -> list[Alert]:
    """Add newly rated lines to the running totals, then raise the alerts they cause.

    Call inside rating's transaction, so totals and lines commit (or vanish) together.
    Returns the alerts raised for the first time.
    """
    now = now or datetime.now(UTC)
    changes = deltas(lines)
    if changes:
        _add(connection, changes, now)
    scopes = sorted({(period, kind, key) for period, kind, key, _currency in changes})
    raised = budget_store.evaluate_thresholds(connection, scopes, now=now)
    return raised + raise_alerts(connection, unpriced_alerts(lines), now)


def rebuild_period(connection: Connection, period: str,
                   now: datetime | None = None) -> list[Alert]:
    """Recompute a period's totals from its rated lines (after a re-rate)."""
    connection.execute(delete(totals).where(totals.c.period == period))
    columns = [rated.c[name] for name in (
        "view", "period", "team", "use_case", "customer", "provider", "model", "currency",
        "amount", "requests", "unpriced_reason", *TOKEN_COLUMNS)]
    lines = [dict(row._mapping)
             for row in connection.execute(select(*columns).where(rated.c.period == period))]
    return apply_rated_lines(connection, lines, now)


def scope_total(engine: Engine, period: str, kind: str,
                key: str) -> tuple[str, Decimal, int, int] | None:
    """(currency, amount, requests, tokens) of one scope's running total in a period."""
    with engine.connect() as connection:
        rows = connection.execute(select(totals).where(
            totals.c.period == period, totals.c.scope_kind == kind, totals.c.scope_key == key,
        ).order_by(totals.c.currency)).all()
    if not rows:
        return None
    row = max(rows, key=lambda r: r.amount)  # one currency per card; the largest if several
    return row.currency, row.amount, row.requests, row.tokens
