"""Known teams: a team is known if the registry lists it or the ledger holds its usage.

Budgets, forecasts and outcomes name teams by hand, and a typo there would be accepted
silently (a budget nobody spends against answers "allow" for ever). A team that has not sent
usage yet is budgeted by listing it in the registry first.
"""

from __future__ import annotations

from sqlalchemy import Engine, select

from billing.models import UsageEvent
from billing.parties import Registry

usage = UsageEvent.__table__


class UnknownTeam(LookupError):
    def __init__(self, team: str):
        super().__init__(f"no team named {team!r}: it is not in the registry and has sent no "
                         "usage")
        self.team = team
        self.hint = ("check the spelling (`billing coverage --period YYYY-MM` lists teams "
                     "with usage), or add the team under `teams:` of the parties policy and "
                     "publish it (`billing policy publish FILE`) to budget it before its first "
                     "usage")


def has_usage(engine: Engine, team: str) -> bool:
    with engine.connect() as connection:
        return connection.execute(
            select(usage.c.id).where(usage.c.team == team).limit(1)).first() is not None


def check_team(engine: Engine, registry: Registry, team: str) -> None:
    """Raise UnknownTeam unless the registry lists `team` or the ledger has its usage."""
    if team not in registry.teams and not has_usage(engine, team):
        raise UnknownTeam(team)
