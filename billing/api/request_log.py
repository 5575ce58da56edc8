"""The request log as plain ASGI middleware: a request id on every response, one log line and
one metrics observation per request, and a problem response for a defect.

Starlette's `@app.middleware("http")` runs each request through a task group and memory
streams, which cost more CPU than the budget check it wraps; this does the same work around
the app's own `send`."""

from __future__ import annotations

import logging
import time
from typing import Any

from billing.api.problems import problem_response
from billing.metrics import RequestStats

log = logging.getLogger("billing.api.request")
REQUEST_ID = "X-Request-ID"
_REQUEST_ID_HEADER = REQUEST_ID.lower().encode()

Scope = dict[str, Any]


class RequestLog:
    def __init__(self, app: Any, stats: RequestStats, safe_id: Any) -> None:
        self.app = app
        self.stats = stats
        self.safe_id = safe_id

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = ""
        for name, value in scope["headers"]:
            if name == _REQUEST_ID_HEADER:
                sent = value.decode("latin-1")
                break
        request_id = self.safe_id(sent)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def answer(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()),
                                      (_REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, answer)
        except Exception:
            # a defect, never the caller's fault: said as a problem, logged with the request
            # id so an operator can find it, and counted in /metrics
            log.exception("server error", extra={
                "event": "server_error", "request_id": request_id, "method": scope["method"],
                "path": scope["path"]})
            self.stats.server_errors += 1
            response = problem_response(
                500, "Internal server error",
                f"the server failed on this request; quote request id {request_id} to the "
                "operator")
            await response(scope, receive, answer)
        seconds = time.perf_counter() - started
        template = getattr(scope.get("route"), "path", "unmatched")
        self.stats.observe(scope["method"], template, status, seconds)
        if log.isEnabledFor(logging.INFO):
            principal = state.get("principal")
            log.info("request", extra={
                "event": "request", "request_id": request_id, "method": scope["method"],
                "path": scope["path"], "route": template, "status": status,
                "ms": round(seconds * 1000, 2),
                "key_id": principal.key_id if principal else None})
