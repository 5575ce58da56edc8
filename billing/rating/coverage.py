"""Attribution coverage: how much of a period's usage can be traced to a team and a use case.

Unattributed usage is kept and counted, never dropped; this is the number that tells finance
how much of the AI bill can be charged back at all. Everything is aggregated in the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Engine, cast, func, select

from billing.models import RatedLine, UsageEvent

usage = UsageEvent.__table__


def tag_value(dialect: str, key: str):  # noqa: ANN201
    """A tag's value in SQL: tags are a JSON text column, read with each database's JSON."""
    if dialect == "sqlite":
        return func.json_extract(usage.c.tags, f"$.{key}")
    return cast(usage.c.tags, JSON)[key].as_string()


def _tokens():  # noqa: ANN202
    return (
        usage.c.input_tokens
        + usage.c.output_tokens
        + usage.c.cached_input_tokens
        + usage.c.cache_write_input_tokens
    )


@dataclass(frozen=True)
class UsageLine:
    team: str | None
    use_case: str | None
    events: int
    requests: int
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int
    cache_write_input_tokens: int

    @property
    def tokens(self) -> int:
        return (
            self.input_tokens
            + self.output_tokens
            + self.cached_input_tokens
            + self.cache_write_input_tokens
        )


@dataclass(frozen=True)
class Coverage:
    period: str
    events: int
    tokens: int
    requests: int
    team_tokens: int
    team_requests: int
    use_case_tokens: int
    use_case_requests: int
    lines: list[UsageLine] = field(default_factory=list)
    top_unattributed: list[dict[str, Any]] = field(default_factory=list)

    @staticmethod
    def _share(part: int, whole: int) -> Decimal:
        if whole == 0:
            return Decimal("0")
        return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))

    @property
    def team_token_share(self) -> Decimal:
        return self._share(self.team_tokens, self.tokens)

    @property
    def team_request_share(self) -> Decimal:
        return self._share(self.team_requests, self.requests)

    @property
    def use_case_token_share(self) -> Decimal:
        return self._share(self.use_case_tokens, self.tokens)

    @property
    def use_case_request_share(self) -> Decimal:
        return self._share(self.use_case_requests, self.requests)

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "events": self.events,
            "tokens": self.tokens,
            "requests": self.requests,
            "attributed_to_team": {
                "tokens": self.team_tokens,
                "requests": self.team_requests,
                "token_share": str(self.team_token_share),
                "request_share": str(self.team_request_share),
            },
            "attributed_to_team_and_use_case": {
                "tokens": self.use_case_tokens,
                "requests": self.use_case_requests,
                "token_share": str(self.use_case_token_share),
                "request_share": str(self.use_case_request_share),
            },
            "by_team_and_use_case": [
                {
                    "team": line.team,
                    "use_case": line.use_case,
                    "events": line.events,
                    "requests": line.requests,
                    "input_tokens": line.input_tokens,
                    "output_tokens": line.output_tokens,
                    "cached_input_tokens": line.cached_input_tokens,
                    "cache_write_input_tokens": line.cache_write_input_tokens,
                    "tokens": line.tokens,
                }
                for line in self.lines
            ],
            "top_unattributed_sources": self.top_unattributed,
        }


def coverage(engine: Engine, period: str, *, top: int = 10) -> Coverage:
    """Attribution coverage of a period, with usage by team and use case."""
    tokens = _tokens()
    grouped = (
        select(
            usage.c.team,
            usage.c.use_case,
            func.count().label("events"),
            func.sum(usage.c.requests).label("requests"),
            func.sum(usage.c.input_tokens).label("input_tokens"),
            func.sum(usage.c.output_tokens).label("output_tokens"),
            func.sum(usage.c.cached_input_tokens).label("cached_input_tokens"),
            func.sum(usage.c.cache_write_input_tokens).label("cache_write_input_tokens"),
        )
        .where(usage.c.period == period)
        .group_by(usage.c.team, usage.c.use_case)
    )
    project = tag_value(engine.dialect.name, "provider_project").label("provider_project")
    unattributed = (
        select(
            usage.c.provider,
            project,
            usage.c.model,
            func.sum(tokens).label("tokens"),
            func.sum(usage.c.requests).label("requests"),
        )
        .where(usage.c.period == period, usage.c.team.is_(None))
        .group_by(usage.c.provider, project, usage.c.model)
        .order_by(func.sum(tokens).desc(), usage.c.provider, project, usage.c.model)
        .limit(top)
    )
    with engine.connect() as connection:
        rows = connection.execute(grouped).all()
        sources = connection.execute(unattributed).all()
    lines = sorted(
        (
            UsageLine(
                team=row.team,
                use_case=row.use_case,
                events=int(row.events),
                requests=int(row.requests),
                input_tokens=int(row.input_tokens),
                output_tokens=int(row.output_tokens),
                cached_input_tokens=int(row.cached_input_tokens),
                cache_write_input_tokens=int(row.cache_write_input_tokens),
            )
            for row in rows
        ),
        key=lambda line: (line.team is None, line.team or "", -line.tokens, line.use_case or ""),
    )
    attributed = [line for line in lines if line.team is not None]
    with_use_case = [line for line in attributed if line.use_case is not None]
    return Coverage(
        period=period,
        events=sum(line.events for line in lines),
        tokens=sum(line.tokens for line in lines),
        requests=sum(line.requests for line in lines),
        team_tokens=sum(line.tokens for line in attributed),
        team_requests=sum(line.requests for line in attributed),
        use_case_tokens=sum(line.tokens for line in with_use_case),
        use_case_requests=sum(line.requests for line in with_use_case),
        lines=lines,
        top_unattributed=[
            {
                "provider": row.provider,
                "provider_project": row.provider_project,
                "model": row.model,
                "tokens": int(row.tokens),
                "requests": int(row.requests),
            }
            for row in sources
        ],
    )


@dataclass(frozen=True)
class SpendCoverage:
    """Share of rated spend with both a team and a use case, before and after the rules."""

    period: str
    currency: str
    spend: Decimal
    team_before_rules: Decimal
    team_after_rules: Decimal
    unpriced_requests: int

    def share(self, part: Decimal) -> Decimal:
        if self.spend == 0:
            return Decimal("0")
        return (part / self.spend).quantize(Decimal("0.0001"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period, "currency": self.currency, "spend": str(self.spend),
            "attributed_before_rules": str(self.team_before_rules),
            "attributed_after_rules": str(self.team_after_rules),
            "share_before_rules": str(self.share(self.team_before_rules)),
            "share_after_rules": str(self.share(self.team_after_rules)),
            "unpriced_requests": self.unpriced_requests,
        }


def spend_coverage(engine: Engine, period: str, *,
                   team: str | None = None) -> SpendCoverage | None:
    """Spend coverage from the rated ledger (showback view), or None before rating.

    With `team`, that team's own coverage (the share of its spend that names a use case): a
    team key may not see the company's coverage but should see how much of its spend it can
    explain.
    """
    rated = RatedLine.__table__
    query = select(
        rated.c.team, rated.c.use_case, rated.c.attributed_by, rated.c.amount, rated.c.currency,
        rated.c.requests,
    ).where(rated.c.view == "showback", rated.c.period == period)
    if team is not None:
        query = query.where(rated.c.team == team)
    spend = before = after = Decimal(0)
    unpriced = 0
    currency = "USD"
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    if not rows:
        return None
    for row in rows:
        if row.amount is None:
            unpriced += row.requests
            continue
        currency = row.currency or currency
        spend += row.amount
        if row.team is not None and row.use_case is not None:
            after += row.amount
            if row.attributed_by is None:
                before += row.amount
    return SpendCoverage(period, currency, spend, before, after, unpriced)
