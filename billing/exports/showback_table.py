"""The showback lines of a period as one flat table, for spreadsheets and notebooks.

Each row is a statement line exactly as the team sees it (rounded once, half-up to the cent):
usage by use case, model, tier and environment, then the team's overhead shares. Summing
`amount` over a team's `usage` and `overhead` rows gives its showback total; `central_overhead`
rows are shown for information and funded centrally, as on the statement.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from billing.close.showback import TOKEN_FIELDS, Showback, showback
from billing.config import Settings
from billing.exports.tables import TableSchema
from billing.models import RatedLine
from billing.policies.in_force import policies_for

rated = RatedLine.__table__
COLUMNS = ("period", "team", "kind", "use_case", "model", "tier", "environment", *TOKEN_FIELDS,
           "provider_cost", "amount", "currency", "card_versions", "overhead_pool",
           "overhead_driver")
SHOWBACK_SCHEMA = TableSchema(COLUMNS, decimals=frozenset({"provider_cost", "amount"}),
                              integers=frozenset(TOKEN_FIELDS))


class NoShowback(LookupError):
    """No team has rated usage in the period (or not the team asked for)."""


def teams_with_usage(engine: Engine, period: str) -> list[str]:
    query = (select(rated.c.team).distinct()
             .where(rated.c.view == "showback", rated.c.period == period,
                    rated.c.team.is_not(None)).order_by(rated.c.team))
    with engine.connect() as connection:
        return list(connection.scalars(query))


def showback_rows(engine: Engine, settings: Settings, period: str,
                  team: str | None = None) -> list[dict[str, Any]]:
    """Every team's showback lines and overhead shares in a period (or one team's)."""
    teams = teams_with_usage(engine, period)
    if team is not None:
        teams = [name for name in teams if name == team]
    if not teams:
        who = f"team {team!r}" if team else "any team"
        raise NoShowback(f"{who} has no rated usage in {period}; run `billing rate`, or check "
                         "the period and team with `billing coverage --period`")
    pools = policies_for(engine, period).pools
    rows: list[dict[str, Any]] = []
    for name in teams:
        rows.extend(_rows(showback(engine, name, period, pools=pools)))
    return rows


def _rows(report: Showback) -> list[dict[str, Any]]:
    base = {"period": report.period, "team": report.team, "currency": report.currency}
    rows = [{**base, "kind": "usage", "use_case": line.use_case, "model": line.model,
             "tier": line.tier, "environment": line.environment,
             **{name: getattr(line, name) for name in TOKEN_FIELDS},
             "provider_cost": line.provider_cost, "amount": line.amount,
             "card_versions": " ".join(line.card_versions)} for line in report.lines]
    rows.extend({**base, "kind": "overhead" if share.treatment == "charged"
                 else "central_overhead", "amount": share.amount,
                 "overhead_pool": share.pool, "overhead_driver": share.driver}
                for share in report.overhead)
    return rows
