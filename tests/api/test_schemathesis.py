"""The app against its own OpenAPI schema: generated requests (schemathesis) never cause a
server error, and every response matches the schema it documents.

Bounded to 40 derandomized examples per operation (about a minute) so the suite stays fast;
every status returned must be documented; run on SQLite with a closed
month of data, as an admin key (authorization has its own matrix test). The schema is loaded
when the module is collected, so the app and its database are made then, in a temp directory.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from billing.api.app import create_app
from billing.close.period_close import close_period
from billing.config import Settings
from billing.db import engine_for, migrate
from billing.demo_data import generate
from billing.ledger.metering import ingest_lines
from billing.rating.card_registry import publish_shipped
from tests_support import POOLS, REGISTRY, publish_policy, publish_pools

ADMIN = {"Authorization": "Bearer fuzz-key"}
SEED = 20261016


def _app():  # noqa: ANN202
    folder = Path(tempfile.mkdtemp(prefix="billing-fuzz-"))
    config = Settings(database_url=f"sqlite:///{folder / 'billing.db'}", api_key="fuzz-key",
                      stripe_webhook_secret="whsec_fuzz",
                      documents_dir=folder / "documents")
    migrate(config.database_url)
    engine = engine_for(config.database_url)
    publish_shipped(engine)
    publish_policy(engine, "parties", REGISTRY)
    publish_pools(engine, POOLS)
    ingest_lines(engine, generate("2026-10", 1000, 3), zone=ZoneInfo("UTC"), source="fuzz")
    close_period(engine, config, "2026-10", now=datetime(2026, 11, 2, tzinfo=UTC))
    return create_app(config)


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())
schema.config.seed = SEED  # every phase draws the same cases run after run


@schema.parametrize()
@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_responses_match_the_schema(case):
    case.call_and_validate(headers=ADMIN, checks=[not_a_server_error, status_code_conformance,
                                                  content_type_conformance,
                                                  response_schema_conformance])
