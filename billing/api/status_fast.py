"""The fast path of the gateway's budget checks: `GET /v1/budgets/{team}/status` and
`POST /v1/budgets/status` answered before FastAPI's routing and dependency solving.

Once the live state is warm the answer itself costs microseconds; matching the route and
solving its dependencies cost most of the CPU of a request, and at 500 requests/s on one
worker that CPU is what queues. This plain ASGI app sits inside the request log, in front of
the router, and answers the ordinary request only: a remembered key whose role may ask (and,
for a team key, about its own team), names that keep the identifier rule, a period written
YYYY-MM, a status held current in memory. It calls what the routes call (`deps`,
`identifiers`, `live_state`) and sends the same bytes. Anything else (no key or one to look
up, a denial, an odd parameter or body, a status to read from the database) goes on to the
FastAPI route, which says what is wrong as a problem and is what the OpenAPI document shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from billing import identifiers
from billing.api import budgets, deps, gateway
from billing.api.problems import PERIOD
from billing.api_keys import Principal, known_key
from billing.budgets import live_state

Scope = dict[str, Any]
Message = dict[str, Any]
# the routes' own pattern; a value it refuses goes on to the route, which says why
_PERIOD = re.compile(PERIOD)
_QUERY = ("period", "use_case", "customer")
_BATCH_FIELDS = frozenset(("period", "scopes"))
_SCOPE_FIELDS = frozenset(("team", "use_case", "customer"))
_JSON = b"application/json"


@dataclass
class FastPathCounts:
    """How many checks the fast path answered and how many it left to the routes."""

    answered: int = 0
    passed_on: int = 0


class StatusFastPath:
    def __init__(self, app: Any, api: FastAPI, counts: FastPathCounts) -> None:
        self.app = app
        self.api = api
        self.counts = counts
        self._routes: tuple[APIRoute, APIRoute] | None = None
        self._prefix, self._suffix = "", ""

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            status, batch = self._routes or self._find_routes()
            path, method = scope["path"], scope["method"]
            if method == "GET" and path.endswith(self._suffix) \
                    and path.startswith(self._prefix):
                if await self._status(scope, send, status):
                    return
                self.counts.passed_on += 1
            elif method == "POST" and path == batch.path:
                receive = await self._batch(scope, receive, send, batch)
                if receive is None:
                    return
                self.counts.passed_on += 1
        await self.app(scope, receive, send)

    def _find_routes(self) -> tuple[APIRoute, APIRoute]:
        # the routes' own objects, which FastAPI puts in the scope for the request log
        self._routes = (_route_of(budgets.router, budgets.get_status),
                        _route_of(gateway.router, gateway.post_status_batch))
        self._prefix, _, self._suffix = self._routes[0].path.partition("{team}")
        return self._routes

    async def _status(self, scope: Scope, send: Any, route: APIRoute) -> bool:
        path = scope["path"]
        team = path[len(self._prefix):len(path) - len(self._suffix)]
        if len(path) <= len(self._prefix) + len(self._suffix) or "/" in team \
                or not _name(team):
            return False
        query = _query(scope["query_string"])
        principal = self._principal(scope, budgets.STATUS_ROLES)
        if query is None or principal is None or deps.team_hidden(principal, team):
            return False
        customer = query.get("customer")
        if customer is not None and deps.customer_hidden(principal):
            return False
        period = deps.period_or_current(query.get("period"), deps.settings_of(self.api))
        found = live_state.check_warm(self.api.state.engine, team, period,
                                      use_case=query.get("use_case"), customer=customer)
        if found is None:
            return False
        await self._answer(scope, send, route, principal, orjson.dumps(found))
        return True

    async def _batch(self, scope: Scope, receive: Any, send: Any, route: APIRoute) -> Any:
        """None when answered; else the `receive` to go on with (the body read so far, again)."""
        if _header(scope, b"content-type") != _JSON:
            return receive
        principal = self._principal(scope, gateway.BATCH_ROLES)
        if principal is None:
            return receive
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        again = _replay(messages, receive)
        if messages[-1]["type"] != "http.request":
            return again
        asked = _batch_scopes(b"".join(m.get("body", b"") for m in messages))
        if asked is None:
            return again
        period = deps.period_or_current(asked[0], deps.settings_of(self.api))
        answers = []
        for team, use_case, customer in asked[1]:
            found = live_state.check_warm(self.api.state.engine, team, period,
                                          use_case=use_case, customer=customer)
            if found is None:
                return again
            answers.append(found)
        await self._answer(scope, send, route, principal, orjson.dumps(answers))
        return None

    def _principal(self, scope: Scope, allowed: tuple[str, ...]) -> Principal | None:
        """The caller when its key is remembered and its role may ask; None otherwise (the
        route then looks the key up, or refuses it and logs why)."""
        token = deps.bearer_token((_header(scope, b"authorization") or b"").decode("latin-1"))
        if token is None:
            return None
        principal = known_key(self.api.state.engine, token, deps.settings_of(self.api).api_key)
        return principal if principal is not None and deps.role_allows(principal, allowed) \
            else None

    async def _answer(self, scope: Scope, send: Any, route: APIRoute, principal: Principal,
                      body: bytes) -> None:
        # what the request log reads of a request FastAPI routed: the route and the caller
        scope["route"] = route
        scope.setdefault("state", {})["principal"] = principal
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(body)).encode()),
                                (b"content-type", _JSON)]})
        await send({"type": "http.response.body", "body": body})
        self.counts.answered += 1


def install(app: FastAPI) -> None:
    """Put the fast path in front of the router; call it before the request log is added, so
    the log stays outside and records fast answers as it records the others."""
    app.state.status_fast_path = FastPathCounts()
    app.add_middleware(StatusFastPath, api=app, counts=app.state.status_fast_path)


def _route_of(router: APIRouter, endpoint: Any) -> APIRoute:
    return next(route for route in router.routes
                if isinstance(route, APIRoute) and route.endpoint is endpoint)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


def _query(raw: bytes) -> dict[str, str] | None:
    """The status's query parameters when each is well formed and given once; else None."""
    found: dict[str, str] = {}
    if not raw:
        return found
    text = raw.decode("latin-1")
    # parse_qsl as Starlette calls it; without escapes it comes down to splitting
    pairs = parse_qsl(text, keep_blank_values=True) if b"%" in raw or b"+" in raw else \
        [pair.partition("=")[::2] for pair in text.split("&") if pair]
    for name, value in pairs:
        if name in found:
            return None
        found[name] = value
    for name in _QUERY:
        value = found.get(name)
        if value is not None and not (_PERIOD.fullmatch(value) if name == "period"
                                      else _name(value)):
            return None
    return found


def _batch_scopes(body: bytes
                  ) -> tuple[str | None, list[tuple[str, str | None, str | None]]] | None:
    """(period, scopes) of a batch body the route would accept as it is; else None."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(value, dict) or not value.keys() <= _BATCH_FIELDS:
        return None
    period, scopes = value.get("period"), value.get("scopes")
    if period is not None and not (isinstance(period, str) and _PERIOD.fullmatch(period)):
        return None
    if not isinstance(scopes, list) or not 1 <= len(scopes) <= gateway.MAX_SCOPES:
        return None
    asked = []
    for scope in scopes:
        if not isinstance(scope, dict) or not scope.keys() <= _SCOPE_FIELDS:
            return None
        team, use_case, customer = (scope.get(name) for name in ("team", "use_case",
                                                                  "customer"))
        if not _name(team) or not (use_case is None or _name(use_case)) \
                or not (customer is None or _name(customer)):
            return None
        asked.append((team, use_case, customer))
    return period, asked


_NAMES_KEPT = 10_000
_names: set[str] = set()


def _name(value: Any) -> bool:
    """The identifier rule, remembering the names that keep it (a gateway asks about the same
    few teams and use cases again and again)."""
    if not isinstance(value, str):
        return False
    if value in _names:
        return True
    if identifiers.problem(value) is not None:
        return False
    if len(_names) >= _NAMES_KEPT:
        _names.clear()
    _names.add(value)
    return True


def _replay(messages: list[Message], receive: Any) -> Any:
    """A `receive` that gives the messages already read, then reads on."""
    pending = list(messages)

    async def again() -> Message:
        return pending.pop(0) if pending else await receive()

    return again
