"""Operations: a request id on every response, one JSON log line per request, /metrics for
Prometheus and /healthz for a load balancer (database, migrations, scheduler)."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import select

from billing.api import problems
from billing.api.request_log import RequestLog
from billing.db import current_revision, head_revision
from billing.metrics import RequestStats, ledger_metrics, request_metrics
from billing.models import SCHEDULER_JOBS

log = logging.getLogger("billing.api.request")
OVERDUE_SECONDS = 600
UNHEALTHY = {503: {"description": "Unhealthy: the database is unreachable or its migrations "
                                  "are not current; `checks` says which",
                   "content": {"application/json": {"schema": {"type": "object"}}}}}


_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def safe_request_id(sent: str) -> str:
    """The caller's id when it is short and plain, else a fresh one: it is echoed in a header and
    written to logs, so it must not carry newlines, escapes or markup."""
    return sent if _SAFE_ID.fullmatch(sent) else uuid.uuid4().hex


def install(app: FastAPI) -> None:
    app.state.request_stats = RequestStats()

    app.add_middleware(RequestLog, stats=app.state.request_stats, safe_id=safe_request_id)

    @app.get("/metrics", tags=["operations"], response_class=PlainTextResponse,
             summary="Prometheus metrics: ingest, rejects, rating lag, close, Stripe, requests",
             responses=problems.responses())
    def metrics() -> PlainTextResponse:
        lines = ledger_metrics(app.state.engine) + request_metrics(app.state.request_stats)
        return PlainTextResponse("\n".join(lines) + "\n",
                                 media_type="text/plain; version=0.0.4")

    @app.get("/healthz", tags=["operations"],
             summary="Database reachable, migrations current, scheduler running",
             responses=problems.responses() | UNHEALTHY)
    def healthz() -> JSONResponse:
        checks: dict[str, str] = {}
        try:
            revision = current_revision(app.state.engine)
            checks["database"] = "ok"
            head = head_revision()
            checks["migrations"] = "ok" if revision == head else (
                f"at {revision or 'none'}, code expects {head}: run `billing init`")
            with app.state.engine.connect() as connection:
                next_run = connection.execute(select(SCHEDULER_JOBS.c.next_run_time)).scalar()
            if next_run is None:
                checks["scheduler"] = "not scheduled: start `billing serve` with the scheduler"
            elif next_run < datetime.now(UTC).timestamp() - OVERDUE_SECONDS:
                checks["scheduler"] = "overdue: the monthly close did not run on time"
            else:
                checks["scheduler"] = "ok"
        except Exception as exc:  # noqa: BLE001  (any driver error: the database is down)
            checks["database"] = f"unreachable: {type(exc).__name__}"
        healthy = checks.get("database") == "ok" and checks.get("migrations") == "ok"
        return JSONResponse({"status": "ok" if healthy else "unhealthy", "checks": checks},
                            status_code=200 if healthy else 503)
