"""The app against its own OpenAPI schema: generated requests (schemathesis) never cause a
server error, every status returned is one the route documents, and every response matches the
schema it documents.

On a fixed seed and budget (40 examples per operation as an admin key, about a minute; 10 more
per operation as a team key, whose reads stop at its own team), every operation, both media
types of POST /v1/usage and of POST /v1/traces, on SQLite with a closed month of data
(authorization has its own matrix test). The schema is loaded when the module is collected, so
the app and its database are made then, in a temp directory.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import schemathesis
from hypothesis import HealthCheck, Phase, find, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from billing.api.app import create_app
from billing.api_keys import create_key
from billing.close.period_close import close_period
from billing.config import Settings
from billing.db import engine_for, migrate
from billing.demo_data import generate
from billing.ledger.metering import ingest_lines
from billing.rating.card_registry import publish_shipped
from tests_support import POOLS, REGISTRY, publish_policy, publish_pools

SEED = 20261016
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
KEYS: dict[str, str] = {"admin": "fuzz-key"}


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
    KEYS["team"] = create_key(engine, "team", team="support")[0]
    return create_app(config)


schemathesis.serializer.alias("application/x-ndjson", "text/plain")
schemathesis.serializer.alias("application/x-protobuf", "application/octet-stream")
schema = schemathesis.openapi.from_asgi("/openapi.json", _app())
schema.config.seed = SEED  # every phase draws the same cases run after run


def _call(case, role: str) -> None:  # noqa: ANN001
    case.call_and_validate(headers={"Authorization": f"Bearer {KEYS[role]}"}, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_responses_match_the_schema(case):
    _call(case, "admin")


@schema.parametrize()
@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_as_a_team_key_too(case):
    _call(case, "team")


def test_every_operation_of_the_document_can_be_generated_and_called():
    """The parametrised runs above are spread over xdist workers, so no one worker sees them
    all: here, on any worker, every operation of the document and every media type it
    accepts gets its first generated case called and checked. An operation schemathesis
    cannot generate (a body it cannot build, a media type it cannot send) fails here instead
    of passing unseen. The case is not shrunk: any case proves the operation can be generated,
    and shrinking each one took most of this test's two minutes."""
    document = schema.raw_schema["paths"]
    operations = {f"{method.upper()} {path}" for path, item in document.items()
                  for method in item}
    called: dict[str, set[str | None]] = defaultdict(set)
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        for media_type in operation.get_request_payload_content_types() or [None]:
            case = find(operation.as_strategy(media_type=media_type),
                        lambda case, wanted=media_type: case.media_type == wanted,
                        settings=settings(database=None, derandomize=True,
                                          phases=[Phase.generate],
                                          suppress_health_check=list(HealthCheck)))
            case.call_and_validate(headers={"Authorization": f"Bearer {KEYS['admin']}"},
                                   checks=CHECKS)
            called[label].add(case.media_type)
    assert not operations - set(called), "never called"
    assert {"application/json", "application/x-ndjson"} <= called["POST /v1/usage"]
    assert {"application/json", "application/x-protobuf"} <= called["POST /v1/traces"]
