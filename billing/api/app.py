"""The FastAPI application: ingest, showback, documents, budgets and operations, one app."""

from __future__ import annotations

from fastapi import FastAPI

from billing.api import (
    alerts,
    budgets,
    coverage,
    credits,
    documents,
    exports,
    forecast,
    gateway,
    kpis,
    levers,
    operations,
    outcomes,
    overview,
    policies,
    problems,
    ratecards,
    showback,
    slo,
    status_fast,
    stripe_webhook,
    traces,
    trends,
    usage,
)
from billing.config import Settings, get_settings
from billing.dashboard import install as install_dashboard
from billing.db import engine_for


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app; `settings` (tests, `billing serve`) replace the process's own for every route."""
    given = settings
    settings = settings or get_settings()
    app = FastAPI(
        title="AI chargeback and rate-card billing",
        version="0.1.0",
        description="Metered AI token usage in; showback, chargeback and budgets out. "
                    "Send `Authorization: Bearer <key>` (`billing keys create`); errors are "
                    "`application/problem+json` (RFC 9457).",
    )
    if given is not None:
        app.dependency_overrides[get_settings] = lambda: given
    app.state.engine = engine_for(settings.database_url)
    problems.install(app)
    status_fast.install(app)  # before the request log: the log stays outside it
    operations.install(app)
    app.include_router(usage.router)
    app.include_router(traces.router)
    app.include_router(ratecards.router)
    app.include_router(policies.router)
    app.include_router(showback.router)
    app.include_router(documents.router)
    app.include_router(credits.router)
    app.include_router(stripe_webhook.router)
    app.include_router(gateway.router)
    app.include_router(budgets.router)
    app.include_router(outcomes.router)
    app.include_router(forecast.router)
    app.include_router(alerts.router)
    app.include_router(coverage.router)
    app.include_router(exports.router)
    app.include_router(trends.router)
    app.include_router(levers.router)
    app.include_router(kpis.router)
    app.include_router(overview.router)
    app.include_router(slo.router)
    install_dashboard(app)

    return app
