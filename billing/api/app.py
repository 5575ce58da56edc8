"""The FastAPI application: one app for ingest and, as issues land, showback and documents."""

from __future__ import annotations

from fastapi import FastAPI

from billing.api import (
    alerts,
    budgets,
    documents,
    forecast,
    outcomes,
    problems,
    ratecards,
    showback,
    stripe_webhook,
    usage,
)
from billing.config import Settings, load_settings
from billing.db import engine_for


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    app = FastAPI(
        title="AI chargeback and rate-card billing",
        version="0.1.0",
        description="Metered AI token usage in; showback, chargeback and budgets out.",
    )
    app.state.settings = settings
    app.state.engine = engine_for(settings.database_url)
    problems.install(app)
    app.include_router(usage.router)
    app.include_router(ratecards.router)
    app.include_router(showback.router)
    app.include_router(documents.router)
    app.include_router(stripe_webhook.router)
    app.include_router(budgets.router)
    app.include_router(outcomes.router)
    app.include_router(forecast.router)
    app.include_router(alerts.router)

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        with app.state.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        return {"status": "ok"}

    return app
