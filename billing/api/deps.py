"""Request dependencies: settings, the database engine, and who is calling with what rights.

Every route names the roles it serves. A team key reading another team's data gets a 404,
exactly as if the data did not exist, so a key never learns what it may not see. Every denial
is logged with the key id, never the key.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from billing.api.names import Name
from billing.api.problems import Problem
from billing.api_keys import Principal, authenticate, known_key
from billing.config import Settings, get_settings
from billing.period import Period

log = logging.getLogger("billing.api.access")
CHALLENGE = {"WWW-Authenticate": "Bearer"}


AppSettings = Annotated[Settings, Depends(get_settings)]
"""The settings a route works with: read once per process; tests override `get_settings`."""


def current_settings(request: Request) -> Settings:
    """The settings for code that runs outside FastAPI's injection (a check called directly
    from a route), honouring the app's override as `Depends(get_settings)` does."""
    return settings_of(request.app)


def settings_of(app: Any) -> Settings:
    """`current_settings` for code that has the app but no request (the status fast path)."""
    return app.dependency_overrides.get(get_settings, get_settings)()


def period_or_current(given: str | None, settings: Settings) -> str:
    """A period parameter's value, or the current period in the billing time zone."""
    return given or str(Period.of(datetime.now(UTC), settings.zone))


def bearer_token(header: str) -> str | None:
    """The key of an `Authorization: Bearer <key>` header; None when there is none."""
    scheme, _, token = header.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def role_allows(principal: Principal, allowed: tuple[str, ...]) -> bool:
    """Admin may do everything; any other key only what its role is named for."""
    return principal.role == "admin" or principal.role in allowed


def team_hidden(principal: Principal, team: str) -> bool:
    """A team key asking about another team: answered as if that team did not exist."""
    return principal.role == "team" and principal.team != team


def customer_hidden(principal: Principal) -> bool:
    """A customer's spend is every team's: not for one team's key to read."""
    return principal.role == "team"


def engine(request: Request) -> Engine:
    return request.app.state.engine


def _deny(request: Request, status: int, reason: str, principal: Principal | None) -> None:
    log.warning("access denied", extra={"event": "access_denied", "status": status,
                                        "path": request.url.path, "reason": reason,
                                        "key_id": principal.key_id if principal else None,
                                        "role": principal.role if principal else None})


def require_key(request: Request) -> Principal:
    """Any valid key: the caller's principal (401 for a missing, wrong, expired or revoked key)."""
    found = getattr(request.state, "principal", None)
    if found is not None:
        return found
    token = bearer_token(request.headers.get("authorization", ""))
    if token is None:
        _deny(request, 401, "no bearer key", None)
        raise Problem(401, "Unauthorized", "send the API key as 'Authorization: Bearer <key>' "
                      "(create one with `billing keys create`)", headers=CHALLENGE)
    app_settings = current_settings(request)
    principal = authenticate(request.app.state.engine, token, app_settings.api_key)
    if principal is None:
        _deny(request, 401, "invalid, expired or revoked key", None)
        raise Problem(401, "Unauthorized", "the API key is not valid (wrong, expired or "
                      "revoked)", headers=CHALLENGE)
    request.state.principal = principal
    return principal


async def authenticated(request: Request) -> Principal:
    """`require_key` as an async dependency: a key already verified is answered from memory on
    the event loop; only a key to look up goes to the thread pool for its query. A sync
    dependency would cost every request a hop to the thread pool and back."""
    found = getattr(request.state, "principal", None)
    if found is not None:
        return found
    token = bearer_token(request.headers.get("authorization", ""))
    if token is not None:
        principal = known_key(request.app.state.engine, token, current_settings(request).api_key)
        if principal is not None:
            request.state.principal = principal
            return principal
    return await run_in_threadpool(require_key, request)


def roles(*allowed: str) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency: the caller's key must have one of `allowed` roles (admin always may)."""

    async def check(request: Request) -> Principal:
        principal = await authenticated(request)
        if not role_allows(principal, allowed):
            _deny(request, 403, f"role {principal.role} not in {allowed}", principal)
            raise Problem(403, "Forbidden", f"a {principal.role} key cannot do this; it needs "
                          f"a key with role {' or '.join(allowed)}")
        return principal

    return check


def readable_team(request: Request, principal: Principal, team: str) -> None:
    """404 unless the caller may read `team` (a team key reads only its own)."""
    if team_hidden(principal, team):
        _deny(request, 404, f"team key of {principal.team} asked for another team", principal)
        raise Problem(404, "Not found", f"nothing found for team {team!r}")


def deny_scope(request: Request, name: str, value: str) -> None:
    """404 for a scope a team key may not read (one spanning other teams' usage)."""
    principal = require_key(request)
    _deny(request, 404, f"team key of {principal.team} asked for {name} scope", principal)
    raise Problem(404, "Not found", f"nothing found for {name} {value!r}", field=name)


async def team_path(team: Name, request: Request) -> None:
    """For routes with a {team} in the path (a name that breaks the identifier rule is a 422
    before it is compared with the key's team)."""
    readable_team(request, await authenticated(request), team)


def team_filter(request: Request, team: str | None) -> str | None:
    """For lists with an optional ?team=: a team key always sees its own team only."""
    principal = require_key(request)
    if principal.role != "team":
        return team
    if team is not None:
        readable_team(request, principal, team)
    return principal.team
